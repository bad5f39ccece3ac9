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
            deltas=Count("id"),
        )
    )
    result, stored = {}, 0
    for row in rows:
        stored += row.pop("deltas")
        key = (row.pop("kind"), row.pop("city_id"))
        if row["total"] or row["reopened"]:
            result[key] = row | {"overdue": 0}
    overdue = cases.overdue(today).order_by().values_list("kind", "city_id").annotate(n=Count("*"))
    for kind, city, n in overdue:
        result.setdefault((kind, city), empty_statistics())["overdue"] = n
    if stored > COMPACT_AFTER_ROWS + 4 * len(result):
        compact_tallies()
    return result


def compact_tallies() -> None:
    """Replace the delta rows by one row per key. DELETE ... RETURNING
    removes exactly the rows it sums, so a delta committed meanwhile by a
    writer is left for the next compaction, never lost or counted twice."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
            if not cursor.fetchone()[0]:
                return  # another request is compacting
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
