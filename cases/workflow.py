"""The rectification workflow: the one table of moves and the one function
that applies it. The API, the pages, the admin and tasks move a case
through ``transition``; the bulk upsert (``cases.upsert``) checks every
step of a walk with ``check_step``, the same checks, takes each step's
effects from ``moved`` and writes the walks of a whole batch at once.

A submitted case climbs a chain of review levels (DESIGN section 3): each
level above the case's own, up to the campaign's accepting level, approves
it (passes it up) or returns it to the level below; the accepting level
puts it in publicity or closes it. The chain is data the table reads
(``review_chain``); nobody acts at a level that is not theirs.

Who reviews (DESIGN section 4): a county's case is reviewed by its city,
then accepted by the province (or closed by the city where the campaign
accepts at the city); a city's case goes straight to the province. The
county level never reviews: its submission is its self-check (自查), so
the county bureau signs it by submitting with a note, and a county
account asked to approve or return is told it cannot review its own
submission (``own_submission``). Likewise a city bureau does not review
its own city's cases.

Recording a ledger (the bulk upsert and the imports, never the one-case
transition or the pages): the provincial office loads ledgers of cases
already reviewed and closed below it. Its walk may pass the review levels
below the province (``check_step(..., from_ledger=True)``): each such
level's approval is recorded as that level's review, signed by the
supervisor who recorded it, with the opinion that it was recorded from the
ledger (据台账补录). Nobody else gains anything: a city or county account's
walk meets the same rules as its one-case moves."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .constants import LEVELS_UP, EventAction, Kind, Level, ReviewResult, Status, Veracity, action_label, status_label
from .divisions import level_of
from .errors import CaseNotVisible, InvalidInput, RoleNotAllowed, TransitionNotAllowed
from .models import Attachment, Case, CaseEvent, EvidenceStandard, Objection, Review
from .scope import scope_of
from .validation import LONG_TEXT, checked_text, clean_note
from .writes import ensure_version, write_case

S = Status


class By:
    """Who makes a move."""

    HOLDER = "holder"  # the side that rectifies: its city (officer, city client) or the supervisor
    STAGE = "stage"  # the level the case waits at
    ACCEPTOR = "acceptor"  # the case's accepting level


@dataclass(frozen=True)
class Rule:
    name: str  # the action: start, submit, approve, return, publicize, object, close, reopen
    label: str
    sources: tuple  # the statuses it leaves
    target: str  # the status it leads to (approve, and return above the first level, stay awaiting acceptance)
    by: str
    needs_note: bool = False
    # Petitions must say whether the complaint was true and what was done.
    petition_needs: tuple = ()
    counts_reopening: bool = False
    review: str = ""  # the ReviewResult the move signs, if it is a review
    needs_channel: bool = False  # an objection says how it was received

    def label_for(self, kind: str | None) -> str:
        """The move's name on a case of ``kind`` (a petition is handled, not rectified)."""
        return action_label(self.name, kind, self.label)


# The one table. The order is the order of the work (pages offer moves in it).
MOVES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("start", _("Start rectification"), (S.ASSIGNED,), S.IN_PROGRESS, By.HOLDER),
        Rule(
            "submit", _("Submit for acceptance"), (S.IN_PROGRESS,), S.PENDING_ACCEPTANCE, By.HOLDER,
            needs_note=True, petition_needs=("veracity", "handling"),
        ),
        Rule(
            "approve", _("Approve and pass up"), (S.PENDING_ACCEPTANCE,), S.PENDING_ACCEPTANCE, By.STAGE,
            review=ReviewResult.APPROVED,
        ),
        Rule(
            "publicize", _("Accept and put in publicity"), (S.PENDING_ACCEPTANCE,), S.IN_PUBLICITY, By.ACCEPTOR,
            review=ReviewResult.PUBLICIZED,
        ),
        Rule(
            "close", _("Accept and close"), (S.PENDING_ACCEPTANCE, S.IN_PUBLICITY), S.CLOSED, By.ACCEPTOR,
            review=ReviewResult.CLOSED,
        ),
        Rule(
            "return", _("Return"), (S.PENDING_ACCEPTANCE,), S.IN_PROGRESS, By.STAGE,
            needs_note=True, review=ReviewResult.RETURNED,
        ),
        Rule(
            "object", _("Record an objection"), (S.IN_PUBLICITY,), S.IN_PROGRESS, By.ACCEPTOR,
            needs_note=True, needs_channel=True,
        ),
        Rule(
            "reopen", _("Reopen (recurrence)"), (S.CLOSED,), S.IN_PROGRESS, By.ACCEPTOR,
            needs_note=True, counts_reopening=True,
        ),
    )
}  # fmt: skip
# The same moves by the statuses they join, for clients that name the
# status to reach ({"to": ...}, the bulk upsert's walks).
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (source, rule.target): rule for rule in MOVES.values() for source in rule.sources if source != rule.target
}


def rule_for(from_status: str, to_status: str) -> Rule | None:
    return TRANSITIONS.get((from_status, to_status))


# --- the chain -------------------------------------------------------------


def case_level(case) -> str:
    """The level of the case's responsible division: county, city or province."""
    return level_of(case.division_id)


def accepting_level(case) -> str:
    return case.campaign.accepting_level


def review_chain(case) -> list[str]:
    """The levels a submission climbs, bottom up: each level above the
    case's own up to its accepting level, and at least the level just above
    (nobody reviews their own submission); a province-level case is
    reviewed by the province."""
    above = list(LEVELS_UP[LEVELS_UP.index(case_level(case)) + 1 :]) or [Level.PROVINCE]
    top = max(LEVELS_UP.index(accepting_level(case)), LEVELS_UP.index(above[0]))
    return [level for level in above if LEVELS_UP.index(level) <= top]


def waiting_at(case, chain: list[str] | None = None) -> str:
    """The level a case awaiting acceptance or in publicity waits at ("" for
    other statuses). Rows written before the chain existed wait at their
    first level."""
    if case.status not in (S.PENDING_ACCEPTANCE, S.IN_PUBLICITY):
        return ""
    chain = chain or review_chain(case)
    if case.status == S.IN_PUBLICITY:
        return chain[-1]
    return case.review_stage if case.review_stage in chain else chain[0]


def acting_level(actor) -> str | None:
    """The level of the tree ``actor`` acts for: the provincial supervisor
    the province; a city or county bureau's officer or system (bound to the
    division itself, not to a unit of it) its city or county; nobody else
    (units, province-wide systems, administrators)."""
    if actor.role == Role.SUPERVISOR:
        return Level.PROVINCE
    bureau = actor.city_id is not None and actor.unit_id is None and actor.role in (Role.OFFICER, Role.API_CLIENT)
    return level_of(actor.division_id) if bureau else None


def review_level(actor) -> str | None:
    """The level at which ``actor`` reviews: its acting level, except a
    county's, which is never in a chain (see the module's docstring)."""
    level = acting_level(actor)
    return None if level == Level.COUNTY else level


# Moves by a case's own side (start, submit), as before the chain.
HOLDER_ROLES = frozenset({Role.OFFICER, Role.API_CLIENT, Role.SUPERVISOR})


# --- effects -----------------------------------------------------------------

# The columns a move writes besides the version and the time of the change.
MOVED_COLUMNS = (
    "status", "closed_at", "reopened_count", "review_stage", "publicity_starts_on", "publicity_ends_on",
    "ready_for_sign_off_on",
)  # fmt: skip


def moved(rule: Rule, *, case, chain: list[str], at, calendar=None) -> dict:
    """What ``rule`` applied to ``case`` (its status, review stage and
    reopenings as read) at ``at`` writes on the case's row (some of
    MOVED_COLUMNS): the new status and review stage, the closing time set
    on closing and cleared on leaving closed, a reopening counted, the
    publicity period. ``transition``, the bulk upsert and the demo all take
    a move's effects from here (a writer of many moves passes one
    ``workdays.calendar.WorkCalendar``, which reads each year once)."""
    stage = waiting_at(case, chain)
    values = {"status": rule.target, "review_stage": None, "ready_for_sign_off_on": None}
    if rule.name == "submit":
        values["review_stage"] = chain[0]
    elif rule.name == "approve":
        values["review_stage"] = chain[chain.index(stage) + 1]
    elif rule.name == "return" and stage != chain[0]:
        values.update(status=S.PENDING_ACCEPTANCE, review_stage=chain[chain.index(stage) - 1])
    elif rule.name == "publicize":
        from workdays.calendar import WorkCalendar

        starts = timezone.localdate(at)
        values.update(
            review_stage=stage,
            publicity_starts_on=starts,
            publicity_ends_on=(calendar or WorkCalendar()).add_working_days(starts, case.campaign.publicity_days),
        )
    if rule.target == S.CLOSED:
        values["closed_at"] = at
    elif case.status == S.CLOSED:
        values["closed_at"] = None
    if rule.counts_reopening:
        values["reopened_count"] = case.reopened_count + 1
    return values


# --- checks -----------------------------------------------------------------


def ensure_can_see(case: Case, actor) -> None:
    """Accounts act only on the cases of their scope (the one boundary)."""
    scope = scope_of(actor)
    if scope is None or not scope.contains(case):
        raise CaseNotVisible()


def ensure_can_write(actor) -> None:
    if not actor.may_write:
        raise RoleNotAllowed(_("This account is read-only."), code="read_only")


def resolve(case, *, action: str | None = None, to: str | None = None) -> Rule:
    """The move an input names: an action, or the status to reach where
    exactly one move from the case's status leads there."""
    if action is not None:
        rule = MOVES.get(action)
        if rule is None:
            raise InvalidInput(
                "action",
                _("Unknown action “%(value)s”. Known: %(known)s.") % {"value": action, "known": ", ".join(MOVES)},
                code="unknown_action",
            )
        if case.status not in rule.sources:
            raise TransitionNotAllowed(
                _("A case “%(status)s” cannot be given the action “%(action)s”.")
                % {"status": status_label(case.status, case.kind), "action": rule.label_for(case.kind)},
                code="transition_not_allowed",
            )
        return rule
    if to not in Status.values:
        raise InvalidInput("to", _("Unknown status “%(value)s”.") % {"value": to}, code="unknown_status")
    rule = rule_for(case.status, to)
    if rule is None:
        raise TransitionNotAllowed(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": status_label(case.status, case.kind), "to": status_label(to, case.kind)}
        )
    return rule


LEDGER_OPINION = _("Recorded from the ledger by the provincial office (据台账补录): the review at %(level)s.")


def passes_by_ledger(case, actor, chain: list[str] | None = None) -> bool:
    """Whether ``actor`` recording a ledger passes the review ``case`` waits
    at: only the provincial supervisor, only a level below the province that
    is not the case's accepting level (acceptance stays with its level)."""
    if case.status != S.PENDING_ACCEPTANCE or acting_level(actor) != Level.PROVINCE:
        return False
    chain = chain or review_chain(case)
    stage = waiting_at(case, chain)
    return stage != chain[-1] and LEVELS_UP.index(stage) < LEVELS_UP.index(Level.PROVINCE)


def _chain_refusal(rule: Rule, case, actor, chain: list[str], *, from_ledger: bool = False) -> Exception | None:
    """Why the chain does not let ``actor`` make ``rule`` on ``case`` now
    (``from_ledger``: see the module's docstring)."""
    if from_ledger and rule.name == "approve" and passes_by_ledger(case, actor, chain):
        return None
    if rule.by == By.HOLDER:
        if actor.role not in HOLDER_ROLES:
            return RoleNotAllowed(_("Your role may not %(action)s a case.") % {"action": rule.label_for(case.kind).lower()})
        return None
    mine = acting_level(actor)  # a county's, so that the refusal can say why it does not review
    if mine is None:
        return RoleNotAllowed(
            _("Only a reviewing level (a city bureau or the provincial office) may %(action)s a case.")
            % {"action": rule.label_for(case.kind).lower()}
        )
    stage, accepting = waiting_at(case, chain), chain[-1]
    if rule.by == By.ACCEPTOR and mine != accepting:
        return TransitionNotAllowed(
            _("This case is accepted at %(accepting)s; your account acts at %(mine)s.")
            % {"accepting": Level(accepting).label, "mine": Level(mine).label},
            code="not_the_accepting_level",
        )
    if mine not in chain and LEVELS_UP.index(mine) <= LEVELS_UP.index(case_level(case)):
        return TransitionNotAllowed(
            _("A level does not review its own submission (its submission is its self-check): this case is reviewed by %(level)s.")
            % {"level": Level(chain[0]).label},
            code="own_submission",
        )
    if stage and mine != stage:
        return TransitionNotAllowed(
            _("The case is waiting for the review at %(stage)s; your account acts at %(mine)s.")
            % {"stage": Level(stage).label, "mine": Level(mine).label},
            code="waiting_at_another_level",
        )
    if rule.name == "approve" and stage == accepting:
        return TransitionNotAllowed(
            _("%(level)s is the accepting level: close the case or put it in publicity.")
            % {"level": Level(stage).label},
            code="accepting_level",
        )
    if rule.name == "close" and case.status == S.PENDING_ACCEPTANCE and case.campaign.publicity_required:
        return TransitionNotAllowed(
            _("This campaign requires publicity before a case is closed."), code="publicity_required"
        )
    if rule.name == "close" and case.status == S.IN_PUBLICITY and publicity_running(case):
        return TransitionNotAllowed(
            _("The publicity runs until %(date)s; the case can be closed after it.")
            % {"date": case.publicity_ends_on.isoformat()},
            code="publicity_running",
        )
    return None


def publicity_running(case, today: datetime.date | None = None) -> bool:
    """In publicity and its period not over (its last day included)."""
    today = today or timezone.localdate()
    return case.status == S.IN_PUBLICITY and case.publicity_ends_on is not None and today <= case.publicity_ends_on


def refusal(
    case: Case, actor, to: str | None = None, *, action: str | None = None, from_ledger: bool = False
) -> Exception | None:
    """Why ``actor`` may not make the move (named by ``action`` or ``to``)
    on ``case`` (before input checks), or None when it is allowed. Pages
    use it to offer only the actions the viewer may take."""
    try:
        ensure_can_see(case, actor)
        rule = resolve(case, action=action, to=to)
    except (CaseNotVisible, InvalidInput, TransitionNotAllowed) as error:
        return error
    if not actor.may_write:
        return RoleNotAllowed(_("This account is read-only."), code="read_only")
    chain = review_chain(case)
    error = _chain_refusal(rule, case, actor, chain, from_ledger=from_ledger)
    if error is not None:
        return error
    if action is None and rule.name == "return" and waiting_at(case, chain) != chain[0]:
        return TransitionNotAllowed(
            _("From %(stage)s, returning sends the case to the review below, not to “%(to)s”; use the action “return”.")
            % {"stage": Level(waiting_at(case, chain)).label, "to": status_label(to, case.kind)},
            code="use_action",
        )
    return None


def available_moves(case: Case, actor) -> list[Rule]:
    """The moves ``actor`` may make on ``case`` now, in the order of the work."""
    return [rule for rule in MOVES.values() if refusal(case, actor, action=rule.name) is None]


@dataclass(frozen=True)
class Step:
    """One checked move: its rule, the chain it climbs, the note as it
    will be recorded, the petition fields (veracity, handling) the move
    sets, as [old, new], and an objection's reception."""

    rule: Rule
    chain: list
    note: str
    changes: dict
    received_on: datetime.date | None = None
    channel: str = ""
    standards: tuple = ()  # the codes of the evidence standards ticked on acceptance
    recorded_for: str = ""  # the level whose review the province recorded from a ledger


def check_step(
    *,
    case,
    actor,
    to: str | None = None,
    action: str | None = None,
    note: str = "",
    veracity: str | None = None,
    handling: str | None = None,
    received_on=None,
    channel: str | None = None,
    standards=None,
    from_ledger: bool = False,
) -> Step:
    """Every check ``transition`` makes before writing, without writing:
    raises the error ``transition`` would raise. ``case`` need only carry
    the attributes the rules read (status, kind, division_id, campaign,
    review_stage, veracity, handling), so bulk writers can check a walk
    step by step in memory. ``from_ledger`` (the bulk upsert and the
    imports only): the provincial supervisor may approve at a level below
    it, recorded as that level's review with the opinion 据台账补录."""
    error = refusal(case, actor, to, action=action, from_ledger=from_ledger)
    if error is not None:
        raise error
    rule = resolve(case, action=action, to=to)
    note = clean_note(note)
    chain = review_chain(case)
    recorded_for = ""
    if rule.name == "approve" and acting_level(actor) != waiting_at(case, chain):
        recorded_for = waiting_at(case, chain)
        opinion = str(LEDGER_OPINION % {"level": Level(recorded_for).label})
        note = f"{opinion}\n{note}" if note else opinion
    if rule.needs_note and not note:
        raise InvalidInput(
            "note", _("A note is required to %(action)s.") % {"action": rule.label_for(case.kind).lower()}, code="required"
        )
    reception = _reception(case, received_on, channel) if rule.needs_channel else {}
    ticked = _evidence(case, standards) if is_acceptance(rule, case) else ()

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
    return Step(rule, chain, note, changes, **reception, standards=ticked, recorded_for=recorded_for)


def is_acceptance(rule: Rule, case) -> bool:
    """The move that accepts the case at its accepting level: putting it in
    publicity, or closing it straight from the review (closing after the
    publicity only completes an acceptance already made)."""
    return rule.name == "publicize" or (rule.name == "close" and case.status == S.PENDING_ACCEPTANCE)


def standards_to_tick(campaign) -> list:
    """The evidence standards the acceptor of a case of ``campaign`` ticks
    (none where the campaign does not check them)."""
    if not campaign.standards_required:
        return []
    return list(EvidenceStandard.objects.filter(campaign_kind=campaign.kind, active=True))


def offered_standards(campaigns) -> list[tuple[str, str]]:
    """(code, name) of the evidence standards an acceptor ticks once for a
    selection of cases of these ``campaigns`` (those that check them), once
    per code; pass each case ``ticked_for`` its own campaign."""
    kinds = {campaign.kind for campaign in campaigns if campaign.standards_required}
    offered = {}
    for standard in EvidenceStandard.objects.filter(campaign_kind__in=kinds, active=True):
        offered.setdefault(standard.code, standard.label)
    return list(offered.items())


def ticked_for(campaign, codes) -> list[str]:
    """Those of the ``codes`` ticked for a selection that ``campaign`` checks."""
    own = {standard.code for standard in standards_to_tick(campaign)}
    return [code for code in codes if code in own]


def _evidence(case, standards) -> tuple:
    """The evidence an acceptance needs, checked: every standard of the
    campaign's kind ticked (``standards`` holds their ids or codes) and an
    evidence file on the case, unless the campaign allows otherwise.
    Returns the codes ticked, in the checklist's order."""
    required = standards_to_tick(case.campaign)
    given = standards if isinstance(standards, (list, tuple, set)) else ([] if standards in (None, "") else [standards])
    given = {str(value).strip() for value in given}
    known = {str(s.pk) for s in required} | {s.code for s in required}
    unknown = sorted(given - known)
    if unknown:
        raise InvalidInput(
            "standards",
            _("Unknown evidence standard “%(value)s” for this campaign.") % {"value": ", ".join(unknown)},
            code="unknown_standard",
        )
    unticked = [s for s in required if str(s.pk) not in given and s.code not in given]
    if unticked:
        raise InvalidInput(
            "standards",
            _("Tick every evidence standard before accepting; not ticked: %(names)s.")
            % {"names": "; ".join(s.label for s in unticked)},
            code="unticked",
        )
    if not case.campaign.allow_acceptance_without_evidence:
        case_id = getattr(case, "pk", None) or getattr(case, "id", None)
        if case_id is None or not Attachment.objects.filter(case_id=case_id).exists():
            raise InvalidInput(
                "evidence",
                _("No evidence file is attached to this case; attach one before accepting it (this campaign requires it)."),
                code="no_evidence",
            )
    return tuple(s.code for s in required)


def _reception(case, received_on, channel) -> dict:
    """An objection's date and channel, checked: received while the
    publicity ran, not in the future."""
    channel = checked_text(channel or "", field="channel", limit=Objection._meta.get_field("channel").max_length)
    if not channel:
        raise InvalidInput("channel", _("Say how the objection was received (phone, letter, ...)."), code="required")
    today = timezone.localdate()
    if received_on in (None, ""):
        received_on = today
    elif not isinstance(received_on, datetime.date):
        try:
            received_on = parse_date(str(received_on))
        except ValueError:
            received_on = None
        if received_on is None:
            raise InvalidInput("received_on", _("Enter a date as YYYY-MM-DD."))
    if received_on > today:
        raise InvalidInput("received_on", _("The objection cannot be received in the future."))
    if case.publicity_starts_on and received_on < case.publicity_starts_on:
        raise InvalidInput(
            "received_on",
            _("The publicity started on %(date)s; an objection received before it does not belong to it.")
            % {"date": case.publicity_starts_on.isoformat()},
        )
    return {"received_on": received_on, "channel": channel}


def transition(
    *,
    case: Case,
    actor,
    to: str | None = None,
    action: str | None = None,
    note: str = "",
    expected_version: int | None = None,
    veracity: str | None = None,
    handling: str | None = None,
    received_on=None,
    channel: str | None = None,
    standards=None,
) -> Case:
    """Make the move named by ``action`` (or the one that reaches status
    ``to``) on ``case`` on behalf of ``actor``.

    Checks, in order: the actor may see the case (else CaseNotVisible), the
    move exists from the case's status (TransitionNotAllowed), the role and
    the level may make it (RoleNotAllowed; TransitionNotAllowed naming the
    rule of the chain), the required input is there (InvalidInput). Then
    ``cases.writes.write_case`` changes the row with a compare-and-swap on
    its version and writes the event in the same transaction, with the
    level's review or the objection: of two racing writers exactly one
    wins; the other gets ConcurrentChange.
    """
    step = check_step(
        case=case, to=to, action=action, actor=actor, note=note, veracity=veracity, handling=handling,
        received_on=received_on, channel=channel, standards=standards,
    )  # fmt: skip
    ensure_version(case, expected_version)
    _write_step(case, step, actor=actor, at=timezone.now())
    return case


def _write_step(case: Case, step: "Step", *, actor, at) -> CaseEvent:
    """Write a checked move: the row (compare-and-swap), its event and what
    it signs, in one transaction. ``actor`` None is the system."""
    stage, from_status = waiting_at(case, step.chain), case.status
    values = {field: new for field, (old, new) in step.changes.items()}
    values.update(moved(step.rule, case=case, chain=step.chain, at=at))
    with transaction.atomic():
        event = write_case(
            case,
            actor=actor,
            at=at,
            action=EventAction.TRANSITION,
            values=values,
            from_status=from_status,
            to_status=values["status"],
            note=step.note,
            changes=step.changes,
        )
        actor_id = actor.pk if actor is not None else None
        for row in signed_rows(step, stage=stage, case_id=case.pk, actor_id=actor_id, at=at, version=event.version):
            row.save(force_insert=True)
    return event


def close_after_publicity(case: Case, *, today: datetime.date, note: str) -> CaseEvent:
    """The system's one move: close a case whose publicity ended with no
    objection, where its campaign closes such cases by itself
    (``close_after_publicity``); signed by nobody at the accepting level.
    Raises TransitionNotAllowed otherwise, ConcurrentChange if the case
    moved meanwhile."""
    rule = MOVES["close"]
    if case.status != S.IN_PUBLICITY or publicity_running(case, today) or not case.campaign.close_after_publicity:
        raise TransitionNotAllowed(_("Only a case whose publicity has ended closes by itself, where its campaign says so."))
    return _write_step(case, Step(rule, review_chain(case), clean_note(note), {}), actor=None, at=timezone.now())


def reviewers_at(level: str, case):
    """The people who act at ``level`` of ``case``'s line of the tree: the
    province's supervisors, or the bureau (officers bound to the division
    itself, not a unit) of the case's city or county. Machine accounts are
    left out: they read no notifications."""
    from accounts.models import User

    division = {Level.PROVINCE: case.division_id[:2] + "0000", Level.CITY: case.city_id}.get(level, case.division_id)
    role = Role.SUPERVISOR if level == Level.PROVINCE else Role.OFFICER
    return User.objects.filter(is_active=True, role=role, division_id=division, unit__isnull=True)


def signed_rows(step: Step, *, stage: str, case_id: int, actor_id, at, version: int) -> list:
    """What a move signs besides its event: a level's review, or the
    objection that returned the case (unsaved, for ``transition`` and the
    bulk upsert alike)."""
    rows = []
    if step.rule.review:
        rows.append(
            Review(
                case_id=case_id, level=stage, reviewer_id=actor_id, result=step.rule.review, opinion=step.note,
                standards=list(step.standards), created_at=at, version=version,
            )
        )  # fmt: skip
    if step.rule.needs_channel:
        rows.append(
            Objection(
                case_id=case_id, received_on=step.received_on, channel=step.channel, content=step.note,
                recorded_by_id=actor_id, created_at=at, version=version,
            )
        )  # fmt: skip
    return rows


# The moves that hand a case back to the side that rectifies it.
RETURNS = ("return", "object")


def standing_returns(cases) -> dict:
    """{case id: the event that returned it} for each of ``cases`` sent back
    to the side that rectifies it (returned in review, or an objection in
    publicity) that has not been submitted again: its status is still the
    one the return set and no other move has happened since. One query for
    a page of cases; the event's note is the reason."""
    returned_to = {to for (frm, to), rule in TRANSITIONS.items() if rule.name in RETURNS}
    ids = [case.pk for case in cases if case.status in returned_to]
    latest = {}
    events = CaseEvent.objects.filter(case_id__in=ids, action=EventAction.TRANSITION, to_status__in=returned_to)
    for event in events.select_related("actor").order_by("case_id", "-version"):
        latest.setdefault(event.case_id, event)
    return {
        case_id: event
        for case_id, event in latest.items()
        if (rule := rule_for(event.from_status, event.to_status)) is not None and rule.name in RETURNS
    }
