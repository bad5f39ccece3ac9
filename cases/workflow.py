"""The rectification workflow: the one table of allowed moves and the one
function that applies it. The API, the pages, the admin and tasks change a
case's status through ``transition``; the bulk upsert (``cases.upsert``)
checks every step of a walk with ``check_step``, the same checks, takes
each step's effects from ``moved`` and writes the walks of a whole batch
at once."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .constants import EventAction, Kind, Status, Veracity, action_label, status_label
from .errors import CaseNotVisible, InvalidInput, RoleNotAllowed, TransitionNotAllowed
from .models import Case, CaseEvent
from .validation import LONG_TEXT, checked_text, clean_note
from .writes import ensure_version, write_case

CITY_ROLES = frozenset({Role.OFFICER, Role.API_CLIENT, Role.SUPERVISOR})
SUPERVISOR_ONLY = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class Rule:
    name: str  # the action's name in the domain: start, submit, accept, ...
    label: str
    roles: frozenset
    needs_note: bool = False
    # Petitions must say whether the complaint was true and what was done.
    petition_needs: tuple = ()
    counts_reopening: bool = False

    def label_for(self, kind: str | None) -> str:
        """The move's name on a case of ``kind`` (a petition is handled, not rectified)."""
        return action_label(self.name, kind, self.label)


S = Status
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.ASSIGNED, S.IN_PROGRESS): Rule("start", _("Start rectification"), CITY_ROLES),
    (S.IN_PROGRESS, S.PENDING_ACCEPTANCE): Rule(
        "submit", _("Submit for acceptance"), CITY_ROLES, needs_note=True, petition_needs=("veracity", "handling")
    ),
    (S.PENDING_ACCEPTANCE, S.IN_PUBLICITY): Rule("publicize", _("Put in publicity"), SUPERVISOR_ONLY),
    (S.PENDING_ACCEPTANCE, S.CLOSED): Rule("accept", _("Accept and close"), SUPERVISOR_ONLY),
    (S.IN_PUBLICITY, S.CLOSED): Rule("accept", _("Accept and close"), SUPERVISOR_ONLY),
    (S.PENDING_ACCEPTANCE, S.IN_PROGRESS): Rule("reject", _("Reject"), SUPERVISOR_ONLY, needs_note=True),
    (S.IN_PUBLICITY, S.IN_PROGRESS): Rule("reject", _("Reject after objection"), SUPERVISOR_ONLY, needs_note=True),
    (S.CLOSED, S.IN_PROGRESS): Rule(
        "reopen", _("Reopen (recurrence)"), SUPERVISOR_ONLY, needs_note=True, counts_reopening=True
    ),
}


def rule_for(from_status: str, to_status: str) -> Rule | None:
    return TRANSITIONS.get((from_status, to_status))


# The columns a move writes besides the version and the time of the change.
MOVED_COLUMNS = ("status", "closed_at", "reopened_count")


def moved(*, status: str, to: str, reopened_count: int, at) -> dict:
    """What an allowed move from ``status`` to ``to`` at ``at`` writes on
    the case's row (some of MOVED_COLUMNS): the new status, the closing
    time set on closing and cleared on leaving closed, a reopening
    counted. ``transition``, the bulk upsert and the demo all take a
    move's effects from here."""
    values = {"status": to}
    if to == Status.CLOSED:
        values["closed_at"] = at
    elif status == Status.CLOSED:
        values["closed_at"] = None
    if TRANSITIONS[(status, to)].counts_reopening:
        values["reopened_count"] = reopened_count + 1
    return values


def ensure_can_see(case: Case, actor) -> None:
    """Officers and city-bound clients act only on their own city's cases."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise CaseNotVisible()
    if actor.sees_whole_province:
        return
    if actor.city_id is None or case.city_id != actor.city_id:
        raise CaseNotVisible()


def ensure_can_write(actor) -> None:
    if not actor.may_write:
        raise RoleNotAllowed(_("This account is read-only."), code="read_only")


def refusal(case: Case, actor, to: str) -> Exception | None:
    """Why ``actor`` may not move ``case`` to ``to`` (before input checks),
    or None when the move is allowed. Pages use it to offer only the
    actions the viewer may take."""
    try:
        ensure_can_see(case, actor)
    except CaseNotVisible as error:
        return error
    if to not in Status.values:
        return InvalidInput("to", _("Unknown status “%(value)s”.") % {"value": to}, code="unknown_status")
    rule = rule_for(case.status, to)
    if rule is None:
        return TransitionNotAllowed(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": status_label(case.status, case.kind), "to": status_label(to, case.kind)}
        )
    if not actor.may_write:
        return RoleNotAllowed(_("This account is read-only."), code="read_only")
    if actor.role not in rule.roles:
        return RoleNotAllowed(
            _("Only a provincial supervisor may %(action)s a case.") % {"action": rule.label_for(case.kind).lower()}
            if rule.roles == SUPERVISOR_ONLY
            else _("Your role may not %(action)s a case.") % {"action": rule.label_for(case.kind).lower()}
        )
    return None


def available_transitions(case: Case, actor) -> list[tuple[str, Rule]]:
    """The moves ``actor`` may make on ``case`` now, as (to_status, rule)."""
    return [(to, rule) for (frm, to), rule in TRANSITIONS.items() if frm == case.status and refusal(case, actor, to) is None]


@dataclass(frozen=True)
class Step:
    """One checked move: its rule, the note as it will be recorded, and the
    petition fields (veracity, handling) the move sets, as [old, new]."""

    rule: Rule
    note: str
    changes: dict


def check_step(*, case, to: str, actor, note: str = "", veracity: str | None = None, handling: str | None = None) -> Step:
    """Every check ``transition`` makes before writing, without writing:
    raises the error ``transition`` would raise. ``case`` need only carry
    the attributes the rules read (status, kind, city_id, veracity,
    handling), so bulk writers can check a walk step by step in memory."""
    error = refusal(case, actor, to)
    if error is not None:
        raise error
    rule = rule_for(case.status, to)
    note = clean_note(note)
    if rule.needs_note and not note:
        raise InvalidInput(
            "note", _("A note is required to %(action)s.") % {"action": rule.label_for(case.kind).lower()}, code="required"
        )

    changes = {}
    if case.kind == Kind.PETITION and rule.petition_needs:
        veracity = case.veracity if veracity is None else veracity
        handling = case.handling if handling is None else checked_text(handling, field="handling", limit=LONG_TEXT)
        if not veracity:
            raise InvalidInput("veracity", _("Say whether the petition was true before submitting it."), code="required")
        if veracity not in Veracity.values:
            raise InvalidInput("veracity", _("Unknown veracity “%(value)s”.") % {"value": veracity})
        if not handling:
            raise InvalidInput("handling", _("Describe the handling before submitting the petition."), code="required")
        for field, value in (("veracity", veracity), ("handling", handling)):
            if getattr(case, field) != value:
                changes[field] = [getattr(case, field), value]
    return Step(rule, note, changes)


def transition(
    *,
    case: Case,
    to: str,
    actor,
    note: str = "",
    expected_version: int | None = None,
    veracity: str | None = None,
    handling: str | None = None,
) -> Case:
    """Move ``case`` to status ``to`` on behalf of ``actor``.

    Checks, in order: the actor may see the case (else CaseNotVisible), the
    status exists and the table allows the move (TransitionNotAllowed), the
    role may make it (RoleNotAllowed), the required input is there
    (InvalidInput). Then ``cases.writes.write_case`` changes the row with a
    compare-and-swap on its version and writes the event in the same
    transaction: of two racing writers exactly one wins; the other gets
    ConcurrentChange.
    """
    step = check_step(case=case, to=to, actor=actor, note=note, veracity=veracity, handling=handling)
    note, changes = step.note, step.changes
    ensure_version(case, expected_version)
    now = timezone.now()
    values = {field: new for field, (old, new) in changes.items()}
    values.update(moved(status=case.status, to=to, reopened_count=case.reopened_count, at=now))
    write_case(
        case,
        actor=actor,
        at=now,
        action=EventAction.TRANSITION,
        values=values,
        from_status=case.status,
        to_status=to,
        note=note,
        changes=changes,
    )
    return case


def standing_returns(cases) -> dict:
    """{case id: the event that returned it} for each of ``cases`` the
    supervisor sent back to its city (a ``reject`` move) and the city has
    not submitted again: its status is still the one the return set and no
    other move has happened since. One query for a page of cases; the
    event's note is the reason."""
    rejected_to = {to for (frm, to), rule in TRANSITIONS.items() if rule.name == "reject"}
    ids = [case.pk for case in cases if case.status in rejected_to]
    latest = {}
    events = CaseEvent.objects.filter(case_id__in=ids, action=EventAction.TRANSITION, to_status__in=rejected_to)
    for event in events.select_related("actor").order_by("case_id", "-version"):
        latest.setdefault(event.case_id, event)
    return {
        case_id: event
        for case_id, event in latest.items()
        if (rule := rule_for(event.from_status, event.to_status)) is not None and rule.name == "reject"
    }
