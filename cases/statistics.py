"""Case statistics that stay fast at national scale and exact.

Counting a million cases per request costs about 200 ms however the loop
is written, so the counts are kept instead of recomputed: triggers on
``cases_case`` append a signed delta row per (kind, city, status) to
``CaseTally`` in the same transaction as every insert, update or delete
(migration 0005), and the sum of a key's rows is its number of visible
cases. Writers only ever INSERT deltas, so concurrent writers neither
wait for each other on a hot counter row nor deadlock.

Overdue depends on the day, so it cannot be kept; it is counted from the
open cases only, through their partial index (a few percent of the rows).

The delta rows are folded into one row per key by ``compact_tallies``,
which beat runs every TALLY_COMPACT_SECONDS (``cases.tasks``): a page or
an API call only reads.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from .constants import Status
from .models import Case, CaseTally
from .querysets import empty_statistics, local_today

# Folding the deltas is worth it once they outnumber the keys this much.
COMPACT_AFTER_ROWS = 2000
COMPACT_LOCK = 0x7A11  # pg advisory lock id: one compaction at a time


def case_statistics(*, user, today: datetime.date | None = None) -> dict[tuple[str, str | None], dict]:
    """Total, closed, overdue, awaiting acceptance and reopened per
    (kind, city code) over the cases ``user`` may see: the same figures as
    ``Case.objects.for_user(user).statistics(group_by=("kind", "city"))``,
    from two small queries instead of a scan of every case."""
    today = today or local_today()
    cases = Case.objects.for_user(user)
    if cases.query.is_empty():
        return {}
    tallies = CaseTally.objects.all()
    if not user.sees_whole_province:
        tallies = tallies.filter(city_id=user.city_id)
    rows = (
        tallies.order_by()
        .values("kind", "city_id")
        .annotate(
            total=Sum("cases"),
            closed=Sum("cases", filter=Q(status=Status.CLOSED), default=0),
            awaiting_acceptance=Sum("cases", filter=Q(status=Status.PENDING_ACCEPTANCE), default=0),
            reopened=Sum("reopened"),
        )
    )
    result = {}
    for row in rows:
        key = (row.pop("kind"), row.pop("city_id"))
        if row["total"] or row["reopened"]:
            result[key] = row | {"overdue": 0}
    overdue = cases.overdue(today).order_by().values_list("kind", "city_id").annotate(n=Count("*"))
    for kind, city, n in overdue:
        result.setdefault((kind, city), empty_statistics())["overdue"] = n
    return result


def compact_tallies(*, only_if_worth_it: bool = False) -> bool:
    """Replace the delta rows by one row per key; with ``only_if_worth_it``
    only when they outnumber the keys by COMPACT_AFTER_ROWS. Returns
    whether it compacted. DELETE ... RETURNING
    removes exactly the rows it sums, so a delta committed meanwhile by a
    writer is left for the next compaction, never lost or counted twice."""
    if only_if_worth_it:
        keys = CaseTally.objects.values("kind", "city_id", "status").distinct().count()
        if CaseTally.objects.count() <= COMPACT_AFTER_ROWS + keys:
            return False
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
            if not cursor.fetchone()[0]:
                return False  # another run is compacting
        cursor.execute("DELETE FROM cases_casetally RETURNING kind, city_id, status, cases, reopened")
        sums: dict[tuple, list[int]] = {}
        for kind, city, status, cases, reopened in cursor.fetchall():
            total = sums.setdefault((kind, city, status), [0, 0])
            total[0] += cases
            total[1] += reopened
        CaseTally.objects.bulk_create(
            CaseTally(kind=kind, city_id=city, status=status, cases=cases, reopened=reopened)
            for (kind, city, status), (cases, reopened) in sums.items()
            if cases or reopened
        )
    return True
