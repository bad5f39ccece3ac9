"""The figures of issue 7 (and the report of issue 15), each measured beside its floor in the same
run on the same data, and each checked for the right answer before it is
timed: a fast wrong answer fails the run."""

import math
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

import psycopg

from cases.divisions import subtree_bounds

from .client import BenchError, Budget, Client, median, p95, sample, timed
from .dataset import Dataset
from .servers import Server

OPEN = ("assigned", "in_progress")
TODAY_SQL = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
DEEP_PAGE = 20_000
PAGE = 50
FEED_PAGE = 1000
BULK_ROWS = 10_000
BULK_BATCH = 500


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    value: float
    floor: float | None
    floor_name: str
    target: str
    passed: bool | None  # None: reported, no target
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0):
            return None
        return self.value / self.floor

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "value": self.value,
            "floor": self.floor,
            "floor_name": self.floor_name,
            "ratio": self.ratio,
            "target": self.target,
            "passed": self.passed,
            "details": self.details,
        }


@dataclass
class Run:
    dataset: Dataset
    product: Server
    floor: Server
    baseline: Server
    budget: Budget
    db: psycopg.Connection  # the harness's own, for the SQL floors and the checks
    log: object

    def sql(self, query: str, params=()) -> list[tuple]:
        return self.db.execute(query, params).fetchall()


def ms(seconds: float) -> float:
    return seconds * 1000


def _series(samples: list[float]) -> dict:
    return {"median_ms": ms(median(samples)), "p95_ms": ms(p95(samples)), "samples": len(samples)}


def _ids(reply, key: str = "results") -> list[int]:
    return [row["id"] for row in reply.json()[key]]


# --- 1. the overdue list of a county bureau and of a city bureau ----------


def list_page(run: Run) -> list[Figure]:
    """The commonest request: an officer's overdue list, ``?overdue=true``
    with its token. Measured for a county bureau (its county) and for a
    city bureau (its subtree: the city's own cases and its counties')."""
    figures = []
    for label, token, division in (
        ("county", run.dataset.county_token, run.dataset.officer_county),
        ("city", run.dataset.officer_token, run.dataset.officer_city),
    ):
        figures += _list_page(run, label=label, token=token, division=division)
    return figures


def _list_page(run: Run, *, label: str, token: str, division: str) -> list[Figure]:
    path = "/api/v1/cases/?overdue=true"
    floor_path = f"/overdue?division={division}"
    product = Client(run.product.port, token)
    baseline = Client(run.baseline.port, token)
    floor = Client(run.floor.port)
    expected = [
        row[0]
        for row in run.sql(
            f"SELECT id FROM cases_case WHERE withdrawn_at IS NULL AND division_id BETWEEN %s AND %s"
            f" AND status IN {OPEN} AND deadline < {TODAY_SQL} ORDER BY id LIMIT {PAGE}",
            list(subtree_bounds(division)),
        )
    ]
    if not expected:
        raise BenchError(f"No overdue cases in division {division}: the dataset is not what figure 1 needs.")
    for name, client, reply_path in (("product", product, path), ("floor", floor, floor_path),
                                     ("baseline", baseline, path)):  # fmt: skip
        got = _ids(client.get(reply_path))
        if got != expected:
            raise BenchError(f"Figure 1: the {name} returned other cases than the SQL: {got[:5]}... vs {expected[:5]}...")
    # The boundary: the officer asking for another county's overdue cases
    # (one that has some: in the one-province layout every case is in
    # Jiangxi) gets none.
    other = run.sql(
        f"SELECT c.division_id FROM cases_case c JOIN cases_division d ON d.code = c.division_id"
        f" WHERE d.level = 'county' AND c.division_id NOT BETWEEN %s AND %s AND c.withdrawn_at IS NULL"
        f" AND c.status IN {OPEN} AND c.deadline < {TODAY_SQL} LIMIT 1",
        list(subtree_bounds(division)),
    )[0][0]
    if _ids(product.get(f"/api/v1/cases/?division={other}&overdue=true")):
        raise BenchError("Figure 1: the officer saw another division's cases.")

    samples = sample(
        {
            "product": lambda: product.get(path).seconds,
            "floor": lambda: floor.get(floor_path).seconds,
            "baseline": lambda: baseline.get(path).seconds,
        },
        run.budget,
    )
    value, raw, drf = (ms(median(samples[name])) for name in ("product", "floor", "baseline"))
    details = {name: _series(values) for name, values in samples.items()} | {"rows": len(expected), "division": division}
    key = "list" if label == "county" else f"list_{label}"
    return [
        Figure(key, f"1. {label} overdue list ({len(expected)} rows), {label} officer token", "ms", value, raw,
               "raw WSGI + psycopg + orjson", "≤ 3× floor", value <= 3 * raw, details),
        Figure(f"{key}_vs_drf", f"1b. same {label} list, stock DRF baseline", "ms", drf, value,
               "the product (ratio = times slower)", "≥ 3× product", drf >= 3 * value, details),
    ]  # fmt: skip


# --- 2. a deep page of the unfiltered list --------------------------------


def deep_page(run: Run) -> list[Figure]:
    from django.core import signing

    client = Client(run.product.port, run.dataset.national_token)
    visible = run.sql("SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL")[0][0]
    page = max(2, min(DEEP_PAGE, math.ceil(visible / PAGE)))
    before, first = run.sql(
        "SELECT id FROM cases_case WHERE withdrawn_at IS NULL ORDER BY id OFFSET %s LIMIT 2", [(page - 1) * PAGE - 1]
    )
    first_page = client.get("/api/v1/cases/")
    # A client reaches page N by following N-1 "next" links; the harness
    # writes the cursor of page N-1's last row directly, in the shape the
    # first page's own "next" cursor has (checked here, so a change of
    # format fails loudly instead of measuring something else).
    cursor = parse_qs(urlsplit(first_page.json()["next"]).query)["cursor"][0]
    shape = signing.loads(cursor, salt="api.v1.list.cursor")
    last_of_first = first_page.json()["results"][-1]["id"]
    if shape != ["id", last_of_first, last_of_first]:
        raise BenchError(f"Figure 2: the list cursor has an unknown shape {shape!r}; update bench/figures.py.")
    deep_cursor = signing.dumps(["id", before[0], before[0]], salt="api.v1.list.cursor", compress=False)
    deep_path = f"/api/v1/cases/?cursor={quote(deep_cursor)}"
    got = _ids(client.get(deep_path))
    if not got or got[0] != first[0]:
        raise BenchError(f"Figure 2: page {page} starts at {got[:1]}, the SQL says {first[0]}.")

    samples = sample({"deep": timed(lambda: client.get(deep_path)), "first": timed(lambda: client.get("/api/v1/cases/"))}, run.budget)
    deep, top = ms(median(samples["deep"])), ms(median(samples["first"]))
    figures = [
        Figure("deep_page", f"2. page {page:,} of {PAGE} (keyset) vs page 1", "ms", deep, top, "page 1 of the same list",
               "≤ 1.2× page 1", deep <= 1.2 * top, {name: _series(v) for name, v in samples.items()} | {"page": page}),
    ]  # fmt: skip

    # The stock baseline's page N, for the record: an OFFSET and a COUNT(*)
    # over every row, so only a few samples.
    baseline = Client(run.baseline.port, run.dataset.national_token)
    baseline_path = f"/api/v1/cases/?page={page}"
    if _ids(baseline.get(baseline_path))[:1] != [first[0]]:
        raise BenchError(f"Figure 2: the baseline's page {page} is not the SQL's.")
    slow = sample({"baseline": timed(lambda: baseline.get(baseline_path))}, Budget(repeats=5, seconds=30, warmup=1))
    figures.append(
        Figure("deep_page_drf", f"2b. stock DRF page {page:,} (OFFSET)", "ms", ms(median(slow["baseline"])), deep,
               "the product's same page", "reported", None, {"baseline": _series(slow["baseline"])})
    )  # fmt: skip
    return figures


# --- 3. statistics ---------------------------------------------------------

STATS_SQL = f"""
SELECT kind, city_id,
       count(*),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status IN {OPEN} AND deadline < {TODAY_SQL}),
       count(*) FILTER (WHERE status = 'pending_acceptance'),
       coalesce(sum(reopened_count), 0)
FROM cases_case
WHERE withdrawn_at IS NULL
GROUP BY kind, city_id
"""
STAT_NAMES = ("total", "closed", "overdue", "awaiting_acceptance", "reopened")


def _add(totals: dict, key, values) -> None:
    row = totals.setdefault(key, dict.fromkeys(STAT_NAMES, 0))
    for name, value in zip(STAT_NAMES, values, strict=True):
        row[name] += value


def statistics(run: Run) -> list[Figure]:
    client = Client(run.product.port, run.dataset.national_token)
    by_kind, by_city = {}, {}
    for kind, city, *values in run.sql(STATS_SQL):
        _add(by_kind, kind, values)
        _add(by_city, city, values)
    reply = client.get("/api/v1/stats/").json()
    got_kind = {row["kind"]: {n: row[n] for n in STAT_NAMES} for row in reply["by_kind"] if row["total"]}
    got_city = {row["city"]: {n: row[n] for n in STAT_NAMES} for row in reply["by_city"] if row["total"]}
    if got_kind != by_kind or got_city != by_city:
        raise BenchError("Figure 3: /api/v1/stats/ does not match the aggregate SQL: not exact.")

    samples = sample(
        {"product": timed(lambda: client.get("/api/v1/stats/")), "floor": timed(lambda: run.sql(STATS_SQL))},
        Budget(repeats=min(run.budget.repeats, 30), seconds=run.budget.seconds, warmup=2),
    )
    value, raw = ms(median(samples["product"])), ms(median(samples["floor"]))
    return [
        Figure("stats", "3. GET /api/v1/stats/ (exact) vs one aggregate SQL", "ms", value, raw,
               "GROUP BY kind, city over all cases", "< 100 ms", value < 100,
               {name: _series(v) for name, v in samples.items()} | {"cities": len(by_city)}),
    ]  # fmt: skip


# --- 4. the change feed ----------------------------------------------------

FEED_FLOOR_SQL = """
SELECT c.*, p.code AS campaign_code, y.name AS city_name
FROM cases_case c
JOIN cases_campaign p ON p.id = c.campaign_id
LEFT JOIN cases_city y ON y.code = c.city_id
ORDER BY c.feed_xid, c.id
"""


def wait_until_settled(run: Run, seconds: float = 600) -> None:
    """The feed withholds changes of transaction ids not yet below the
    oldest running transaction of the whole PostgreSQL server (so that a
    reader never skips a late commit). A long transaction in any database
    of the server therefore holds the feed back: wait for the dataset to
    settle, or name the session that is holding it."""
    stop_at = time.monotonic() + seconds
    while True:
        (settled,) = run.sql(
            "SELECT coalesce(max(feed_xid), 0) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM cases_case"
        )[0]
        if settled:
            return
        if time.monotonic() > stop_at:
            holders = run.sql(
                "SELECT datname, pid, state, xact_start FROM pg_stat_activity "
                "WHERE backend_xid IS NOT NULL ORDER BY age(backend_xid) DESC LIMIT 3"
            )
            raise BenchError(
                f"Figure 4: after {seconds:.0f} s the dataset is still newer than the oldest running transaction "
                f"on the server, so the feed withholds part of it. Oldest transactions: {holders}"
            )
        time.sleep(1)


def change_feed(run: Run, time_limit: float) -> list[Figure]:
    """Every case through the feed, a page of 1,000 at a time, against the
    floor's server-side cursor read 1,000 rows at a time, the two
    interleaved (a page, then the floor's next 1,000 rows) so that a busy
    moment of the shared machine weighs on both alike."""
    client = Client(run.product.port, run.dataset.national_token)
    wait_until_settled(run)
    expected = run.sql("SELECT count(*) FROM cases_case WHERE withdrawn_at IS NULL")[0][0]
    peak_before_reset_kb = run.product.memory_kb()["VmHWM"]
    run.product.reset_peak_memory()  # 4b is the feed's peak, not an earlier figure's
    memory_before = run.product.memory_kb()
    seen: set[int] = set()
    page_seconds: list[float] = []
    floor_seconds: list[float] = []
    streamed = 0
    rss_kb: list[int] = []
    path = f"/api/v1/changes/?page_size={FEED_PAGE}"
    stop_at = time.monotonic() + time_limit
    # A read-only transaction has no transaction id: it holds no feed back.
    with run.db.transaction(), run.db.cursor(name="bench_feed_floor") as floor:
        floor.execute(FEED_FLOOR_SQL)
        for page in range(expected // FEED_PAGE + 10):
            reply = client.get(path)
            data = reply.json()
            page_seconds.append(reply.seconds)
            for item in data["results"]:
                if item["id"] in seen:
                    raise BenchError(f"Figure 4: case {item['id']} came twice through the feed.")
                seen.add(item["id"])
            if page % 50 == 0:
                rss_kb.append(run.product.memory_kb()["VmRSS"])
            started = time.perf_counter()
            streamed += len(floor.fetchmany(FEED_PAGE))
            floor_seconds.append(time.perf_counter() - started)
            if not data["has_more"]:
                break
            if time.monotonic() > stop_at:
                raise BenchError(f"Figure 4: the feed did not finish within {time_limit:.0f} s.")
            path = f"/api/v1/changes/?page_size={FEED_PAGE}&cursor={quote(data['cursor'])}"
        started = time.perf_counter()
        streamed += len(floor.fetchall())
        floor_seconds.append(time.perf_counter() - started)
    memory_after = run.product.memory_kb()
    if len(seen) != expected:
        raise BenchError(f"Figure 4: the feed delivered {len(seen):,} cases, the database holds {expected:,}.")
    rate = len(seen) / sum(page_seconds)
    floor_rate = streamed / sum(floor_seconds)

    peak_mb = memory_after["VmHWM"] / 1024
    details = {
        "cases": len(seen),
        "pages": len(page_seconds),
        "page_ms": _series(page_seconds),
        "rss_mb_every_50_pages": [round(kb / 1024, 1) for kb in rss_kb],
        "rss_mb_before": memory_before["VmRSS"] / 1024,
        "peak_mb_before": memory_before["VmHWM"] / 1024,
        "peak_mb_of_earlier_figures": peak_before_reset_kb / 1024,
        "floor_rows": streamed,
        "floor_batch_ms": _series(floor_seconds),
    }
    return [
        Figure("feed", f"4. change feed, all {len(seen):,} cases (pages of {FEED_PAGE})", "cases/s", rate, floor_rate,
               "psycopg server-side cursor", "≥ 30% of floor", rate >= 0.3 * floor_rate, details),
        Figure("feed_memory", "4b. server peak memory (VmHWM, reset before the feed)", "MB", peak_mb,
               memory_before["VmRSS"] / 1024, "worker RSS before the feed", "< 300 MB", peak_mb < 300, details),
    ]  # fmt: skip


# --- 5. bulk upsert --------------------------------------------------------


def _bulk_item(prefix: str, index: int, campaign: str, cities: list[str]) -> dict:
    return {
        "campaign": campaign,
        "reference": f"{prefix}-{index}",
        "kind": "feedback_problem",
        "title": f"合成批量写入第{index}号（基准测试）",
        "description": "合成数据，仅用于性能基准测试，并非真实案件。",
        "city": cities[index % len(cities)],
        "deadline_type": "dated",
        "deadline": "2027-06-30",
        "problem_number": 1 + index % 500,
        "target": "合成整改目标",
        "measures": "合成整改措施",
    }


# One statement per batch: every item field as an array, unnested.
BULK_FLOOR_SQL = """
INSERT INTO cases_case (
    campaign_id, reference, kind, title, description, city_id, deadline_type, deadline,
    problem_number, target, measures, division_id, status, progress, version, reopened_count, created_at, updated_at,
    district, pollution_types, is_key_case, investigation, veracity, handling,
    ordered_to_rectify, penalty_cases, fines_yuan, criminal_cases, detentions, summons, people_held_accountable)
SELECT %(campaign_id)s, r.*, r.city, 'assigned', '', 1, 0, now(), now(), '', '[]', false, '', '', '', 0, 0, 0, 0, 0, 0, 0
FROM unnest(%(reference)s::text[], %(kind)s::text[], %(title)s::text[], %(description)s::text[], %(city)s::text[],
            %(deadline_type)s::text[], %(deadline)s::date[], %(problem_number)s::int[],
            %(target)s::text[], %(measures)s::text[])
     AS r(reference, kind, title, description, city, deadline_type, deadline, problem_number, target, measures)
ON CONFLICT (campaign_id, reference) DO UPDATE SET
    title = EXCLUDED.title, description = EXCLUDED.description, city_id = EXCLUDED.city_id,
    division_id = EXCLUDED.division_id, deadline_type = EXCLUDED.deadline_type,
    deadline = EXCLUDED.deadline, problem_number = EXCLUDED.problem_number, target = EXCLUDED.target,
    measures = EXCLUDED.measures,
    version = cases_case.version + 1, updated_at = now()
"""


def _columns(items: list[dict], **extra) -> dict:
    return {key: [item[key] for item in items] for key in items[0]} | extra


def bulk_upsert(run: Run, rounds: int) -> list[Figure]:
    client = Client(run.product.port, run.dataset.supervisor_token)
    campaign = run.dataset.bulk_campaign
    campaign_id = run.sql("SELECT id FROM cases_campaign WHERE code = %s", [campaign])[0][0]
    # The writer is Jiangxi's provincial office: its cities are the ones it may write to.
    cities = [row[0] for row in run.sql("SELECT code FROM cases_city WHERE code LIKE %s ORDER BY code", ["36%"])]
    api_rates, sql_rates, request_seconds = [], [], []
    for number in range(rounds):
        items = [_bulk_item(f"API-{number}", i, campaign, cities) for i in range(BULK_ROWS)]
        spent = 0.0
        for start in range(0, BULK_ROWS, BULK_BATCH):
            reply = client.post("/api/v1/cases/bulk/", {"cases": items[start : start + BULK_BATCH]})
            summary = reply.json()["summary"]
            if summary["created"] != BULK_BATCH:
                raise BenchError(f"Figure 5: a bulk request created {summary} instead of {BULK_BATCH} cases.")
            spent += reply.seconds
            request_seconds.append(reply.seconds)
        api_rates.append(BULK_ROWS / spent)
        if number == 0:
            # Idempotent by reference: the same items again change nothing.
            summary = client.post("/api/v1/cases/bulk/", {"cases": items[:BULK_BATCH]}).json()["summary"]
            if summary["unchanged"] != BULK_BATCH:
                raise BenchError(f"Figure 5: re-sending a batch gave {summary}, not all unchanged.")

        rows = [_bulk_item(f"SQL-{number}", i, campaign, cities) for i in range(BULK_ROWS)]
        started = time.perf_counter()
        for start in range(0, BULK_ROWS, BULK_BATCH):
            with run.db.transaction():
                run.db.execute(BULK_FLOOR_SQL, _columns(rows[start : start + BULK_BATCH], campaign_id=campaign_id))
        sql_rates.append(BULK_ROWS / (time.perf_counter() - started))

    events = run.sql(
        "SELECT count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
        "WHERE c.campaign_id = %s AND c.reference LIKE 'API-%%'",
        [campaign_id],
    )[0][0]
    if events != rounds * BULK_ROWS:
        raise BenchError(f"Figure 5: {events} events for {rounds * BULK_ROWS} created cases.")
    value, raw = median(api_rates), median(sql_rates)
    details = {
        "rounds": rounds,
        "api_rows_per_s": api_rates,
        "sql_rows_per_s": sql_rates,
        "request_ms": _series(request_seconds),
        "batch": BULK_BATCH,
    }
    return [
        Figure("bulk", f"5. bulk upsert {BULK_ROWS:,} new cases, {BULK_BATCH} per request", "rows/s", value, raw,
               "psycopg INSERT ... ON CONFLICT", "≥ 20% of floor", value >= 0.2 * raw, details),
    ]  # fmt: skip


# --- 6. the reminder run ---------------------------------------------------


def reminder_run(run: Run, rounds: int) -> list[Figure]:
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from cases.querysets import local_today
    from reminders.models import ReminderLog
    from reminders.services import run_reminders
    from reminders.tasks import enqueue_digests

    today = local_today()
    seconds, queries, messages, recipients = [], [], [], []
    for _ in range(rounds):
        # Each round is a first run of the day (the log makes a second one
        # send nothing, by design).
        ReminderLog.objects.filter(digest_on=today).delete()
        mail.outbox = []
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                report = run_reminders(today=today, dispatch=enqueue_digests)
                seconds.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
        messages.append(len(mail.outbox))
        recipients.append(len(report.lines))
        if not messages[-1] or messages[-1] != report.count("sent"):
            raise BenchError(f"Figure 6: {messages[-1]} messages for {report.count('sent')} digests recorded as sent.")
    connection.close()
    per_recipient = max(q / r for q, r in zip(queries, recipients, strict=True))
    details = {"seconds": seconds, "queries": queries, "messages": messages, "recipients": recipients}
    value = median(seconds)
    return [
        Figure("reminders", f"6. reminder run: {messages[0]} digests to {recipients[0]} recipients", "s", value, None,
               "", "< 10 s", value < 10, details | {"p95_s": p95(seconds)}),
        Figure("reminder_queries", f"6b. reminder run: {queries[0]} queries", "queries/recipient", per_recipient, None,
               "", "≤ 10 per recipient", per_recipient <= 10, details),
    ]  # fmt: skip


# --- 7. the progress report (issue 15) -------------------------------------

REPORT_TOTALS_SQL = f"""
SELECT count(*),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status IN {OPEN} AND deadline < {TODAY_SQL})
FROM cases_case
WHERE withdrawn_at IS NULL AND division_id BETWEEN '360000' AND '369999'
"""


def _report_totals(content: bytes) -> tuple[int, int, int, int]:
    """(total, closed, overdue, rows of the overdue list) read back from the
    workbook: the 合计 row of the city ranking and the overdue sheet."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    ranking = list(book.worksheets[1].iter_rows(values_only=True))
    total = ranking[-1]
    overdue_rows = sum(1 for row in book.worksheets[4].iter_rows(min_row=3, values_only=True) if isinstance(row[0], int))
    return total[2], total[3], total[6], overdue_rows


def progress_report(run: Run, rounds: int) -> list[Figure]:
    """The whole province's (Jiangxi's: the report is its provincial
    office's, so it reads that subtree of the national dataset, or every
    case with ``--one-province``) progress report for today, as the Word notice
    and as the Excel workbook (the workbook lists every overdue case), and
    for a day 30 days back (statuses read from the timelines). Checked
    against the SQL before timing; peak memory is the server worker's,
    with its high-water mark reset first (clear_refs)."""
    client = Client(run.product.port, run.dataset.supervisor_token)
    expected = run.sql(REPORT_TOTALS_SQL)[0]
    got = _report_totals(client.get("/api/v1/reports/progress.xlsx").body)
    if got[:3] != tuple(expected) or got[3] != expected[2]:
        raise BenchError(f"Figure 7: the report says {got} (total, closed, overdue, listed), the SQL {tuple(expected)}.")
    run.product.reset_peak_memory()
    before = run.product.memory_kb()
    past = time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400))
    paths = {
        "docx": "/api/v1/reports/progress.docx",
        "xlsx": "/api/v1/reports/progress.xlsx",
        "past_xlsx": f"/api/v1/reports/progress.xlsx?date={past}",
    }
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    sizes = {}
    for _ in range(rounds):
        for name, path in paths.items():
            reply = client.get(path)
            seconds[name].append(reply.seconds)
            sizes[name] = len(reply.body)
    after = run.product.memory_kb()
    peak_mb = after["VmHWM"] / 1024
    worst = max(median(values) for name, values in seconds.items() if name != "past_xlsx")
    details = {
        "seconds": seconds,
        "bytes": sizes,
        "overdue_listed_in_xlsx": got[3],
        "rss_mb_before": before["VmRSS"] / 1024,
        "past_date": past,
    }
    return [
        Figure("report_docx", f"7. progress report, whole province ({expected[0]:,} cases), Word", "s",
               median(seconds["docx"]), None, "", "< 10 s", median(seconds["docx"]) < 10, details),
        Figure("report_xlsx", f"7b. same, Excel (all {got[3]:,} overdue cases listed)", "s",
               median(seconds["xlsx"]), None, "", "< 10 s", median(seconds["xlsx"]) < 10, details),
        Figure("report_past", f"7c. same, Excel, for {past} (statuses from the timelines)", "s",
               median(seconds["past_xlsx"]), None, "", "reported", None, details),
        Figure("report_memory", "7d. server peak memory (VmHWM, reset before 7-7c)", "MB", peak_mb,
               before["VmRSS"] / 1024, "worker RSS before", "< 300 MB", peak_mb < 300, details | {"worst_s": worst}),
    ]  # fmt: skip
