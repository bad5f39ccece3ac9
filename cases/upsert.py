"""Bulk upsert of cases by (campaign code, reference): the API's
``/cases/bulk/`` and the Excel import both come through here.

Idempotent: an item equal to the stored case is ``unchanged`` and writes
nothing (no event, no version bump). Items are judged one by one, so one
bad row does not block the others, but every valid item of a call is
applied in one transaction. The reads are batched (one query for the
existing rows of a call) and the writes bulk, because a city's system
pushes thousands of rows at a time.

Status walks too: each step of an item's walk through the workflow table
is checked in memory with ``workflow.check_step`` (the checks
``transition`` makes), and then the final state of every case and one event
per step are written for the whole batch at once, exactly the rows a
step-by-step walk through ``transition`` would leave.
"""

import datetime
import functools
import operator
from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from accounts.models import Role

from .constants import DeadlineType, EventAction, Kind, Status
from .errors import CaseError, ConcurrentChange, InvalidInput, RoleNotAllowed
from .milestones import KEEP, ListChange, clean_milestone_list, deadline_after_edit, list_change
from .models import Campaign, Case, CaseEvent, City, Division, Milestone, Objection, Review, Unit, city_code_of
from .scope import scope_of
from .services import (
    CREATE_FIELDS,
    DEADLINE_WORKING_DAYS,
    PLACE_FIELDS,
    _serialize,
    clean_case_data,
    deadline_in_working_days,
    editable_fields,
    place_values,
    pop_working_days,
)
from .validation import FORBIDDEN, clean_note, is_list_of_text
from .workflow import MOVED_COLUMNS, TRANSITIONS, Step, check_step, moved, passes_by_ledger, signed_rows, waiting_at
from .writes import event_row

KEY_FIELDS = ("campaign", "reference")
REQUIRED_FOR_CREATE = ("kind", "title", "deadline_type")
# Keys an item may carry besides the case's fields: the target status, the
# note for the transitions it needs, and the version the client last saw.
CONTROL_FIELDS = ("status", "note", "version", "standards")
STATUS_VALUES = frozenset(Status.values)
# The API's limit per request; the service itself takes any number.
MAX_ITEMS = 500
# Every column but the feed position, which the database's trigger stamps.
COLUMNS = [f for f in Case._meta.concrete_fields if f.attname != "feed_xid"]
FOREIGN_KEYS = {"campaign", "city", "division", "lead_unit", "duplicate_of"}
# An event's mark that the province recorded this level's review from a ledger.
LEDGER_MARK = "recorded_from_ledger"
# What an item changes that is not a column of the case's row.
NOT_COLUMNS = ("cooperating_units", "milestones")


@dataclass
class ItemResult:
    index: int
    campaign: str | None
    reference: str | None
    outcome: str  # created | updated | unchanged | invalid
    id: int | None = None
    version: int | None = None
    changed_fields: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "campaign": self.campaign,
            "reference": self.reference,
            "outcome": self.outcome,
            "id": self.id,
            "version": self.version,
            "changed_fields": self.changed_fields,
            "errors": self.errors,
        }


@dataclass
class _Move:
    """One checked step of a walk."""

    from_status: str
    to_status: str
    step: Step
    stage: str  # the level the case waited at before the step


@dataclass
class _Plan:
    """What one valid item will do."""

    result: ItemResult
    row: dict  # the case's columns by attname, as they will be (before the walk, until applied)
    changes: dict  # field -> [old, new] (serialized) for an update, field -> value for a creation
    walk: list[_Move]
    note: str
    is_new: bool
    read_version: int  # the version the row had when read; 1 for a new case
    campaign: Campaign
    cooperating: list[int] | None = None  # the cooperating units' ids to set, None: unchanged
    milestones: ListChange | None = None  # the milestones to write, None: unchanged


class _Invalid(Exception):
    def __init__(self, errors: dict):
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}


def _ensure_may_upsert(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.may_write:
        raise RoleNotAllowed(_("This account is read-only."), code="read_only")
    if actor.role not in (Role.SUPERVISOR, Role.API_CLIENT):
        raise RoleNotAllowed(_("Only supervisors and integrating systems upsert cases in bulk."))


def status_path(from_status: str, to_status: str) -> list[str] | None:
    """The shortest walk through the workflow table from one status to
    another (the statuses after ``from_status``), or None if there is none."""
    if from_status == to_status:
        return []
    previous = {from_status: None}
    queue = deque([from_status])
    while queue:
        current = queue.popleft()
        for frm, to in TRANSITIONS:
            if frm == current and to not in previous:
                previous[to] = current
                if to == to_status:
                    path = [to]
                    while previous[path[-1]] != from_status:
                        path.append(previous[path[-1]])
                    return path[::-1]
                queue.append(to)
    return None


def upsert_cases(*, actor, items: list[dict], note: str = "", dry_run: bool = False) -> list[ItemResult]:
    """Create or update each item, keyed by (campaign code, reference).

    Raises RoleNotAllowed when ``actor`` may not upsert at all; everything
    about a single item is reported in its ItemResult. With ``dry_run`` the
    work is done and rolled back, so the outcomes are exactly those a real
    run would give at this moment.
    """
    _ensure_may_upsert(actor)
    note = clean_note(note)
    for attempt in range(2):
        try:
            with transaction.atomic():
                results = _upsert(actor=actor, items=items, note=note)
                if dry_run:
                    transaction.set_rollback(True)
        except IntegrityError:
            # Another writer created one of our keys between our read and our
            # insert; a second pass sees it and updates instead.
            if attempt:
                raise
            continue
        if dry_run:
            for result in results:
                if result.outcome == "created":
                    result.id = None
        return results
    raise AssertionError("unreachable")


def _upsert(*, actor, items: list[dict], note: str) -> list[ItemResult]:
    results: list[ItemResult] = []
    parsed: list[tuple[ItemResult, dict, dict]] = []
    campaigns = _campaigns_named(items)
    seen_keys = set()
    for index, item in enumerate(items):
        result = ItemResult(index=index, campaign=None, reference=None, outcome="invalid")
        results.append(result)
        try:
            data, control = _parse_item(item, result=result, campaigns=campaigns)
        except _Invalid as error:
            result.errors = error.errors
            continue
        key = (data["campaign"].pk, data["reference"])
        if key in seen_keys:
            result.errors = {"reference": [_("This reference appears twice in the request.")]}
            continue
        seen_keys.add(key)
        parsed.append((result, data, control))

    existing = _existing_rows([data for _r, data, _c in parsed])
    links = _cooperation_links([row["id"] for row in existing.values()])
    milestones = _milestones_of(
        [
            existing[key]["id"]
            for _r, data, control in parsed
            if "milestones" in control and (key := (data["campaign"].pk, data["reference"])) in existing
        ]
    )
    taken_numbers = _taken_acceptance_numbers([data for _r, data, _c in parsed])
    defaults = _new_row_defaults()
    plans: list[_Plan] = []
    for result, data, control in parsed:
        row = existing.get((data["campaign"].pk, data["reference"]))
        try:
            if row is None:
                plan = _plan_create(actor=actor, data=data, control=control, note=note, result=result, defaults=defaults)
            else:
                plan = _plan_update(
                    actor=actor, row=row, links=links.get(row["id"], []), data=data, control=control, note=note, result=result,
                    milestones=milestones.get(row["id"], []),
                )  # fmt: skip
            number = plan.row.get("acceptance_number")
            if number and "acceptance_number" in plan.changes:
                holder = taken_numbers.get(number)
                if holder is not None and holder != plan.row.get("id"):
                    raise _Invalid({"acceptance_number": [_("Another petition has this acceptance number.")]})
                taken_numbers[number] = plan.row.get("id") or object()
        except _Invalid as error:
            result.errors = error.errors
            continue
        plans.append(plan)
    _apply(actor=actor, plans=plans)
    return results


def _campaigns_named(items: list) -> dict:
    codes = {str(item.get("campaign")) for item in items if isinstance(item, dict) and item.get("campaign")}
    codes = {code for code in codes if FORBIDDEN.search(code) is None}  # never a code; and no NUL to the database
    return {c.code: c for c in Campaign.objects.filter(code__in=codes)} if codes else {}


def _parse_item(item, *, result: ItemResult, campaigns: dict) -> tuple[dict, dict]:
    if not isinstance(item, dict):
        raise _Invalid({"non_field_errors": [_("Each case must be a JSON object.")]})
    data = dict(item)
    control = {key: data.pop(key) for key in CONTROL_FIELDS if key in data}
    errors = {}
    for key in KEY_FIELDS:
        if data.get(key) in (None, ""):
            errors[key] = [_("This field is required.")]
        elif not isinstance(data[key], str):
            errors[key] = [_("Enter text.")]
    if errors:
        raise _Invalid(errors)
    result.campaign, result.reference = data["campaign"], data["reference"].strip()
    campaign = campaigns.get(data["campaign"])
    if campaign is None:
        errors["campaign"] = [_("Unknown campaign “%(value)s”.") % {"value": data["campaign"]}]
    else:
        data["campaign"] = campaign
    if "status" in control and control["status"] not in STATUS_VALUES:
        errors["status"] = [
            _("Unknown status “%(value)s”. Known: %(known)s.")
            % {"value": control["status"], "known": ", ".join(Status.values)}
        ]
    if "note" in control:
        try:
            clean_note(control["note"])  # checked here; stripped where it is used (blank is not "none")
        except InvalidInput as error:
            errors["note"] = error.errors["note"]
    if "version" in control and (isinstance(control["version"], bool) or not isinstance(control["version"], int)):
        errors["version"] = [_("Enter a whole number.")]
    if "standards" in control and not is_list_of_text(control["standards"]):
        errors["standards"] = [_("Send the evidence standards ticked as a list of their codes (text).")]
    if "milestones" in data:
        try:
            control["milestones"] = clean_milestone_list(data.pop("milestones"))
        except InvalidInput as error:
            errors.update(error.errors)
    try:
        control[DEADLINE_WORKING_DAYS] = pop_working_days(data)
    except InvalidInput as error:
        errors.update(error.errors)
    try:
        cleaned = clean_case_data(data, allowed=CREATE_FIELDS)
    except InvalidInput as error:
        errors = {**error.errors, **errors}
        cleaned = None
    if errors:
        raise _Invalid(errors)
    if not cleaned["reference"]:
        raise _Invalid({"reference": [_("This field is required.")]})
    return cleaned, control


def _existing_rows(datas: list[dict]) -> dict:
    """The stored cases the items name, as column dicts, in one query."""
    if not datas:
        return {}
    campaign_ids = {d["campaign"].pk for d in datas}
    references = {d["reference"] for d in datas}
    rows = Case.objects.filter(campaign_id__in=campaign_ids, reference__in=references).order_by()
    if connection.features.has_select_for_update:
        # Held to the end of the transaction: a concurrent upsert of the same
        # rows waits for ours instead of overwriting it from a stale read.
        rows = rows.select_for_update()
    return {(row["campaign_id"], row["reference"]): row for row in rows.values(*(f.attname for f in COLUMNS))}


def _cooperation_links(case_ids: list[int]) -> dict[int, list[int]]:
    """The cooperating units' ids of these cases, in one query."""
    links: dict[int, list[int]] = {}
    if case_ids:
        through = Case.cooperating_units.through.objects.filter(case_id__in=case_ids).order_by("unit_id")
        for case_id, unit_id in through.values_list("case_id", "unit_id"):
            links.setdefault(case_id, []).append(unit_id)
    return links


def _milestones_of(case_ids: list[int]) -> dict[int, list[Milestone]]:
    """The milestones of these cases, in one query (only the cases whose
    items give milestones)."""
    found: dict[int, list[Milestone]] = {}
    if case_ids:
        for milestone in Milestone.objects.filter(case_id__in=case_ids).order_by("case_id", "due_on", "id"):
            found.setdefault(milestone.case_id, []).append(milestone)
    return found


def _milestone_change(*, actor, row: dict, existing: list, given: list[dict] | None) -> ListChange | None:
    """The item's milestones replacing the case's (``row`` as the item
    leaves it): only a long-term case has them, and only whoever may edit
    the case sets them (as ``cases.milestones`` requires one by one)."""
    if given is None:
        return None
    change = list_change(existing, given)
    if change is None:
        return None
    if row["deadline_type"] != DeadlineType.LONG_TERM:
        raise _Invalid(
            {"milestones": [
                _("Only long-term (长期坚持) cases have milestones; this case's deadline type is “%(type)s”.")
                % {"type": DeadlineType(row["deadline_type"]).label}
            ]}
        )  # fmt: skip
    if row.get("id") is not None and not editable_fields(SimpleNamespace(**row), actor):
        raise _Invalid({"milestones": [_("This field cannot be changed by your account now.")]})
    return change


def _placed(data: dict, *, current: str | None) -> dict:
    """The item's places and units resolved against the case's division."""
    if not any(name in data for name in PLACE_FIELDS) and current is not None:
        return data
    try:
        return place_values(data, current=current)
    except InvalidInput as error:
        raise _Invalid(error.errors) from None


def _ensure_in_scope(actor, row: dict, links: list[int], message: str, field: str = "reference") -> None:
    """The one boundary, on a row: its division in the actor's subtree and,
    for a unit-bound actor, its unit on the case."""
    scope = scope_of(actor)
    inside = scope is not None and scope.contains_division(row["division_id"])
    if inside and scope.unit is not None:
        inside = row.get("lead_unit_id") == scope.unit or scope.unit in links
    if not inside:
        raise _Invalid({field: [message]})


def _taken_acceptance_numbers(datas: list[dict]) -> dict:
    numbers = {d["acceptance_number"] for d in datas if d.get("acceptance_number")}
    if not numbers:
        return {}
    return dict(Case.objects.filter(acceptance_number__in=numbers).values_list("acceptance_number", "pk"))


def _new_row_defaults() -> dict:
    now = timezone.now()
    defaults = {f.attname: f.get_default() for f in COLUMNS if f.attname != "id"}
    defaults.update(status=Status.ASSIGNED, version=1, created_at=now, updated_at=now)
    return defaults


def _attname(name: str) -> str:
    return f"{name}_id" if name in FOREIGN_KEYS else name


def _db_value(value):
    return value.pk if isinstance(value, (Campaign, City, Case, Division, Unit)) else value


def _check_deadline(deadline_type: str, deadline: datetime.date | None) -> None:
    if deadline_type == DeadlineType.DATED and deadline is None:
        raise _Invalid({"deadline": [_("A case with a dated deadline needs a deadline date.")]})
    if deadline_type == DeadlineType.LONG_TERM and deadline is not None:
        raise _Invalid({"deadline": [_("A long-term case has no deadline date.")]})


def _plan_update(
    *, actor, row: dict, links: list[int], data: dict, control: dict, note: str, result: ItemResult, milestones=()
) -> _Plan:
    item_note = (control.get("note") or note or "").strip()
    if row["withdrawn_at"] is not None:
        raise _Invalid({"reference": [_("This case was withdrawn and cannot be changed.")]})
    _ensure_in_scope(actor, row, links, _("This account may only handle cases of its own division."))
    data = _placed(data, current=row["division_id"])
    data = _with_working_day_deadline(data, control, start=data.get("transferred_on", row["transferred_on"]))
    if "version" in control and control["version"] != row["version"]:
        raise _Invalid(
            {"version": [_("The case is at version %(current)d; reload it and try again.") % {"current": row["version"]}]}
        )
    if data.get("kind", row["kind"]) != row["kind"]:
        raise _Invalid({"kind": [_("The kind of an existing case cannot be changed.")]})
    stays_long_term = row["deadline_type"] == data.get("deadline_type", row["deadline_type"]) == DeadlineType.LONG_TERM
    if "deadline" in data or "deadline_type" in data:
        try:
            deadline = deadline_after_edit(
                case_id=row["id"],
                old_type=row["deadline_type"],
                current=row["deadline"],
                new_type=data.get("deadline_type", row["deadline_type"]),
                given=data.get("deadline", KEEP),
            )
        except InvalidInput as invalid:
            raise _Invalid(invalid.errors) from None
        if "deadline" in data:
            data = data | {"deadline": deadline}
    changes, updated, cooperating = {}, dict(row), None
    for name, value in data.items():
        if name in KEY_FIELDS or name == "kind":
            continue
        if name == "cooperating_units":
            new_links = sorted(unit.pk for unit in value)
            if new_links != links:
                changes[name] = [links, new_links]
                cooperating = new_links
            continue
        old, new = row[_attname(name)], _db_value(value)
        if old != new:
            changes[name] = [_serialize(old), _serialize(new)]
            updated[_attname(name)] = new
    if "division" in changes:
        updated["city_id"] = city_code_of(updated["division_id"])
        if updated["city_id"] != row["city_id"]:
            changes["city"] = [row["city_id"], updated["city_id"]]
    if changes:
        case = SimpleNamespace(**row)  # what the permission rules read: status, city
        allowed = editable_fields(case, actor)
        forbidden = [name for name in changes if name not in allowed and not (name == "city" and "division" in changes)]
        if forbidden:
            raise _Invalid({name: [_("This field cannot be changed by your account now.")] for name in forbidden})
        if "division" in changes:
            _ensure_in_scope(
                actor, updated, links, _("This account may only handle cases of its own division."), field="division"
            )
        if not stays_long_term:
            _check_deadline(updated["deadline_type"], updated["deadline"])
    milestone_change = _milestone_change(actor=actor, row=updated, existing=list(milestones), given=control.get("milestones"))
    if milestone_change is not None:
        changes["milestones"] = [milestone_change.before, milestone_change.after]
        if milestone_change.deadline != row["deadline"]:
            changes["deadline"] = [_serialize(row["deadline"]), _serialize(milestone_change.deadline)]
        elif "deadline" in changes:
            del changes["deadline"]
        updated["deadline"] = milestone_change.deadline
    walk = _checked_walk(
        actor=actor, row=updated, campaign=data["campaign"], path=_path(row["status"], control.get("status")),
        note=item_note, standards=control.get("standards"),
    )  # fmt: skip
    return _Plan(
        result, updated, changes, walk, item_note, is_new=False, read_version=row["version"], campaign=data["campaign"],
        cooperating=cooperating, milestones=milestone_change,
    )


def _plan_create(*, actor, data: dict, control: dict, note: str, result: ItemResult, defaults: dict) -> _Plan:
    missing = [name for name in REQUIRED_FOR_CREATE if data.get(name) in (None, "")]
    if missing:
        raise _Invalid({name: [_("This field is required.")] for name in missing})
    if "version" in control:
        raise _Invalid({"version": [_("There is no such case yet; leave out the version to create it.")]})
    given = next((name for name in ("division", "district", "city") if name in data), "city")
    data = _placed(data | ({} if "division" in data or "city" in data else {"city": None}), current=None)
    data = _with_working_day_deadline(data, control, start=data.get("transferred_on"))
    cooperating = data.pop("cooperating_units", None)
    division = data["division"].pk
    scope = scope_of(actor)
    if scope is None or not scope.contains_division(division) or scope.unit is not None:
        raise _Invalid({given: [_("This account may only create cases of its own division.")]})
    _check_deadline(data["deadline_type"], data.get("deadline"))
    if data.get("acceptance_number") and data["kind"] != Kind.PETITION:
        raise _Invalid({"acceptance_number": [_("Only petitions have an acceptance number.")]})
    row = {**defaults, **{_attname(name): _db_value(value) for name, value in data.items()}}
    row["city_id"] = city_code_of(division)
    if isinstance(row["pollution_types"], list):
        row["pollution_types"] = list(row["pollution_types"])
    changes = {name: _serialize(value) for name, value in data.items()}
    if cooperating:
        changes["cooperating_units"] = _serialize(cooperating)
    milestone_change = _milestone_change(actor=actor, row=row, existing=[], given=control.get("milestones"))
    if milestone_change is not None:
        row["deadline"] = milestone_change.deadline
        changes["milestones"] = milestone_change.after
        changes["deadline"] = _serialize(milestone_change.deadline)
    item_note = (control.get("note") or note or "").strip()
    walk = _checked_walk(
        actor=actor, row=row, campaign=data["campaign"], path=_path(Status.ASSIGNED, control.get("status")),
        note=item_note, standards=control.get("standards"),
    )  # fmt: skip
    cooperating_ids = [unit.pk for unit in cooperating] if cooperating else None
    return _Plan(
        result, row, changes, walk, item_note, is_new=True, read_version=1, campaign=data["campaign"],
        cooperating=cooperating_ids, milestones=milestone_change,
    )  # fmt: skip


def _with_working_day_deadline(data: dict, control: dict, *, start) -> dict:
    """The item's deadline given as working days from its transfer date, as a date."""
    if control.get(DEADLINE_WORKING_DAYS) is None:
        return data
    try:
        return data | {"deadline": deadline_in_working_days(start, control[DEADLINE_WORKING_DAYS])}
    except InvalidInput as error:
        raise _Invalid(error.errors) from None


def _path(status: str, target: str | None) -> list[str]:
    if target is None or target == status:
        return []
    path = status_path(status, target)
    if path is None:
        raise _Invalid(
            {"status": [_("No sequence of allowed moves leads from “%(from)s” to “%(to)s”.")
                        % {"from": Status(status).label, "to": Status(target).label}]}
        )
    return path


ACCEPTED = (Status.IN_PUBLICITY, Status.CLOSED)


def _checked_walk(*, actor, row: dict, campaign, path: list[str], note: str, standards=None) -> list[_Move]:
    """Check every step of the walk as ``transition`` would, in memory,
    before anything is written: a refused step refuses the whole item.

    A walk here records a ledger (``from_ledger``): before the accepting
    level accepts, the provincial supervisor's walk passes the reviews below
    it that the case still waits at, each an approval recorded as that
    level's (据台账补录); ``workflow.check_step`` decides who may."""
    case = SimpleNamespace(**row, campaign=campaign)  # what the rules read: status, kind, city, stage, ...
    walk = []

    def take(**move):
        try:
            step = check_step(case=case, actor=actor, standards=standards, from_ledger=True, **move)
        except CaseError as error:
            raise _Invalid({error.field or "status": [error.message]}) from None
        values = moved(step.rule, case=case, chain=step.chain, at=timezone.now())
        walk.append(_Move(case.status, values["status"], step, stage=waiting_at(case, step.chain)))
        vars(case).update(values)

    for to in path:
        if to in ACCEPTED:
            while passes_by_ledger(case, actor):
                take(action="approve")
        take(to=to, note=note)
    return walk


def _apply(*, actor, plans: list[_Plan]) -> None:
    now = timezone.now()
    new = [plan for plan in plans if plan.is_new]
    changed = [plan for plan in plans if not plan.is_new and (plan.changes or plan.walk)]
    for plan, case_id in zip(new, _allocate_ids(len(new)) if new else []):
        plan.row["id"] = case_id
    events, signed = [], []
    for plan in new + changed:
        plan_events = _events(actor=actor, plan=plan, now=now)
        events += plan_events
        moves = plan_events[len(plan_events) - len(plan.walk) :]
        for move, event in zip(plan.walk, moves):
            signed += signed_rows(
                move.step, stage=move.stage, case_id=plan.row["id"], actor_id=actor.pk, at=now, version=event["version"]
            )
        _walk_row(plan, version=plan_events[-1]["version"], now=now)
    _insert(Case, COLUMNS, [plan.row for plan in new])
    _update(changed, now=now)
    _link_cooperating([plan for plan in new + changed if plan.cooperating is not None])
    _write_milestones(actor, [plan for plan in new + changed if plan.milestones is not None], now=now)
    _insert(CaseEvent, _inserted_fields(CaseEvent), events)
    for model in (Review, Objection):
        fields = _inserted_fields(model)
        _insert(model, fields, [{f.attname: getattr(r, f.attname) for f in fields} for r in signed if isinstance(r, model)])
    for plan in plans:
        result = plan.result
        result.id, result.version = plan.row["id"], plan.row["version"]
        if plan.is_new:
            result.outcome = "created"
        elif plan.changes or plan.walk:
            result.outcome = "updated"
        else:
            result.outcome = "unchanged"
        result.changed_fields = sorted(plan.changes) + (["status"] if plan.walk else [])


def _events(*, actor, plan: _Plan, now) -> list[dict]:
    """The events of one item, versions consecutive from the version read:
    the creation or the field update, then one transition per step, as
    ``transition`` writes them."""
    case_id, version = plan.row["id"], plan.read_version
    events = []
    if plan.is_new or plan.changes:
        if not plan.is_new:
            version += 1
        events.append(
            event_row(
                case_id=case_id,
                actor_id=actor.pk,
                at=now,
                action=EventAction.CREATED if plan.is_new else EventAction.UPDATED,
                version=version,
                to_status=Status.ASSIGNED if plan.is_new else "",
                note=plan.note,
                changes=plan.changes,
            )
        )
    for move in plan.walk:
        version += 1
        events.append(
            event_row(
                case_id=case_id,
                actor_id=actor.pk,
                at=now,
                action=EventAction.TRANSITION,
                version=version,
                from_status=move.from_status,
                to_status=move.to_status,
                note=move.step.note,
                changes={**move.step.changes, **({LEDGER_MARK: move.step.recorded_for} if move.step.recorded_for else {})},
            )
        )
    return events


def _walk_row(plan: _Plan, *, version: int, now) -> None:
    """Bring the planned row to the state the item's writes leave it in:
    the version of its last event and each step's effects
    (``workflow.moved``)."""
    row = plan.row
    row["version"], row["updated_at"] = version, now
    if plan.walk:
        case = SimpleNamespace(**row, campaign=plan.campaign)
        for move in plan.walk:
            vars(case).update(moved(move.step.rule, case=case, chain=move.step.chain, at=now))
        row.update({column: getattr(case, column) for column in MOVED_COLUMNS})


def _inserted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.attname != "id"]


def _link_cooperating(plans: list) -> None:
    """Only the links that change: a removed link records the case's
    departure from that unit (migration 0018)."""
    through = Case.cooperating_units.through
    wanted = {(plan.row["id"], unit_id) for plan in plans for unit_id in plan.cooperating}
    links = through.objects.filter(case_id__in=[plan.row["id"] for plan in plans])
    existing = set(links.values_list("case_id", "unit_id"))
    if stale := existing - wanted:
        links.filter(functools.reduce(operator.or_, (Q(case_id=case, unit_id=unit) for case, unit in stale))).delete()
    through.objects.bulk_create(through(case_id=case, unit_id=unit) for case, unit in sorted(wanted - existing))


def _write_milestones(actor, plans: list[_Plan], *, now) -> None:
    """Each item's milestones as its list says: the targets no longer
    listed removed (kept, marked removed; the event keeps them too), met
    or not met as listed, the new ones added; the case's deadline was
    planned from the same list."""
    gone = [pk for plan in plans for pk in plan.milestones.remove]
    if gone:
        Milestone.objects.filter(pk__in=gone).update(removed_at=now, removed_by_id=actor.pk)
    for plan in plans:
        for pk, met_on in plan.milestones.met:
            Milestone.objects.filter(pk=pk).update(met_on=met_on, met_by_id=actor.pk if met_on else None)
    Milestone.objects.bulk_create(
        Milestone(case_id=plan.row["id"], met_by_id=actor.pk if m["met_on"] else None, **m)
        for plan in plans
        for m in plan.milestones.create
    )


def _allocate_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) FROM generate_series(1, %s)", [count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite serialises writers; a racing writer that took the same ids
        # makes our insert fail, and upsert_cases retries.
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _adapters(fields: list) -> list:
    """Per field, a function giving the value the driver takes. On
    PostgreSQL psycopg adapts Python values itself except JSON; elsewhere
    Django's field preparation does it (slower, but SQLite is for demos)."""
    if connection.vendor == "postgresql":
        return [Jsonb if f.get_internal_type() == "JSONField" else None for f in fields]
    return [functools.partial(_prepare, f) for f in fields]


def _prepare(field, value):
    return field.get_db_prep_save(value, connection)


def _db_rows(fields: list, rows: list[dict], extra=()) -> list[tuple]:
    adapters = _adapters(fields)
    pairs = list(zip([f.attname for f in fields], adapters))
    return [
        tuple(row[name] if adapt is None or row[name] is None else adapt(row[name]) for name, adapt in pairs) + extra_row
        for row, extra_row in zip(rows, extra or [()] * len(rows))
    ]


def _insert(model, fields: list, rows: list[dict]) -> None:
    """Insert rows (dicts by attname) with COPY on PostgreSQL, the fastest
    way in; the row trigger stamps each case's feed position all the same."""
    if not rows:
        return
    values = _db_rows(fields, rows)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor, so its errors need Django's wrapping
            # (a racing writer's duplicate key must be an IntegrityError).
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _update(plans: list[_Plan], *, now) -> None:
    """One compare-and-swap statement per set of changed columns, run for
    all its rows: each row is written only if it is still at the version
    read, and gets its final version, like every other write."""
    groups: dict[tuple, list[_Plan]] = {}
    for plan in plans:
        # A walk writes the moved columns (a step's petition changes are
        # always empty here: the walk checks the row's own veracity and
        # handling, which the item's field changes already set).
        attnames = {_attname(name) for name in plan.changes if name not in NOT_COLUMNS} | (
            set(MOVED_COLUMNS) if plan.walk else set()
        )
        groups.setdefault(tuple(sorted(attnames)), []).append(plan)
    fields = {f.attname: f for f in COLUMNS}
    table = connection.ops.quote_name(Case._meta.db_table)
    stamp = fields["updated_at"].get_db_prep_save(now, connection)
    for attnames, group in groups.items():
        # Empty when only the cooperating units change: the row still gets
        # its version (and its feed position).
        assignments = "".join(f"{connection.ops.quote_name(fields[a].column)} = %s, " for a in attnames)
        sql = f"UPDATE {table} SET {assignments}version = %s, updated_at = %s WHERE id = %s AND version = %s"
        params = _db_rows(
            [fields[a] for a in attnames],
            [plan.row for plan in group],
            extra=[(plan.row["version"], stamp, plan.row["id"], plan.read_version) for plan in group],
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
            if cursor.rowcount != len(group):
                raise ConcurrentChange()
