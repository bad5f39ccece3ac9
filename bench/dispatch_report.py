"""Time a division's batch "no change" report in a dispatch round on
PostgreSQL.

    python -m bench.dispatch_report --cases 2000

Builds, in its own database (dispatch_bench by default, created if
missing), ``--cases`` open cases of one county (九江市浔阳区, synthetic),
a supervisor and the county's officer, once (reused when the count
matches). Each run opens a new round over the county and reports "no
change" on every case through ``dispatch.services.report`` as the county
would (in requests of at most ``MAX_REPORTS`` cases), then prints the
seconds and the queries it took, and checks that every case got its event
and its feed position moved.
"""

import argparse
import datetime
import os
import sys
import time

from bench.databases import ensure_database

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/dispatch_bench"
COUNTY = "360403"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="rounds opened and reported on, one after the other")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url: the benchmark needs PostgreSQL")
    return args


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(cases: int):
    from django.utils import timezone

    from accounts.models import User
    from cases.models import Campaign, Case

    campaign, _ = Campaign.objects.get_or_create(
        code="bench-dispatch", defaults={"kind": "central", "name": "调度基准（合成）", "round": 2, "year": 2021}
    )
    supervisor, _ = User.objects.get_or_create(username="bench-supervisor", defaults={"role": "supervisor", "division_id": "360000"})
    officer, _ = User.objects.get_or_create(username="bench-xunyang", defaults={"role": "officer", "division_id": COUNTY})
    have = Case.objects.filter(campaign=campaign).count()
    if have != cases:
        if have:
            sys.exit(f"the database has {have} bench cases, not {cases}: use another --database-url")
        today = timezone.localdate()
        Case.objects.bulk_create(
            [
                Case(
                    campaign=campaign, reference=f"BD-{n:06d}", kind="feedback_problem", title=f"调度基准问题 {n}（合成数据）",
                    description="合成测试数据，非真实案件。", division_id=COUNTY, city_id="360400", deadline_type="dated",
                    deadline=today + datetime.timedelta(days=30), status="in_progress",
                )  # fmt: skip
                for n in range(cases)
            ],
            batch_size=1000,
        )
    return campaign, supervisor, officer


def run(campaign, supervisor, officer, number: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.utils import timezone

    from cases.models import Case, CaseEvent
    from dispatch import services
    from dispatch.models import RoundCase

    round = services.open_round(
        actor=supervisor, name=f"基准{timezone.now():%H%M%S}-{number}", cadence="ad_hoc",
        cutoff_at=timezone.now() + datetime.timedelta(days=3), campaigns=[campaign],
    )  # fmt: skip
    ids = list(RoundCase.objects.filter(round=round).order_by("case_id").values_list("case_id", flat=True))
    positions = dict(Case.objects.filter(pk__in=ids).values_list("pk", "feed_xid"))
    events_before = CaseEvent.objects.filter(case_id__in=ids, action="reported").count()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        for start in range(0, len(ids), services.MAX_REPORTS):
            chunk = ids[start : start + services.MAX_REPORTS]
            services.report(round=round, actor=officer, items=[{"case": pk, "progress": None} for pk in chunk])
        seconds = time.perf_counter() - started
    assert RoundCase.objects.filter(round=round, reported_at__isnull=True).count() == 0
    assert CaseEvent.objects.filter(case_id__in=ids, action="reported").count() == events_before + len(ids)
    moved = dict(Case.objects.filter(pk__in=ids).values_list("pk", "feed_xid"))
    assert all(moved[pk] != positions[pk] for pk in ids), "a case's feed position did not move"
    return seconds, len(queries), len(ids)


def main(argv=None) -> None:
    args = parse_args(argv)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.conf import settings

    settings.DEBUG = False
    campaign, supervisor, officer = build(args.cases)
    from dispatch.services import MAX_REPORTS

    print(f"{args.cases} cases of one county, no change on each, at most {MAX_REPORTS} a request")
    for number in range(1, args.runs + 1):
        seconds, queries, cases = run(campaign, supervisor, officer, number)
        print(f"run {number}: {cases} reports in {seconds:.2f} s, {queries} queries ({cases / seconds:.0f} reports/s)")


if __name__ == "__main__":
    main(sys.argv[1:])
