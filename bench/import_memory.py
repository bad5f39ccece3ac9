"""Peak memory of one import for the largest spreadsheets the limits admit,
and for bombs the limits refuse: python -m bench.import_memory

Each file is imported (a dry run, the whole job: read, check, upsert,
report) in a fresh process on a scratch SQLite database, as a worker would
run it; the process's peak resident memory (VmHWM) is printed beside the
memory of the same process before the import (Django loaded), with the
time taken and how the job ended. The target (issue 12): under 300 MB for
any file the limits admit.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER_HEADER = ["问题序号", "督察问题", "整改目标", "整改措施", "责任单位", "行政区域", "整改时限", "整改进展", "完成情况"]


def _peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _shared_workbook(rows: list[list[str]], header: list[str]) -> bytes:
    """A ledger whose every cell is a shared string (as Excel saves text)."""
    from tests.imports import bombs

    strings, index = [], {}

    def ref(text):
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    def chunks():
        for number, values in enumerate([header, *rows], start=1):
            yield f'<row r="{number}">' + "".join(
                f'<c r="{bombs.column_letters(c)}{number}" t="s"><v>{ref(v)}</v></c>' for c, v in enumerate(values, 1)
            ) + "</row>"

    sheet = list(chunks())  # the strings are numbered while the rows are made
    return bombs.workbook(sheet, dimension=f"A1:I{len(rows) + 1}", shared=strings)


def _ledger_rows(count: int, text_chars: int) -> list[list[str]]:
    filler = "整改措施落实情况合成数据" * (text_chars // 12 + 1)
    return [
        [str(n), f"合成问题{n}：{filler[: text_chars - 8]}", "达标", f"措施{n}{filler[:text_chars // 4]}",
         "南昌市人民政府", "南昌市", "2024年6月底前", f"进展{n}{filler[:text_chars // 2]}", "整改中"]
        for n in range(1, count + 1)
    ]  # fmt: skip


def _fitted(make, limit: int, measure) -> bytes:
    """``make(scale)`` for the largest scale (text length, rows) whose file
    ``measure`` says is within 97% of ``limit``."""
    scale, data = 100, make(100)
    for _ in range(4):
        scale = max(1, int(scale * 0.97 * limit / measure(data)))
        data = make(scale)
        if measure(data) <= limit:
            break
    return data


def make_files(directory: Path) -> list[tuple[str, Path]]:
    """(description, path) of each file to import: the largest each limit
    admits, and bombs beyond them."""
    from django.conf import settings

    from imports.parsing.reader import content_size
    from tests.imports import bombs

    made = []
    rows = settings.IMPORT_MAX_ROWS - 1  # the header is a row too
    unpacked = settings.IMPORT_MAX_UNPACKED_BYTES
    columns = settings.IMPORT_MAX_COLUMNS

    def save(description, name, data):
        path = directory / name
        path.write_bytes(data)
        size = content_size(data, name)
        made.append((f"{description}: {size / 2**20:.1f} MB ({len(data) / 1024:,.0f} KB on disk)", path))

    def unpacked_size(data):
        return content_size(data, "x.xlsx")

    save(f"ledger .xlsx, {rows:,} rows of text", "ledger.xlsx",
         _fitted(lambda n: _shared_workbook(_ledger_rows(rows, n), LEDGER_HEADER), unpacked, unpacked_size))
    save(f".xlsx, {columns} columns of numbers", "wide.xlsx",
         _fitted(lambda n: bombs.cells_bomb(min(rows, n * 100), columns), unpacked, unpacked_size))
    save(".xlsx, 3 columns, no dimension stated", "undimensioned.xlsx",
         _fitted(lambda n: bombs.cells_bomb(n * 1000, 3, dimension=None), unpacked, unpacked_size))
    save("3,000,000 cells, dimension stated (a bomb)", "cells.xlsx", bombs.cells_bomb(1_000_000, 3))
    save("one cell of 200 MB (a bomb)", "cell.xlsx", bombs.one_cell_bomb(200 * 1024 * 1024))

    def csv_ledger(n):
        return "\n".join(",".join(row) for row in [LEDGER_HEADER, *_ledger_rows(rows, n)]).encode()

    save(f"ledger .csv, {rows:,} rows of text", "ledger.csv", _fitted(csv_ledger, settings.IMPORT_MAX_BYTES, len))
    return made


def child(path: Path) -> None:
    """Import ``path`` as a dry run and print: before KB, peak KB, seconds, outcome."""
    import django

    django.setup()
    from cases.models import Campaign
    from django.contrib.auth import get_user_model
    from imports.services import start_import

    actor = get_user_model().objects.get(username="bench-importer")
    campaign = Campaign.objects.get(code="bench-memory")
    data = path.read_bytes()
    before = _peak_kb()
    started = time.perf_counter()
    job = start_import(
        actor=actor, data=data, filename=path.name, campaign_code=campaign.code, dry_run=True, background=False
    )
    seconds = time.perf_counter() - started
    outcome = job.state if job.state != "failed" else f"failed: {job.error_code}"
    print(before, _peak_kb(), f"{seconds:.1f}", outcome, sep="\t")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_memory", description=__doc__.split("\n\n")[1])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}", "REDIS_URL": "",
               "MEDIA_ROOT": str(directory / "media"), "LOG_LEVEL": "ERROR"}  # fmt: skip
        run = lambda *command: subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: E731
        run(sys.executable, "manage.py", "migrate", "-v0")
        run(sys.executable, "manage.py", "shell", "-c",
            "from tests.factories import CampaignFactory, UserFactory;"
            "CampaignFactory(code='bench-memory', kind='central');"
            "UserFactory(username='bench-importer', role='supervisor', city=None)")  # fmt: skip
        import django

        django.setup()
        files = make_files(directory)
        print(f"{'file (size to read)':<78} {'before':>8} {'peak':>8} {'time':>7}  outcome")
        worst = 0
        for description, path in files:
            result = subprocess.run(
                [sys.executable, "-m", "bench.import_memory", "--child", str(path)],
                env=env, cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if result.returncode:
                print(f"{description}: the import crashed\n{result.stderr[-2000:]}")
                return 1
            before, peak, seconds, outcome = result.stdout.strip().splitlines()[-1].split("\t")
            print(f"{description:<78} {int(before) / 1024:6.0f}MB {int(peak) / 1024:6.0f}MB {seconds:>6}s  {outcome}")
            worst = max(worst, int(peak))
        print(f"largest peak: {worst / 1024:.0f} MB (target: under 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
