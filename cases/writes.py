"""The one way a stored case changes: a compare-and-swap on its ``version``
and the event that records the change, in one transaction.

Every write calls ``write_case`` (edits, withdrawals, evidence, status
moves); the bulk upsert, which writes thousands of rows per statement,
builds the same event rows with ``event_row``, and ``write_cases`` does
what ``write_case`` does for many cases in a few statements (a dispatch
round's batch report). Of two writers that read the same version exactly
one wins; the other gets ConcurrentChange. The case row's UPDATE is what
the feed's and the tallies' triggers follow (migration 0004 on), however
many rows one statement writes."""

from dataclasses import dataclass, field

from django.db import connection, transaction

from .errors import ConcurrentChange
from .models import Case, CaseEvent


def event_row(
    *,
    case_id: int,
    actor_id: int | None,
    at,
    action: str,
    version: int,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    changes: dict | None = None,
) -> dict:
    """A CaseEvent's columns by attname: the event that leaves the case at
    ``version``."""
    return {
        "case_id": case_id,
        "actor_id": actor_id,
        "created_at": at,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "changes": changes if changes is not None else {},
        "version": version,
    }


def ensure_version(case: Case, expected_version: int | None) -> None:
    """The client said which version it edited; refuse if it is not the one
    read."""
    if expected_version is not None and expected_version != case.version:
        raise ConcurrentChange(case.version)


def write_case(case: Case, *, actor, at, action: str, values: dict | None = None, **event) -> CaseEvent:
    """Write ``values`` to ``case``'s row if it is still at the version
    read, bump the version, and record the event (``event``: from_status,
    to_status, note, changes), all or nothing. ``case`` is reloaded."""
    with transaction.atomic():
        swapped = Case.objects.filter(pk=case.pk, version=case.version).update(
            **(values or {}), version=case.version + 1, updated_at=at
        )
        if swapped != 1:
            raise ConcurrentChange(Case.objects.filter(pk=case.pk).values_list("version", flat=True).first())
        written = CaseEvent.objects.create(
            **event_row(
                case_id=case.pk,
                actor_id=actor.pk if actor is not None else None,
                at=at,
                action=action,
                version=case.version + 1,
                **event,
            )
        )
    case.refresh_from_db()
    return written


@dataclass
class Write:
    """One case's part of ``write_cases``: ``values`` to write to its row
    (the case as read: its ``version`` is the one compared) and its event's
    ``note`` and ``changes``."""

    case: Case
    values: dict = field(default_factory=dict)
    note: str = ""
    changes: dict = field(default_factory=dict)


def write_cases(writes: list[Write], *, actor, at, action: str) -> list[CaseEvent]:
    """``write_case`` for many cases at once, all or nothing: one
    compare-and-swap UPDATE per set of written fields (each row written only
    if still at the version read, and bumped by one), then every event in
    one INSERT. A row another writer moved on fails the whole batch with
    ConcurrentChange. Returns the events in the order of ``writes``; the
    cases passed are not reloaded."""
    groups: dict[tuple, list[Write]] = {}
    for write in writes:
        groups.setdefault(tuple(sorted(write.values)), []).append(write)
    with transaction.atomic():
        for names, group in groups.items():
            if _swap(names, group, at=at) != len(group):
                raise ConcurrentChange()
        events = CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    **event_row(
                        case_id=write.case.pk,
                        actor_id=actor.pk if actor is not None else None,
                        at=at,
                        action=action,
                        version=write.case.version + 1,
                        note=write.note,
                        changes=write.changes,
                    )
                )
                for write in writes
            ],
            batch_size=1000,
        )
    return events


def _swap(names: tuple, group: list[Write], *, at) -> int:
    """The compare-and-swap of one group (the same fields written): on
    PostgreSQL one statement over arrays of ids, versions read and values;
    elsewhere one statement per row. Returns the rows written."""
    fields = [Case._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    stamp = Case._meta.get_field("updated_at").get_db_prep_save(at, connection)
    columns = [quote(f.column) for f in fields]
    values = [[f.get_db_prep_save(w.values[f.name], connection) for f in fields] for w in group]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(["%s::bigint[]", "%s::integer[]", *(f"%s::{f.cast_db_type(connection)}[]" for f in fields)])
            names_in = ", ".join(["id", "version", *(f"v{i}" for i in range(len(fields)))])
            assignments = "".join(f"{column} = v.v{i}, " for i, column in enumerate(columns))
            cursor.execute(
                f"UPDATE {table} AS c SET {assignments}version = c.version + 1, updated_at = %s "
                f"FROM unnest({arrays}) AS v({names_in}) WHERE c.id = v.id AND c.version = v.version",
                [stamp, [w.case.pk for w in group], [w.case.version for w in group], *map(list, zip(*values))],
            )
            return cursor.rowcount
        assignments = "".join(f"{column} = %s, " for column in columns)
        cursor.executemany(
            f"UPDATE {table} SET {assignments}version = version + 1, updated_at = %s WHERE id = %s AND version = %s",
            [(*row, stamp, w.case.pk, w.case.version) for row, w in zip(values, group)],
        )
        return cursor.rowcount
