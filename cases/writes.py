"""The one way a stored case changes: a compare-and-swap on its ``version``
and the event that records the change, in one transaction.

Every write calls ``write_case`` (edits, withdrawals, evidence, status
moves); the bulk upsert, which writes thousands of rows per statement,
builds the same event rows with ``event_row``. Of two writers that read
the same version exactly one wins; the other gets ConcurrentChange."""

from django.db import transaction

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
