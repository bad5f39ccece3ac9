"""Bulk upsert of cases by (campaign code, reference): the API's
``/cases/bulk/`` and the Excel import both come through here.

Idempotent: an item equal to the stored case is ``unchanged`` and writes
nothing (no event, no version bump). Items are judged one by one, so one
bad row does not block the others, but every valid item of a call is
applied in one transaction. The reads are batched (one query for the
existing rows of a call) and the writes bulk, because a city's system
pushes thousands of rows at a time.
"""

import datetime
from collections import deque
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role

from .constants import DeadlineType, EventAction, Kind, Status
from .errors import InvalidInput, RoleNotAllowed
from .models import Campaign, Case, CaseEvent, City
from .services import CREATE_FIELDS, _serialize, clean_case_data, editable_fields
from .workflow import TRANSITIONS, refusal, rule_for, transition

KEY_FIELDS = ("campaign", "reference")
REQUIRED_FOR_CREATE = ("kind", "title", "deadline_type")
# Keys an item may carry besides the case's fields: the target status, the
# note for the transitions it needs, and the version the client last saw.
CONTROL_FIELDS = ("status", "note", "version")
MAX_ITEMS = 500


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
class _Plan:
    """What one valid item will do."""

    result: ItemResult
    case: Case
    values: dict
    changes: dict  # field -> [old, new] (serialized), for the event
    path: list[str]  # statuses to walk through, in order
    note: str
    is_new: bool


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
    if len(items) > MAX_ITEMS:
        raise InvalidInput("cases", _("At most %(limit)d cases per request.") % {"limit": MAX_ITEMS}, code="too_many")
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
    cities = {city.code: city for city in City.objects.all()}
    seen_keys = set()
    for index, item in enumerate(items):
        result = ItemResult(index=index, campaign=None, reference=None, outcome="invalid")
        results.append(result)
        try:
            data, control = _parse_item(item, result=result, campaigns=campaigns, cities=cities)
        except _Invalid as error:
            result.errors = error.errors
            continue
        key = (data["campaign"].pk, data["reference"])
        if key in seen_keys:
            result.errors = {"reference": [_("This reference appears twice in the request.")]}
            continue
        seen_keys.add(key)
        parsed.append((result, data, control))

    existing = _existing_cases([data for _r, data, _c in parsed])
    taken_numbers = _taken_acceptance_numbers([data for _r, data, _c in parsed])
    plans: list[_Plan] = []
    for result, data, control in parsed:
        case = existing.get((data["campaign"].pk, data["reference"]))
        try:
            plan = _plan(actor=actor, case=case, data=data, control=control, note=note, result=result)
            number = plan.values.get("acceptance_number")
            if number and "acceptance_number" in plan.changes:
                if taken_numbers.get(number, plan.case.pk) != plan.case.pk:
                    raise _Invalid({"acceptance_number": [_("Another petition has this acceptance number.")]})
                taken_numbers[number] = plan.case.pk or object()
        except _Invalid as error:
            result.errors = error.errors
            continue
        plans.append(plan)
    _apply(actor=actor, plans=plans)
    return results


def _campaigns_named(items: list) -> dict:
    codes = {str(item.get("campaign")) for item in items if isinstance(item, dict) and item.get("campaign")}
    return {c.code: c for c in Campaign.objects.filter(code__in=codes)} if codes else {}


def _parse_item(item, *, result: ItemResult, campaigns: dict, cities: dict) -> tuple[dict, dict]:
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
    if "city" in data and data["city"] not in (None, "", "province"):
        city = cities.get(str(data["city"]))
        if city is None:
            errors["city"] = [_("Unknown city code “%(value)s”.") % {"value": data["city"]}]
        else:
            data["city"] = city
    if "status" in control and control["status"] not in Status.values:
        errors["status"] = [
            _("Unknown status “%(value)s”. Known: %(known)s.")
            % {"value": control["status"], "known": ", ".join(Status.values)}
        ]
    if "note" in control and not isinstance(control["note"], str):
        errors["note"] = [_("Enter text.")]
    if "version" in control and (isinstance(control["version"], bool) or not isinstance(control["version"], int)):
        errors["version"] = [_("Enter a whole number.")]
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


def _existing_cases(datas: list[dict]) -> dict:
    if not datas:
        return {}
    campaign_ids = {d["campaign"].pk for d in datas}
    references = {d["reference"] for d in datas}
    rows = Case.objects.filter(campaign_id__in=campaign_ids, reference__in=references)
    if connection.features.has_select_for_update:
        # Held to the end of the transaction: a concurrent upsert of the same
        # rows waits for ours instead of overwriting it from a stale read.
        rows = rows.select_for_update(of=("self",))
    return {(case.campaign_id, case.reference): case for case in rows}


def _taken_acceptance_numbers(datas: list[dict]) -> dict:
    numbers = {d["acceptance_number"] for d in datas if d.get("acceptance_number")}
    if not numbers:
        return {}
    return dict(Case.objects.filter(acceptance_number__in=numbers).values_list("acceptance_number", "pk"))


def _check_deadline(deadline_type: str, deadline: datetime.date | None) -> None:
    if deadline_type == DeadlineType.DATED and deadline is None:
        raise _Invalid({"deadline": [_("A case with a dated deadline needs a deadline date.")]})
    if deadline_type == DeadlineType.LONG_TERM and deadline is not None:
        raise _Invalid({"deadline": [_("A long-term case has no deadline date.")]})


def _plan(*, actor, case: Case | None, data: dict, control: dict, note: str, result: ItemResult) -> _Plan:
    item_note = (control.get("note") or note or "").strip()
    if case is None:
        return _plan_create(actor=actor, data=data, control=control, note=item_note, result=result)
    if case.withdrawn_at is not None:
        raise _Invalid({"reference": [_("This case was withdrawn and cannot be changed.")]})
    if not actor.sees_whole_province and case.city_id != actor.city_id:
        raise _Invalid({"reference": [_("This account may only handle cases of its own city.")]})
    if "version" in control and control["version"] != case.version:
        raise _Invalid(
            {"version": [_("The case is at version %(current)d; reload it and try again.") % {"current": case.version}]}
        )
    if data.get("kind", case.kind) != case.kind:
        raise _Invalid({"kind": [_("The kind of an existing case cannot be changed.")]})
    changes = {}
    for name, value in data.items():
        if name in KEY_FIELDS or name == "kind":
            continue
        old = case.city_id if name == "city" else getattr(case, name)
        new = value.pk if name == "city" and value is not None else value
        if old != new:
            changes[name] = [_serialize(old), _serialize(new)]
    path = _path(case=case, target=control.get("status"))
    if changes:
        allowed = editable_fields(case, actor)
        forbidden = [name for name in changes if name not in allowed]
        if forbidden:
            raise _Invalid({name: [_("This field cannot be changed by your account now.")] for name in forbidden})
        if not actor.sees_whole_province and "city" in changes:
            raise _Invalid({"city": [_("This account may only handle cases of its own city.")]})
        _check_deadline(data.get("deadline_type", case.deadline_type), data.get("deadline", case.deadline))
    values = {name: data[name] for name in changes}
    plan = _Plan(result, case, values, changes, path, item_note, is_new=False)
    _check_path(actor=actor, plan=plan)
    return plan


def _plan_create(*, actor, data: dict, control: dict, note: str, result: ItemResult) -> _Plan:
    missing = [name for name in REQUIRED_FOR_CREATE if data.get(name) in (None, "")]
    if missing:
        raise _Invalid({name: [_("This field is required.")] for name in missing})
    if "version" in control:
        raise _Invalid({"version": [_("There is no such case yet; leave out the version to create it.")]})
    city = data.get("city")
    if not actor.sees_whole_province and (city is None or city.pk != actor.city_id):
        raise _Invalid({"city": [_("This account may only create cases of its own city.")]})
    _check_deadline(data["deadline_type"], data.get("deadline"))
    if data.get("acceptance_number") and data["kind"] != Kind.PETITION:
        raise _Invalid({"acceptance_number": [_("Only petitions have an acceptance number.")]})
    now = timezone.now()
    case = Case(**data, status=Status.ASSIGNED, version=1, created_at=now, updated_at=now)
    changes = {name: _serialize(value) for name, value in data.items()}
    plan = _Plan(result, case, data, changes, _path(case=case, target=control.get("status")), note, is_new=True)
    _check_path(actor=actor, plan=plan)
    return plan


def _path(*, case: Case, target: str | None) -> list[str]:
    if target is None or target == case.status:
        return []
    path = status_path(case.status, target)
    if path is None:
        raise _Invalid(
            {"status": [_("No sequence of allowed moves leads from “%(from)s” to “%(to)s”.")
                        % {"from": Status(case.status).label, "to": Status(target).label}]}
        )
    return path


def _check_path(*, actor, plan: _Plan) -> None:
    """Refuse the item now, before anything is written, if a step of its
    walk would be refused: the checks ``transition`` makes before writing."""
    case = plan.case
    original = case.status
    try:
        for to in plan.path:
            rule = rule_for(case.status, to)
            error = refusal(case, actor, to)
            if error is None and rule.needs_note and not plan.note:
                error = InvalidInput("note", _("A note is required to %(action)s.") % {"action": str(rule.label).lower()})
            if error is None and case.kind == Kind.PETITION:
                missing = [name for name in rule.petition_needs if not plan.values.get(name, getattr(case, name))]
                if missing:
                    error = InvalidInput(missing[0], _("Needed to submit a petition."), code="required")
            if error is not None:
                raise _Invalid({getattr(error, "field", None) or "status": [str(error.message)]})
            case.status = to
    finally:
        case.status = original


def _apply(*, actor, plans: list[_Plan]) -> None:
    now = timezone.now()
    new = [plan for plan in plans if plan.is_new]
    changed = [plan for plan in plans if not plan.is_new and plan.changes]
    if new:
        Case.objects.bulk_create([plan.case for plan in new])
    if changed:
        fields = sorted({name for plan in changed for name in plan.values})
        for plan in changed:
            for name, value in plan.values.items():
                setattr(plan.case, name, value)
            plan.case.version += 1
            plan.case.updated_at = now
        Case.objects.bulk_update([plan.case for plan in changed], [*fields, "version", "updated_at"], batch_size=500)
    events = [
        CaseEvent(
            case=plan.case,
            actor=actor,
            created_at=now,
            action=EventAction.CREATED if plan.is_new else EventAction.UPDATED,
            to_status=plan.case.status if plan.is_new else "",
            note=plan.note,
            changes=plan.changes,
            version=plan.case.version,
        )
        for plan in new + changed
    ]
    CaseEvent.objects.bulk_create(events)
    for plan in plans:
        case = plan.case
        for to in plan.path:
            # A status change goes through the workflow like any other. The
            # walk was checked above and the rows are locked, so a refusal
            # here is unexpected: it aborts the whole call, writing nothing.
            case = transition(case=case, to=to, actor=actor, note=plan.note, expected_version=case.version)
        result = plan.result
        result.id, result.version = case.pk, case.version
        if plan.is_new:
            result.outcome = "created"
        elif plan.changes or plan.path:
            result.outcome = "updated"
        else:
            result.outcome = "unchanged"
        result.changed_fields = sorted(plan.changes) + (["status"] if plan.path else [])
