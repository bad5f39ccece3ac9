"""Figure 8: the pages people open most (issue 11), as the supervisor and
as a city officer, and the streamed export of about 100,000 cases.

Measured in process: Django's test client in the harness, on the
benchmark database, so a figure is the view's own time (middleware,
queries, template) without a network or a server in between. Each page is
checked once (status, rows listed) before it is timed; then it is asked
``samples`` times and the median and p95 are reported, with the median
CPU time of the process and wall time in SQL: on a shared machine the
wall time grows with the load, the CPU time much less. An export's rate
is its rows over the whole response (the file written, then read to the
end), also per second of the process's CPU; its memory is the process's
peak resident set while it runs, sampled every few milliseconds, and how
much that grew over the set before the export.

Kept apart from the dataset and the API figures (bench/dataset.py,
bench/figures.py): it only reads what the dataset holds, plus one case
with 30 events that it makes through the product's own services.
"""

import os
import re
import statistics
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass

from .client import BenchError
from .figures import Figure

PAGE_TARGET_MS = 150
EXPORT_TARGET_ROWS_PER_S = 20_000
EXPORT_TARGET_MB = 300
LIST_PAGE = 50  # web/views/lists.py PAGE_SIZE
DEEP_PAGE = 2000
EVENTS = 30
EXPORT_KIND = "feedback_problem"  # 10% of the dataset: 100,000 rows at 1,000,000 cases
_ROW = re.compile(rb'<td class="ref">')


@dataclass(frozen=True)
class Page:
    role: str
    name: str
    path: str
    rows: int | None = None  # list rows the page must show; None: not a list


def _figure(**fields) -> Figure:
    """A figure of its own: these have a target but no floor server."""
    return Figure(floor=None, floor_name="", **fields)


def _pctl(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class PeakMemory:
    """The process's peak resident set while the block runs."""

    def __init__(self, every: float = 0.005):
        self.every = every
        self.peak = 0
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(self.every)

    def __enter__(self):
        self.start = self.peak = _rss_bytes()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


class QueryClock:
    """Wall time spent in SQL queries inside the block (this thread's
    default connection)."""

    def __init__(self):
        self.seconds = 0.0

    def _wrap(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started

    def __enter__(self):
        from django.db import connection

        self._wrapping = connection.execute_wrapper(self._wrap)
        self._wrapping.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapping.__exit__(*exc)


def _client(username: str):
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _case_with_events(run, city: str) -> int:
    """A case of ``city`` with at least 30 events: the first case still in
    progress there, its progress recorded through the product's service
    until the timeline is that long (once per database)."""
    from cases.models import Case, CaseEvent
    from cases.services import update_case

    from accounts.models import User

    case_id = run.sql(
        "SELECT id FROM cases_case WHERE city_id = %s AND status = 'in_progress' AND withdrawn_at IS NULL "
        "ORDER BY id LIMIT 1",
        [city],
    )[0][0]
    officer = User.objects.get(username=f"bench-officer-{city}")
    have = CaseEvent.objects.filter(case_id=case_id).count()
    for step in range(have, EVENTS):
        case = Case.objects.get(pk=case_id)
        update_case(case=case, actor=officer, data={"progress": f"第 {step} 次整改进展（基准测试合成数据）"})
    return case_id


JIANGXI = "division_id BETWEEN '360000' AND '369999'"


def _pages(run) -> list[Page]:
    dataset = run.dataset
    city = dataset.officer_city
    # The supervisor is Jiangxi's provincial office: it sees Jiangxi's subtree of the national dataset.
    (total,) = run.sql(f"SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL AND {JIANGXI}")[0]
    (in_city,) = run.sql("SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL AND city_id = %s", [city])[0]
    deep = min(DEEP_PAGE, -(-total // LIST_PAGE))
    deep_officer = -(-in_city // LIST_PAGE)  # the officer's last page
    case_id = _case_with_events(run, city)
    pages = []
    in_progress = "SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL AND status = 'in_progress'"
    (working,) = run.sql(f"{in_progress} AND {JIANGXI}")[0]
    (working_in_city,) = run.sql(f"{in_progress} AND city_id = %s", [city])[0]
    roles = (("supervisor", deep, total, working), ("officer", deep_officer, in_city, working_in_city))
    for role, deep_page, seen, seen_working in roles:
        full = min(LIST_PAGE, seen)
        pages += [
            Page(role, "dashboard", "/dashboard/"),
            Page(role, "case list", "/cases/", full),
            Page(role, "case list, deep page", f"/cases/?page={deep_page}", seen - (deep_page - 1) * LIST_PAGE
                 if deep_page * LIST_PAGE > seen else LIST_PAGE),  # fmt: skip
            Page(role, "search", "/cases/?q=九江&kind=petition"),
            Page(role, "filtered, sorted", "/cases/?status=in_progress&ordering=-deadline", min(LIST_PAGE, seen_working)),
            Page(role, "overdue list", "/overdue/"),
            Page(role, "case page, 30 events", f"/cases/{case_id}/"),
        ]
    pages.append(Page("supervisor", "acceptance queue", "/acceptance/"))
    return pages


def _check_page(page: Page, response) -> None:
    if response.status_code != 200:
        raise BenchError(f"Figure 8: {page.role} {page.path} answered {response.status_code}.")
    if page.rows is not None:
        shown = len(_ROW.findall(response.content))
        if shown != page.rows:
            raise BenchError(f"Figure 8: {page.role} {page.path} listed {shown} rows, not {page.rows}.")


def page_figures(run, *, samples: int) -> list[Figure]:
    clients = {
        "supervisor": _client("bench-supervisor"),
        "officer": _client(f"bench-officer-{run.dataset.officer_city}"),
    }
    figures = []
    for page in _pages(run):
        client = clients[page.role]
        response = client.get(page.path)  # warm-up and check
        _check_page(page, response)
        size = len(response.content)
        times, cpu, sql = [], [], []
        for _ in range(samples):
            with QueryClock() as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(page.path)
                response.content  # noqa: B018 - the whole body, as a server would send it
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            sql.append(queries.seconds)
        median, p95 = statistics.median(times) * 1000, _pctl(times, 0.95) * 1000
        median_cpu, median_sql = statistics.median(cpu) * 1000, statistics.median(sql) * 1000
        figures.append(
            _figure(
                key=f"page:{page.role}:{page.path}",
                title=f"8. {page.role}: {page.name} {page.path} (median {median:.0f} ms: "
                f"{median_cpu:.0f} ms CPU, {median_sql:.0f} ms SQL; {size / 1024:.0f} KB)",
                unit="ms p95",
                value=p95,
                target=f"p95 < {PAGE_TARGET_MS} ms",
                passed=p95 < PAGE_TARGET_MS,
                details={
                    "median_ms": median,
                    "p95_ms": p95,
                    "median_cpu_ms": median_cpu,
                    "median_sql_ms": median_sql,
                    "samples": samples,
                    "bytes": size,
                    "path": page.path,
                },
            )
        )
        run.log(
            f"  {page.role:10} {page.path:48} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"(CPU {median_cpu:5.1f} ms, SQL {median_sql:5.1f} ms)  {size / 1024:4.0f} KB"
        )
    return figures


def _sheet_rows(path: str) -> int:
    """Rows after the header in the first sheet of the .xlsx at ``path``,
    counted in the stream (the file may hold a million rows)."""
    rows, tail = 0, b""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        while chunk := sheet.read(1 << 20):
            data = tail + chunk
            rows += data.count(b"<row ")
            tail = data[-5:]
            rows -= tail.count(b"<row ")  # counted again with the next chunk
    return rows - 1


def export_figures(run, *, samples: int) -> list[Figure]:
    city = run.dataset.officer_city
    exports = (
        ("supervisor", f"/cases/export.xlsx?kind={EXPORT_KIND}",
         f"SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL AND kind = %s AND {JIANGXI}", [EXPORT_KIND]),
        ("officer", "/cases/export.xlsx",
         "SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL AND city_id = %s", [city]),
    )  # fmt: skip
    clients = {"supervisor": _client("bench-supervisor"), "officer": _client(f"bench-officer-{city}")}
    figures = []
    for role, path, count_sql, params in exports:
        client = clients[role]
        (expected,) = run.sql(count_sql, params)[0]
        rates, peaks, growths, seconds, cpu = [], [], [], [], []
        for attempt in range(samples + 1):
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as file, PeakMemory() as memory:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                if response.status_code != 200:
                    raise BenchError(f"Figure 8: {role} {path} answered {response.status_code}.")
                for chunk in response.streaming_content:
                    file.write(chunk)
                file.flush()
                elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
                if attempt == 0:  # the check, untimed
                    rows = _sheet_rows(file.name)
                    if rows != expected:
                        raise BenchError(f"Figure 8: {role} {path} exported {rows} rows, not {expected}.")
                    continue
            seconds.append(elapsed)
            cpu.append(elapsed_cpu)
            rates.append(expected / elapsed)
            peaks.append(memory.peak / 1024 / 1024)
            growths.append((memory.peak - memory.start) / 1024 / 1024)
        rate, peak, growth = statistics.median(rates), max(peaks), max(growths)
        cpu_rate = expected / statistics.median(cpu)
        figures.append(
            _figure(
                key=f"export:{role}:{path}",
                title=f"8. {role}: export {path} ({expected:,} rows, median {statistics.median(seconds):.1f} s, "
                f"{cpu_rate:,.0f} rows/s of CPU, peak {peak:.0f} MB, +{growth:.0f} MB)",
                unit="rows/s",
                value=rate,
                target=f"≥ {EXPORT_TARGET_ROWS_PER_S:,} rows/s, < {EXPORT_TARGET_MB} MB",
                passed=rate >= EXPORT_TARGET_ROWS_PER_S and peak < EXPORT_TARGET_MB,
                details={
                    "rows": expected,
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "rows_per_s": rate,
                    "rows_per_cpu_s": cpu_rate,
                    "peak_rss_mb": peak,
                    "rss_growth_mb": growth,
                    "path": path,
                },
            )
        )
        run.log(
            f"  {role:10} {path:48} {expected:,} rows  {rate:,.0f} rows/s ({cpu_rate:,.0f} per CPU second)  "
            f"peak {peak:.0f} MB (+{growth:.0f} MB)"
        )
    return figures


def collect_static() -> None:
    """The pages render with DEBUG off, as deployed: their static files
    come from the collected manifest (the Dockerfile's collectstatic)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def pages(run, *, samples: int = 7, export_samples: int = 3) -> list[Figure]:
    collect_static()
    # Other work on the machine inflates every figure here: say how much.
    run.log("  load average before figure 8: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return page_figures(run, samples=samples) + export_figures(run, samples=export_samples)
