"""Rows per second of a 10,000-row petition import, dry run and apply.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_imp_bench python -m bench.import_rate [--rows N] [--open]

Creates the database named in DATABASE_URL if it does not exist, migrates
it, generates a synthetic petition batch (.xlsx, the published layout;
every row 已办结 so that each walks the whole workflow, or with --open
left as assigned) and times the import through the same service the page,
the API and the command use: a dry run, the apply, and the same file
again (every row unchanged). Runs on a fresh campaign and removes
nothing: use a scratch database.
"""

import argparse
import io
import os
import sys
import time

from bench.databases import ensure_database


def _workbook(rows: int, run: int, closed: bool) -> bytes:
    from openpyxl import Workbook

    header = ["序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "调查核实情况", "是否属实",
              "处理和整改情况", "问责情况", "交办日期", "完成情况"]
    # City-level petitions: the province closes them after the city's
    # submission (a county's closing waits for its city's review, which an
    # import by the province cannot give: those rows would all be invalid).
    places = ["南昌市", "九江市", "赣州市", "上饶市", "宜春市"]
    types = ["大气", "水", "噪声、大气", "固废", "生态"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("信访件")
    sheet.append(header)
    for n in range(1, rows + 1):
        sheet.append([
            n, f"X9JX{run}{n:06d}", f"反映某合成企业排污扰民（基准测试合成数据 {n}）", places[n % 5], types[n % 5],
            "经现场核查，情况基本属实（合成数据）。", "基本属实", "已责令整改并复查（合成数据）。",
            "责令整改1家，罚款2万元" if n % 3 == 0 else "无", "2099-04-15", "已办结" if closed else "",
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_rate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--open", action="store_true", help="leave 完成情况 empty: rows are created without walking the workflow"
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/h_imp_bench")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from accounts.models import User
    from cases.models import Campaign
    from imports import services

    supervisor, _ = User.objects.get_or_create(username="bench-supervisor", defaults={"role": "supervisor"})
    # A fresh campaign and acceptance numbers per run (the numbers are
    # unique across campaigns), so that every run creates every row.
    run = int(time.time())
    campaign = Campaign.objects.create(
        code=f"bench-{run}", kind="central", name="基准测试（合成）",
        standards_required=False, allow_acceptance_without_evidence=True,  # a ledger of closings made elsewhere
    )  # fmt: skip
    started = time.perf_counter()
    data = _workbook(args.rows, run, closed=not args.open)
    print(f"generated {args.rows} rows, {len(data) / 1024 / 1024:.1f} MB in {time.perf_counter() - started:.1f} s")

    for dry_run in (True, False, False):
        started = time.perf_counter()
        job = services.start_import(
            actor=supervisor, data=data, filename="bench.xlsx", campaign_code=campaign.code,
            dry_run=dry_run, background=False,
        )
        seconds = time.perf_counter() - started
        mode = "dry run" if dry_run else "apply"
        print(f"{mode:8} {job.state:6} {job.counts()}  {seconds:6.1f} s  {args.rows / seconds:7.0f} rows/s")


if __name__ == "__main__":
    main()
