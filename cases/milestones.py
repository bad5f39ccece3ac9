"""Milestones (阶段性目标): the yearly targets of a long-term (长期坚持) case.

A long-term case has no final deadline, so its ``deadline`` holds the date
of its earliest unmet milestone (none when every one is met). Overdue stays
one rule on one column: a missed target makes the case overdue in the
lists, the reminders, the statistics and the API exactly as a missed
deadline does. Every service here writes the milestone and the recomputed
deadline through ``write_case`` in one transaction: the version moves, the
timeline records it, the feed and the counts see it.

Whoever may edit the case may set its targets: its holders within their
scope (the officer of its division's subtree while the case is with it,
the supervisor, a read-write API client)."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from .constants import DeadlineType, EventAction
from .errors import CaseError, InvalidInput, RoleNotAllowed
from .models import Case, Milestone, next_target_on
from .querysets import local_today
from .validation import NOTE_TEXT, checked_text
from .workflow import ensure_can_see, ensure_can_write
from .writes import ensure_version, write_case

FOLLOWS_MILESTONES = _(
    "A long-term case's deadline follows its milestones (阶段性目标): it is the date of the next unmet "
    "yearly target. Add, edit or mark a milestone instead of setting the deadline."
)
KEEPS_MILESTONES = _("This long-term case has milestones (阶段性目标); its deadline type cannot be changed.")
KEEP = object()  # a write that does not name the deadline


class MilestoneNotFound(CaseError):
    code = "not_found"
    http_status = 404

    def __init__(self):
        super().__init__(_("This case has no such milestone."), field="milestone")


def deadline_after_edit(*, case_id: int | None, old_type: str, current, new_type: str, given=KEEP):
    """The deadline an edit leaves on a case, for the edit's own checks to
    follow: a case that stays long-term keeps the date its milestones set
    (a deadline given must be that date, or null: no deadline of its own);
    a case with milestones stays long-term. InvalidInput naming the field
    otherwise."""
    if old_type == DeadlineType.LONG_TERM and new_type == DeadlineType.LONG_TERM:
        if given is not KEEP and given is not None and given != current:
            raise InvalidInput("deadline", FOLLOWS_MILESTONES, code="follows_milestones")
        return current
    if old_type == DeadlineType.LONG_TERM and case_id is not None and Milestone.objects.filter(case_id=case_id).exists():
        raise InvalidInput("deadline_type", KEEPS_MILESTONES, code="has_milestones")
    return current if given is KEEP else given


def ensure_may_set_milestones(case: Case, actor) -> None:
    """404 outside the actor's scope, 403 for an account that may not edit
    the case now, 400 for a case that is not long-term."""
    from .services import editable_fields

    ensure_can_see(case, actor)
    ensure_can_write(actor)
    if not editable_fields(case, actor):
        raise RoleNotAllowed(_("This case is not editable by you in its current status."), code="not_editable")
    if case.deadline_type != DeadlineType.LONG_TERM:
        raise InvalidInput(
            "deadline_type",
            _("Only long-term (长期坚持) cases have milestones; this case's deadline type is “%(type)s”.")
            % {"type": DeadlineType(case.deadline_type).label},
            code="not_long_term",
        )


def may_set_milestones(case: Case, actor) -> bool:
    try:
        ensure_may_set_milestones(case, actor)
    except (InvalidInput, RoleNotAllowed):
        return False
    return True


def _date(value, field: str, *, required: bool) -> datetime.date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(field, _("This field is required."), code="required")
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        parsed = parse_date(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(field, _("Enter a date as YYYY-MM-DD."))
    return parsed


def _met_on(value) -> datetime.date | None:
    met_on = _date(value, "met_on", required=False)
    if met_on is not None and met_on > local_today():
        raise InvalidInput("met_on", _("A target cannot be met on a day still to come."))
    return met_on


def _target(value) -> str:
    target = checked_text(value, field="target", limit=NOTE_TEXT)
    if not target:
        raise InvalidInput("target", _("Write the target."), code="required")
    return target


def _snapshot(milestone: Milestone | None) -> dict | None:
    """A milestone as the timeline records it."""
    if milestone is None:
        return None
    return {
        "id": milestone.pk,
        "due_on": str(milestone.due_on),
        "target": milestone.target,
        "met_on": str(milestone.met_on) if milestone.met_on else None,
        "note": milestone.note,
    }


def _write(case: Case, *, actor, before: dict | None, milestone: Milestone, expected_version: int | None) -> None:
    """Save ``milestone`` and the deadline it leaves, with the event, all or
    nothing. A writer that lost the compare-and-swap rolls its milestone
    back with it, so the deadline always matches the committed milestones."""
    ensure_version(case, expected_version)
    with transaction.atomic():
        milestone.save()
        deadline = next_target_on(case.pk)
        changes = {"milestone": [before, _snapshot(milestone)]}
        if deadline != case.deadline:
            changes["deadline"] = [str(case.deadline) if case.deadline else None, str(deadline) if deadline else None]
        write_case(
            case,
            actor=actor,
            at=timezone.now(),
            action=EventAction.UPDATED,
            values={"deadline": deadline},
            changes=changes,
        )


def add_milestone(
    *, case: Case, actor, due_on, target, note="", met_on=None, expected_version: int | None = None
) -> Milestone:
    """Give a long-term case a yearly target (met already if ``met_on``)."""
    ensure_may_set_milestones(case, actor)
    errors = {}
    values = {}
    for field, parse in (
        ("due_on", lambda v: _date(v, "due_on", required=True)),
        ("target", _target),
        ("note", lambda v: checked_text(v, field="note", limit=NOTE_TEXT)),
        ("met_on", _met_on),
    ):
        try:
            values[field] = parse({"due_on": due_on, "target": target, "note": note, "met_on": met_on}[field])
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput.from_errors(errors)
    milestone = Milestone(case=case, met_by=actor if values["met_on"] else None, **values)
    _write(case, actor=actor, before=None, milestone=milestone, expected_version=expected_version)
    return milestone


EDITABLE = ("due_on", "target", "note", "met_on")


def edit_milestone(*, case: Case, actor, milestone_id: int, data: dict, expected_version: int | None = None) -> Milestone:
    """Change a target's date, text or note, or mark it met (``met_on`` a
    date) or not met (``met_on`` null). Unchanged values write nothing."""
    ensure_may_set_milestones(case, actor)
    milestone = Milestone.objects.filter(case=case, pk=milestone_id).first()
    if milestone is None:
        raise MilestoneNotFound()
    before = _snapshot(milestone)
    errors = {}
    for field, value in data.items():
        try:
            if field not in EDITABLE:
                raise InvalidInput(field, _("Unknown field."))
            if field == "due_on":
                milestone.due_on = _date(value, field, required=True)
            elif field == "target":
                milestone.target = _target(value)
            elif field == "note":
                milestone.note = checked_text(value, field="note", limit=NOTE_TEXT)
            else:
                met_on = _met_on(value)
                if met_on != milestone.met_on:
                    milestone.met_on, milestone.met_by = met_on, actor if met_on else None
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput.from_errors(errors)
    if _snapshot(milestone) == before:
        ensure_version(case, expected_version)
        return milestone
    _write(case, actor=actor, before=before, milestone=milestone, expected_version=expected_version)
    return milestone


def mark_met(*, case: Case, actor, milestone_id: int, met_on=None, expected_version: int | None = None) -> Milestone:
    """Mark a target met (today unless ``met_on`` says when)."""
    return edit_milestone(
        case=case,
        actor=actor,
        milestone_id=milestone_id,
        data={"met_on": met_on or local_today()},
        expected_version=expected_version,
    )


def unmark_met(*, case: Case, actor, milestone_id: int, expected_version: int | None = None) -> Milestone:
    """A target marked met by mistake is unmet again."""
    return edit_milestone(
        case=case, actor=actor, milestone_id=milestone_id, data={"met_on": None}, expected_version=expected_version
    )


def delete_milestone(*, case: Case, actor, milestone_id: int, expected_version: int | None = None) -> None:
    """Remove a target set by mistake. Nothing is hard-deleted: the row
    stays, marked removed (``removed_at``, ``removed_by``), and no longer
    counts anywhere; the timeline keeps what it was (the event records the
    milestone removed) and the deadline follows the targets left. A target
    already removed is unknown (404), as one never set is."""
    ensure_may_set_milestones(case, actor)
    milestone = Milestone.objects.filter(case=case, pk=milestone_id).first()
    if milestone is None:
        raise MilestoneNotFound()
    ensure_version(case, expected_version)
    before = _snapshot(milestone)
    now = timezone.now()
    with transaction.atomic():
        # Only a target still live is removed: of two removals racing, the
        # second changes no row and its compare-and-swap on the case fails.
        Milestone.objects.filter(pk=milestone.pk).update(removed_at=now, removed_by=actor)
        deadline = next_target_on(case.pk)
        changes = {"milestone": [before, None]}
        if deadline != case.deadline:
            changes["deadline"] = [str(case.deadline) if case.deadline else None, str(deadline) if deadline else None]
        write_case(
            case,
            actor=actor,
            at=now,
            action=EventAction.UPDATED,
            values={"deadline": deadline},
            changes=changes,
        )


# --- a whole list at once: the bulk upsert and the imports -------------------

LIST_FIELDS = ("due_on", "target", "met_on")


def clean_milestone_list(value) -> list[dict]:
    """The milestones a bulk item (or a ledger row) gives a case: a list of
    {due_on, target, met_on?}, each checked as a single milestone is.
    InvalidInput naming ``milestones`` with the number of the entry
    otherwise. Returns {due_on (date), target, met_on (date or None)} in
    the order given."""
    if not isinstance(value, list):
        raise InvalidInput(
            "milestones", _("Send the milestones as a list of objects with due_on, target and optionally met_on.")
        )
    cleaned, seen, messages = [], set(), []
    for number, entry in enumerate(value, start=1):
        try:
            if not isinstance(entry, dict):
                raise InvalidInput("milestones", _("Each milestone is an object with due_on, target and optionally met_on."))
            unknown = sorted(str(name) for name in entry if name not in LIST_FIELDS)
            if unknown:
                raise InvalidInput("milestones", _("Unknown field “%(name)s”.") % {"name": ", ".join(unknown)})
            milestone = {
                "due_on": _date(entry.get("due_on"), "due_on", required=True),
                "target": _target(entry.get("target")),
                "met_on": _met_on(entry.get("met_on")),
            }
            key = (milestone["due_on"], milestone["target"])
            if key in seen:
                raise InvalidInput("milestones", _("The same target with the same date is given twice."))
            seen.add(key)
            cleaned.append(milestone)
        except InvalidInput as error:
            text = str(error.message)
            if error.field not in (None, "milestones"):
                text = f"{error.field}: {text}"
            messages.append(_("Milestone %(number)d: %(message)s") % {"number": number, "message": text})
    if messages:
        raise InvalidInput("milestones", messages[0], errors={"milestones": [str(m) for m in messages]})
    return cleaned


def list_snapshot(milestones) -> list[dict]:
    """Milestones (models or cleaned dicts) as the timeline records a list
    of them, by date."""
    rows = []
    for m in milestones:
        get = m.get if isinstance(m, dict) else lambda name, m=m: getattr(m, name)
        met_on = get("met_on")
        rows.append({"due_on": str(get("due_on")), "target": get("target"), "met_on": str(met_on) if met_on else None})
    return sorted(rows, key=lambda row: (row["due_on"], row["target"]))


@dataclass
class ListChange:
    """What replacing a case's milestones by a given list writes: the
    milestones to remove (kept, marked removed), those whose met_on
    changes, those to create, and the deadline the list leaves."""

    remove: list[int]
    met: list[tuple[int, datetime.date | None]]  # (id, met_on)
    create: list[dict]
    before: list[dict]
    after: list[dict]
    deadline: datetime.date | None


def list_change(existing: list, given: list[dict]) -> ListChange | None:
    """Replace ``existing`` (Milestone rows of one case) by ``given``
    (cleaned): a target is the same target when its date and text are; its
    met_on follows the list, its note stays. None when nothing changes."""
    before, after = list_snapshot(existing), list_snapshot(given)
    if before == after:
        return None
    stored = {(m.due_on, m.target): m for m in existing}
    wanted = {(m["due_on"], m["target"]): m for m in given}
    met = [
        (stored[key].pk, m["met_on"])
        for key, m in wanted.items()
        if key in stored and stored[key].met_on != m["met_on"]
    ]
    unmet = [m["due_on"] for m in given if m["met_on"] is None]
    return ListChange(
        remove=[m.pk for key, m in stored.items() if key not in wanted],
        met=met,
        create=[m for key, m in wanted.items() if key not in stored],
        before=before,
        after=after,
        deadline=min(unmet) if unmet else None,
    )
