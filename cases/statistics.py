"""Case statistics that stay fast at national scale and exact.

Counting a million cases per request costs about 200 ms however the loop
is written, so the counts are kept instead of recomputed: triggers on
``cases_case`` append a signed delta row per (kind, city, division, status) to
``CaseTally`` in the same transaction as every insert, update or delete
(migration 0005), and the sum of a key's rows is its number of visible
cases. Writers only ever INSERT deltas, so concurrent writers neither
wait for each other on a hot counter row nor deadlock.

Overdue depends on the day, so it cannot be kept; it is counted from the
open cases only, through their partial index (a few percent of the rows).

The delta rows are folded into one row per key by ``compact_tallies``,
which beat runs every TALLY_COMPACT_SECONDS (``cases.tasks``): a page or
an API call only reads.

The reader's scope is the one boundary's (cases/scope.py): a division's
subtree is a range of division codes, on the tallies as on the cases. A
unit-bound account's cases are few and not kept apart, so they are
counted.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from .constants import Status
from .models import Case, CaseTally, Division
from .querysets import empty_statistics, local_today
from .scope import scope_of

# Folding the deltas is worth it once they outnumber the keys this much.
COMPACT_AFTER_ROWS = 2000
COMPACT_LOCK = 0x7A11  # pg advisory lock id: one compaction at a time


def case_statistics(*, user, today: datetime.date | None = None) -> dict[tuple[str, str | None], dict]:
    """Total, closed, overdue, awaiting acceptance and reopened per
    (kind, city code) over the cases ``user`` may see: the same figures as
    ``Case.objects.for_user(user).statistics(group_by=("kind", "city"))``,
    from two small queries instead of a scan of every case."""
    return _kept_counts(user=user, today=today, key="city_id")


def division_statistics(*, user, today: datetime.date | None = None) -> dict[tuple[str, str], dict]:
    """The same per (kind, division code): the finest level, which every
    coarser table (per city, per child of a division) adds up from."""
    return _kept_counts(user=user, today=today, key="division_id")


def _kept_counts(*, user, today, key: str) -> dict:
    today = today or local_today()
    scope = scope_of(user)
    cases = Case.objects.for_user(user)
    if scope is None or cases.query.is_empty():
        return {}
    if scope.unit is not None:
        return cases.statistics(today=today, group_by=("kind", key))
    rows = (
        CaseTally.objects.filter(scope.division_q())
        .order_by()
        .values("kind", key)
        .annotate(
            total=Sum("cases"),
            closed=Sum("cases", filter=Q(status=Status.CLOSED), default=0),
            awaiting_acceptance=Sum("cases", filter=Q(status=Status.PENDING_ACCEPTANCE), default=0),
            reopened=Sum("reopened"),
        )
    )
    result = {}
    for row in rows:
        group = (row.pop("kind"), row.pop(key))
        if row["total"] or row["reopened"]:
            result[group] = row | {"overdue": 0}
    overdue = cases.overdue(today).order_by().values_list("kind", key).annotate(n=Count("*"))
    for kind, group, n in overdue:
        result.setdefault((kind, group), empty_statistics())["overdue"] = n
    return result


def child_of(division: Division, code: str, parents: dict[str, str | None]) -> str | None:
    """The child of ``division`` whose subtree holds ``code`` (``code``
    itself when it is the division: its own cases), walking ``parents``."""
    while code is not None and code != division.code:
        parent = parents.get(code)
        if parent == division.code:
            return code
        code = parent
    return code


def drill_down(*, user, division: Division, today: datetime.date | None = None) -> tuple[dict, dict[str, dict]]:
    """The figures of ``division`` (as far as ``user`` may see it) and of
    each of its children: per child, the cases of its subtree; the
    division's own cases (at its level) under its own code. The children's
    rows add up to the division's exactly."""
    parents = dict(division.subtree().values_list("code", "parent_id"))
    total, children = empty_statistics(), {}
    for (_kind, code), stats in division_statistics(user=user, today=today).items():
        if code not in parents:
            continue
        child = child_of(division, code, parents)
        row = children.setdefault(child, empty_statistics())
        for name in total:
            row[name] += stats[name]
            total[name] += stats[name]
    return total, children


def compact_tallies(*, only_if_worth_it: bool = False) -> bool:
    """Replace the delta rows by one row per key; with ``only_if_worth_it``
    only when they outnumber the keys by COMPACT_AFTER_ROWS. Returns
    whether it compacted. DELETE ... RETURNING
    removes exactly the rows it sums, so a delta committed meanwhile by a
    writer is left for the next compaction, never lost or counted twice."""
    if only_if_worth_it:
        keys = CaseTally.objects.values("kind", "city_id", "division_id", "status").distinct().count()
        if CaseTally.objects.count() <= COMPACT_AFTER_ROWS + keys:
            return False
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
            if not cursor.fetchone()[0]:
                return False  # another run is compacting
        cursor.execute("DELETE FROM cases_casetally RETURNING kind, city_id, division_id, status, cases, reopened")
        sums: dict[tuple, list[int]] = {}
        for kind, city, division, status, cases, reopened in cursor.fetchall():
            total = sums.setdefault((kind, city, division, status), [0, 0])
            total[0] += cases
            total[1] += reopened
        CaseTally.objects.bulk_create(
            CaseTally(kind=kind, city_id=city, division_id=division, status=status, cases=cases, reopened=reopened)
            for (kind, city, division, status), (cases, reopened) in sums.items()
            if cases or reopened
        )
    return True
