"""Time the reminder run at national scale on PostgreSQL.

    python -m bench.reminder_run --cases 1000000 --overdue 50000

Builds the data in its own database (h_rem_bench by default, created if
missing, rebuilt when the sizes differ or with --rebuild) with INSERT ...
SELECT over generate_series. The deadlines are relative to the day the data
was built, and the job runs for that day, so a dataset built yesterday is
reused as it is. Then it runs the day's job twice: a dry run (plan only) and
a real run sending every digest to the in-memory mail backend in this
process. For each it prints seconds, queries and messages. A second real
run the same day shows the exactly-once path (nothing sent).

With --broker redis://... it then times the Celery path as well: the daily
task queued on that Redis, run by a worker (solo pool, in a thread of this
process so that it shares the in-memory outbox) together with the batch
tasks it queues, until every digest of the day is done.

The officers are one per city: the 11 Jiangxi cities plus synthetic ones
up to --cities (333, about China's prefecture-level divisions).
"""

import argparse
import datetime
import os
import sys
import time

from bench.databases import ensure_database

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/h_rem_bench"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.reminder_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=50_000)
    parser.add_argument("--due-soon", type=int, default=20_000, help="open cases due within 7 days")
    parser.add_argument("--pending", type=int, default=10_000, help="cases awaiting acceptance (with their event)")
    parser.add_argument("--cities", type=int, default=333)
    parser.add_argument("--supervisors", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if the sizes match")
    parser.add_argument("--broker", help="a Redis URL: also time the run through a Celery worker on it")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url: the benchmark needs PostgreSQL")
    if args.overdue + args.due_soon + args.pending > args.cases:
        parser.error("--cases must be at least --overdue + --due-soon + --pending")
    return args


def setup_django(url: str, broker: str | None) -> None:
    os.environ["DATABASE_URL"] = url
    if broker:
        os.environ["REDIS_URL"] = broker
    else:
        os.environ.pop("REDIS_URL", None)  # the run happens in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The worker's line per task would drown the figures.
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)


def build(args, today: datetime.date) -> datetime.date:
    """Synthetic cities, accounts and cases, all in one transaction. Returns
    the day the data is for (an existing dataset's own day when reused)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from cases.models import Campaign, Case, City, Division

    call_command("migrate", verbosity=0)
    sizes = f"{args.cases}/{args.overdue}/{args.due_soon}/{args.pending}/{args.cities}/{args.supervisors}"
    campaign = Campaign.objects.filter(code="bench").first()
    if campaign and campaign.name_en.rpartition("/")[0] == sizes and not args.rebuild:
        built_for = datetime.date.fromisoformat(campaign.name_en.rpartition("/")[2])
        print(f"data already built ({sizes}, for {built_for})")
        return built_for
    fingerprint = f"{sizes}/{today}"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE reminders_reminderlog, cases_attachment, cases_caseevent, cases_case CASCADE")
        User.objects.filter(username__startswith="bench_").delete()
        City.objects.filter(code__startswith="9").delete()
        Division.objects.filter(code__startswith="9").exclude(level="province").delete()
        # Synthetic cities of a synthetic province (900000), each a division.
        Division.objects.get_or_create(code="900000", defaults={"name": "合成省", "level": "province", "kind": "province"})
        synthetic = [f"9{i + 1:03d}00" for i in range(max(args.cities - City.objects.count(), 0))]
        Division.objects.bulk_create(
            Division(code=code, name=f"合成市{i}", level="city", kind="prefecture_city", parent_id="900000")
            for i, code in enumerate(synthetic)
        )
        City.objects.bulk_create(
            City(code=code, name=f"合成市{i}", name_en=f"Synthetic {i}", slug=f"bench-{i}")
            for i, code in enumerate(synthetic)
        )
        Campaign.objects.filter(code="bench").delete()
        campaign = Campaign.objects.create(code="bench", kind="central", name="基准测试（合成数据）", name_en=fingerprint)
        cities = list(City.objects.values_list("code", flat=True))
        officers = [
            User(
                username=f"bench_officer_{code}",
                email=f"officer-{code}@bench.invalid",
                role="officer",
                city_id=code,
                division_id=code,
            )
            for code in cities
        ]
        supervisors = [
            User(
                username=f"bench_supervisor_{i}",
                email=f"supervisor-{i}@bench.invalid",
                role="supervisor",
                division_id="360000",
            )
            for i in range(args.supervisors)
        ]
        User.objects.bulk_create(officers + supervisors)
        insert_cases(cursor, Case, campaign.pk, cities, args, today)
        insert_pending_events(cursor, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case; ANALYZE cases_caseevent; ANALYZE accounts_user")
    print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
    return today


def insert_cases(cursor, Case, campaign_id, cities, args, today) -> None:
    """Case i (1-based): the first --overdue are overdue 1-120 days, then
    --due-soon due within 7 days, then --pending awaiting acceptance, then
    for the rest three in four closed and one open with a far deadline."""
    from django.db import connection

    o, d, p = args.overdue, args.overdue + args.due_soon, args.overdue + args.due_soon + args.pending
    expressions = {
        "campaign_id": "%(campaign)s",
        "reference": "'B-' || i",
        "kind": "'feedback_problem'",
        "title": "'基准测试问题 ' || i || '（合成数据）'",
        "city_id": "(%(cities)s::varchar[])[1 + i %% %(n_cities)s]",
        "division_id": "(%(cities)s::varchar[])[1 + i %% %(n_cities)s]",
        "deadline_type": "'dated'",
        "deadline": f"""CASE WHEN i <= {o} THEN %(today)s::date - (1 + i %% 120)
                             WHEN i <= {d} THEN %(today)s::date + (i %% 8)
                             WHEN i <= {p} THEN %(today)s::date - (i %% 60)
                             WHEN i %% 4 = 0 THEN %(today)s::date + 30 + (i %% 300)
                             ELSE %(today)s::date - (1 + i %% 700) END""",
        "status": f"""CASE WHEN i <= {o} THEN (CASE WHEN i %% 2 = 0 THEN 'in_progress' ELSE 'assigned' END)
                           WHEN i <= {d} THEN 'in_progress'
                           WHEN i <= {p} THEN 'pending_acceptance'
                           WHEN i %% 4 = 0 THEN 'in_progress'
                           ELSE 'closed' END""",
    }
    # Every other column gets its model default, so the insert keeps up
    # with fields other apps add to Case.
    params = {"campaign": campaign_id, "cities": cities, "n_cities": len(cities), "today": today}
    columns, values = [], []
    for field in Case._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
        elif field.null and not field.has_default():
            values.append("NULL")
        else:
            default = field.get_default() if field.has_default() else ""
            params[field.column] = field.get_db_prep_save(default, connection)
            values.append(f"%({field.column})s")
    sql = (
        f"INSERT INTO cases_case ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, %(total)s) AS i"
    )
    params["total"] = args.cases
    cursor.execute(sql, params)


def insert_pending_events(cursor, today) -> None:
    """Each case awaiting acceptance got there 1-20 days ago."""
    cursor.execute(
        """
        INSERT INTO cases_caseevent
               (case_id, actor_id, created_at, action, from_status, to_status, note, changes, version)
        SELECT id, NULL, %s::date - (id %% 20 + 1)::int + time '10:00', 'transition', 'in_progress',
               'pending_acceptance', '合成', '{}'::jsonb, version
        FROM cases_case WHERE status = 'pending_acceptance'
        """,
        [today],
    )


def measure(label: str, run):
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mail.outbox = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = run()
        seconds = time.perf_counter() - started
    print(
        f"{label:<28} {seconds:6.2f} s  {len(queries.captured_queries):5d} queries  "
        f"{len(mail.outbox):5d} messages  {len(report.lines):5d} digests planned"
    )
    return report


def measure_worker(app, today, digests: int) -> None:
    """The daily task through the broker and a real worker, timed from
    queuing it until the last of ``digests`` digests is done."""
    import threading

    from celery.contrib.testing.worker import start_worker
    from django.core import mail
    from django.db.backends.signals import connection_created

    from reminders.models import FINAL_STATES, ReminderLog
    from reminders.tasks import send_reminders

    queries = []

    def count_queries(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    def watch(sender, connection, **kwargs):  # the worker thread's connection, not this one's polling
        # The worker closes and reopens its connection between tasks.
        if threading.current_thread() is not threading.main_thread() and count_queries not in connection.execute_wrappers:
            connection.execute_wrappers.append(count_queries)

    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    ReminderLog.objects.filter(digest_on=today).delete()
    mail.outbox = []
    app.control.purge()
    connection_created.connect(watch)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        started = time.perf_counter()
        send_reminders.delay(today.isoformat())
        done = ReminderLog.objects.filter(digest_on=today, state__in=FINAL_STATES)
        while done.count() < digests:
            if time.perf_counter() - started > 600:
                raise SystemExit("the worker did not finish within 10 minutes")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    print(f"{'run through a worker':<28} {seconds:6.2f} s  {len(queries):5d} queries  {len(mail.outbox):5d} messages")


def main(argv=None) -> None:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    ensure_database(args.database_url)
    setup_django(args.database_url, args.broker)

    from cases.querysets import local_today
    from reminders.models import ReminderLog
    from reminders.services import run_reminders
    from reminders.tasks import enqueue_digests
    from tracker.celery import app

    today = build(args, local_today())
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    ReminderLog.objects.filter(digest_on=today).delete()

    from cases.models import Case

    print(
        f"{Case.objects.count():,} cases, {Case.objects.not_withdrawn().overdue(today).count():,} overdue, "
        f"{Case.objects.not_withdrawn().due_soon(today).count():,} due soon, on {today}"
    )
    digests = len(measure("dry run", lambda: run_reminders(today=today, dry_run=True)).lines)
    measure("run, sending", lambda: run_reminders(today=today, dispatch=enqueue_digests))
    measure("second run the same day", lambda: run_reminders(today=today, dispatch=enqueue_digests))
    if args.broker:
        measure_worker(app, today, digests)


if __name__ == "__main__":
    main()
