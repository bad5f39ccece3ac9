"""Writes other than status changes: create, edit, withdraw, attach
evidence. Each writes through ``cases.writes.write_case`` (a
compare-and-swap on ``version`` and its event, in one transaction).
Status changes live in ``cases.workflow``."""

import datetime
import decimal
import hashlib
import logging
import mimetypes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from tracker.resilience import DATABASE_ERRORS, retry_database

from .divisions import HOME_PROVINCE
from .constants import (
    ACCOUNTABILITY_FIELDS,
    WITH_CITY_STATUSES,
    DeadlineType,
    EventAction,
    Kind,
    PollutionType,
    Status,
    Veracity,
)
from .errors import InvalidInput, RoleNotAllowed
from .milestones import KEEP, deadline_after_edit
from .models import Attachment, Campaign, Case, CaseEvent, City, Division, city_code_of
from .scope import scope_of
from .units import resolve_county, resolve_division, resolve_unit, resolve_units
from .validation import checked_text, clean_integer, clean_note, clean_text, message, text_limit
from .workflow import ensure_can_see, ensure_can_write
from .writes import ensure_version, event_row, write_case

logger = logging.getLogger(__name__)

# Fields whose values are places in the tree or units: resolved together,
# once the case's division is known (see place_values).
PLACE_FIELDS = ("division", "city", "district", "lead_unit", "responsible_unit", "cooperating_units")

# Fields a city (officer or city-bound client) may edit while it holds the case.
CITY_EDITABLE = (
    "progress",
    "measures",
    "target",
    "investigation",
    "veracity",
    "handling",
    "district",
    "pollution_types",
    "lead_unit",
    "cooperating_units",
    "responsible_unit",  # v1's name for the lead unit
    *ACCOUNTABILITY_FIELDS,
)
# Supervisors (and province-wide write clients) may also re-scope a case.
SUPERVISOR_EDITABLE = CITY_EDITABLE + (
    "title",
    "description",
    "division",
    "city",
    "deadline_type",
    "deadline",
    "is_key_case",
    "problem_number",
    "acceptance_number",
    "petition_batch",
    "transferred_on",
    "film_year",
    "found_on",
)
CREATE_FIELDS = SUPERVISOR_EDITABLE + ("campaign", "reference", "kind", "duplicate_of")
INTEGER_FIELDS = {
    "ordered_to_rectify",
    "penalty_cases",
    "criminal_cases",
    "detentions",
    "summons",
    "people_held_accountable",
    "problem_number",
    "petition_batch",
    "film_year",
}
DATE_FIELDS = {"deadline", "transferred_on", "found_on"}
# TextChoices.values builds a new list on each access; a bulk upsert checks
# thousands of values, so look them up once.
POLLUTION_ORDER = tuple(PollutionType.values)
KIND_VALUES = frozenset(Kind.values)
DEADLINE_TYPE_VALUES = frozenset(DeadlineType.values)
VERACITY_VALUES = frozenset(Veracity.values)
# Every text field's documented maximum (the model's max_length).
TEXT_LIMITS = {
    field.name: text_limit(field)
    for field in Case._meta.concrete_fields
    if field.get_internal_type() in ("CharField", "TextField") and text_limit(field)
}


def _text(value: str, field: str | None = None) -> str:
    """``value`` stripped and checked (cases.validation), else ValueError."""
    try:
        return clean_text(value, limit=TEXT_LIMITS.get(field))
    except ValidationError as error:
        raise ValueError(message(error)) from None


def _parse_value(field: str, value):
    """Coerce one input value to the model's type or raise a message."""
    if field in DATE_FIELDS:
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            parsed = parse_date(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
        return parsed
    if field in INTEGER_FIELDS:
        if value in (None, "") and field in {"problem_number", "petition_batch", "film_year"}:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(_("Enter a whole number."))
        try:
            number = int(value)
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
        try:
            return clean_integer(number, model=Case, field=field)
        except ValidationError as error:
            raise ValueError(message(error)) from None
    if field == "fines_yuan":
        if isinstance(value, bool):
            raise ValueError(_("Enter an amount in yuan."))
        try:
            amount = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise ValueError(_("Enter an amount in yuan.")) from None
        if not amount.is_finite() or amount < 0 or amount >= 10**12:
            raise ValueError(_("Enter an amount in yuan between 0 and 999,999,999,999."))
        return amount.quantize(decimal.Decimal("0.01"))
    if field == "is_key_case":
        if not isinstance(value, bool):
            raise ValueError(_("Enter true or false."))
        return value
    if field == "pollution_types":
        if not isinstance(value, (list, tuple)):
            raise ValueError(_("Give a list of pollution types."))
        unknown = [str(v) for v in value if v not in POLLUTION_ORDER]
        if unknown:
            raise ValueError(
                _("Unknown pollution type: %(values)s. Known: %(known)s.")
                % {"values": ", ".join(unknown), "known": ", ".join(PollutionType.values)}
            )
        return sorted(set(value), key=POLLUTION_ORDER.index)
    if field in PLACE_FIELDS:
        # Resolved in place_values; text is checked like any text first.
        if isinstance(value, str):
            return _text(value, field)
        if isinstance(value, (list, tuple)):
            return [_text(item, field) if isinstance(item, str) else item for item in value]
        return value
    if field == "campaign":
        if isinstance(value, Campaign):
            return value
        campaign = Campaign.objects.filter(code=_text(str(value))).first()
        if campaign is None:
            raise ValueError(_("Unknown campaign “%(value)s”.") % {"value": value})
        return campaign
    if field == "duplicate_of":
        if value in (None, ""):
            return None
        if isinstance(value, Case):
            return value
        return Case.objects.filter(pk=value).first() or _raise(_("No such case."))
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(_("Enter text."))
    value = _text(value, field)
    if field == "kind" and value not in KIND_VALUES:
        raise ValueError(_("Unknown kind “%(value)s”. Known: %(known)s.") % {"value": value, "known": ", ".join(Kind.values)})
    if field == "deadline_type" and value not in DEADLINE_TYPE_VALUES:
        raise ValueError(
            _("Unknown deadline type “%(value)s”. Known: %(known)s.")
            % {"value": value, "known": ", ".join(DeadlineType.values)}
        )
    if field == "veracity" and value and value not in VERACITY_VALUES:
        raise ValueError(
            _("Unknown veracity “%(value)s”. Known: %(known)s.") % {"value": value, "known": ", ".join(Veracity.values)}
        )
    if field == "acceptance_number" and value == "":
        return None
    return value


DEADLINE_WORKING_DAYS = "deadline_working_days"


def pop_working_days(data: dict) -> int | None:
    """Take ``deadline_working_days`` out of input ``data`` (changed in
    place): a whole number of working days from 1 to 365, never given with
    ``deadline``. InvalidInput naming it otherwise; None when absent."""
    if DEADLINE_WORKING_DAYS not in data:
        return None
    days = data.pop(DEADLINE_WORKING_DAYS)
    if "deadline" in data:
        raise InvalidInput(
            DEADLINE_WORKING_DAYS,
            _("Give the deadline either as a date (deadline) or as working days (deadline_working_days), not both."),
            code="ambiguous",
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise InvalidInput(DEADLINE_WORKING_DAYS, _("Enter a whole number of working days from 1 to 365."))
    return days


def deadline_in_working_days(start: datetime.date | None, days: int) -> datetime.date:
    """The deadline ``days`` working days after ``start``, the transfer date
    (交办日期): a petition's 办结时限, China's holidays and make-up days counted."""
    from workdays.calendar import add_working_days_remembered

    if start is None:
        raise InvalidInput(
            DEADLINE_WORKING_DAYS,
            _("A deadline in working days counts from the transfer date: give transferred_on too."),
            code="required",
        )
    return add_working_days_remembered(start, days)


def _raise(message):
    raise ValueError(message)


def clean_case_data(data: dict, *, allowed: tuple) -> dict:
    """Parse ``data`` into model values. Unknown or forbidden fields and bad
    values are all reported together, by field."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, value in data.items():
        if field not in allowed:
            known = field in CREATE_FIELDS or field in {"status", "version", "id"}
            errors[field] = [
                str(_("This field cannot be changed here.") if known else _("Unknown field."))
            ]
            continue
        try:
            cleaned[field] = _parse_value(field, value)
        except ValueError as error:
            errors[field] = [str(error)]
    if errors:
        raise InvalidInput.from_errors(errors)
    return cleaned


def place_values(values: dict, *, current: str | None) -> dict:
    """``values`` with the places and units resolved: ``division`` (from a
    division code or name, a v1 ``city`` code, or a petition's ``district``
    name) and the units as records, checked against the case's division
    (``current`` when the values do not move it). Errors name the field."""
    values = dict(values)
    errors: dict[str, list[str]] = {}
    division, moved = current, False
    for field, resolve in (("division", lambda v: resolve_division(v).code), ("city", lambda v: _city_division(v, current))):
        if field in values:
            try:
                division, moved = resolve(values.pop(field)), True
            except ValueError as error:
                errors[field] = [str(error)]
            break
    values.pop("city", None)
    if "district" in values:
        text = str(values.pop("district") or "").strip()
        values["district"] = ""
        if text and not errors:
            try:
                division, moved = resolve_county(text, within=city_code_of(division) or division).code, True
            except ValueError as error:
                errors["district"] = [str(error)]
    if "responsible_unit" in values:
        lead = values.pop("responsible_unit")
        if "lead_unit" in values and values["lead_unit"] != lead:
            errors["responsible_unit"] = [str(_("Give the lead unit once, as lead_unit."))]
        values.setdefault("lead_unit", lead)
    if division is not None and not errors:
        if moved:
            values["division"] = Division(code=division)  # resolved above: it exists
        for field, resolve in (("lead_unit", resolve_unit), ("cooperating_units", resolve_units)):
            if field in values:
                try:
                    given = values[field]
                    values[field] = None if given in (None, "") and field == "lead_unit" else resolve(given, division=division)
                except ValueError as error:
                    errors[field] = [str(error)]
    if errors:
        raise InvalidInput.from_errors(errors)
    return values


def _city_division(city, current: str | None) -> str:
    """The division a v1 ``city`` value puts a case in: the province for
    none, the city, or the case's own county when it is in that city."""
    code = city.pk if isinstance(city, City) else str(city or "")
    if code in ("", "province"):
        return (current or HOME_PROVINCE)[:2] + "0000"
    from .filters import city_codes

    if code not in city_codes():
        raise ValueError(_("Unknown city code “%(value)s”.") % {"value": code})
    return current if current and city_code_of(current) == code else code


def _check_deadline(values: dict) -> None:
    deadline_type, deadline = values.get("deadline_type"), values.get("deadline")
    if deadline_type == DeadlineType.DATED and deadline is None:
        raise InvalidInput("deadline", _("A case with a dated deadline needs a deadline date."), code="required")
    if deadline_type == DeadlineType.LONG_TERM and deadline is not None:
        raise InvalidInput("deadline", _("A long-term case has no deadline date."))


def _settle_deadline(case: Case, values: dict) -> None:
    """Check the deadline an edit leaves; a long-term case's follows its
    milestones (cases/milestones.py), whatever the edit gives."""
    deadline_type = values.get("deadline_type", case.deadline_type)
    deadline = deadline_after_edit(
        case_id=case.pk,
        old_type=case.deadline_type,
        current=case.deadline,
        new_type=deadline_type,
        given=values.get("deadline", KEEP),
    )
    if "deadline" in values:
        values["deadline"] = deadline
    if not case.deadline_type == deadline_type == DeadlineType.LONG_TERM:
        _check_deadline({"deadline_type": deadline_type, "deadline": deadline})


def _check_model(case: Case) -> None:
    try:
        case.full_clean(exclude=["campaign", "duplicate_of", "city"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput.from_errors(error.message_dict) from None


def _serialize(value):
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_serialize(item) for item in value]
    if hasattr(value, "pk"):
        return value.pk
    return value


def ensure_division_in_scope(actor, division: str | None) -> None:
    """A case may only be put where ``actor`` can still see it."""
    scope = scope_of(actor)
    if division is None or scope is None or not scope.contains_division(division):
        raise RoleNotAllowed(
            _("This account may only handle cases of its own division."), code="city_not_allowed"
        )


def _ensure_may_create(actor, division: str | None) -> None:
    ensure_can_write(actor)
    if actor.role == Role.OFFICER:
        raise RoleNotAllowed(_("Only supervisors and integrating systems create cases."))
    ensure_division_in_scope(actor, division)


def create_case(*, actor, data: dict, note: str = "") -> Case:
    """Create a case from API-shaped ``data`` (campaign code, city code,
    ...). ``actor`` None means the system (seed, import run by a command)."""
    note = clean_note(note)
    required = [f for f in ("campaign", "reference", "kind", "title", "deadline_type") if data.get(f) in (None, "")]
    if required:
        raise InvalidInput.from_errors({f: [str(_("This field is required."))] for f in required})
    data = dict(data)
    working_days = pop_working_days(data)
    values = clean_case_data(data, allowed=CREATE_FIELDS)
    if working_days is not None:
        values["deadline"] = deadline_in_working_days(values.get("transferred_on"), working_days)
    values = place_values(values | ({} if "division" in values or "city" in values else {"city": None}), current=None)
    _check_deadline(values)
    if actor is not None:
        _ensure_may_create(actor, values["division"].code)
    now = timezone.now()
    cooperating = values.pop("cooperating_units", [])
    case = Case(**values, status=Status.ASSIGNED, version=1, created_at=now, updated_at=now)
    case.derive_city()
    _check_model(case)
    with transaction.atomic():
        if Case.objects.filter(campaign=values["campaign"], reference=values["reference"]).exists():
            raise InvalidInput("reference", _("This campaign already has a case with this reference."), code="unique")
        if case.acceptance_number and Case.objects.filter(acceptance_number=case.acceptance_number).exists():
            raise InvalidInput("acceptance_number", _("Another petition has this acceptance number."), code="unique")
        case.save(force_insert=True)
        case.cooperating_units.set(cooperating)
        CaseEvent.objects.create(
            **event_row(
                case_id=case.pk,
                actor_id=actor.pk if actor is not None else None,
                at=now,
                action=EventAction.CREATED,
                version=1,
                to_status=case.status,
                note=note,
                changes={f: _serialize(v) for f, v in values.items()} | {"cooperating_units": _serialize(cooperating)},
            )
        )
    return case


def editable_fields(case: Case, actor) -> tuple:
    """The fields ``actor`` may edit on ``case`` now (empty when none)."""
    if not actor.may_write:
        return ()
    if actor.role == Role.SUPERVISOR or (actor.is_api_client and actor.sees_whole_province):
        return SUPERVISOR_EDITABLE
    # A city holds a case only until it submits it; after that the
    # supervisor reviews a frozen record.
    if case.status in WITH_CITY_STATUSES:
        return CITY_EDITABLE
    return ()


def update_case(*, case: Case, actor, data: dict, expected_version: int | None = None, note: str = "") -> Case:
    """Edit fields of ``case``. Status is not editable here (see
    ``workflow.transition``). Unchanged values are ignored; a request that
    changes nothing writes nothing and keeps the version."""
    ensure_can_see(case, actor)
    ensure_can_write(actor)
    note = clean_note(note)
    if "status" in data:
        raise InvalidInput("status", _("Change the status with a transition, not an edit."), code="read_only")
    allowed = editable_fields(case, actor)
    if not allowed:
        raise RoleNotAllowed(_("This case is not editable by you in its current status."), code="not_editable")
    data = dict(data)
    working_days = pop_working_days(data)
    if working_days is not None and "deadline" not in allowed:
        raise InvalidInput(DEADLINE_WORKING_DAYS, _("This field cannot be changed here."), code="read_only")
    values = place_values(clean_case_data(data, allowed=allowed), current=case.division_id)
    if working_days is not None:
        values["deadline"] = deadline_in_working_days(values.get("transferred_on", case.transferred_on), working_days)
    if "division" in values and values["division"].pk != case.division_id:
        ensure_division_in_scope(actor, values["division"].pk)
    _settle_deadline(case, values)
    changes = {}
    for field, value in values.items():
        if field == "cooperating_units":
            old = list(case.cooperating_units.order_by("pk"))
            if [u.pk for u in old] != sorted(u.pk for u in value):
                changes[field] = [_serialize(old), _serialize(sorted(value, key=lambda u: u.pk))]
            continue
        old = getattr(case, field)
        if old != value:
            changes[field] = [_serialize(old), _serialize(value)]
    ensure_version(case, expected_version)
    if not changes:
        return case
    if "acceptance_number" in changes and values["acceptance_number"]:
        if Case.objects.filter(acceptance_number=values["acceptance_number"]).exclude(pk=case.pk).exists():
            raise InvalidInput("acceptance_number", _("Another petition has this acceptance number."), code="unique")
    update = {f: values[f] for f in changes if f != "cooperating_units"}
    if "division" in update:
        update["city_id"] = city_code_of(update["division"].pk)
    with transaction.atomic():
        write_case(
            case,
            actor=actor,
            at=timezone.now(),
            action=EventAction.UPDATED,
            values=update,
            note=note,
            changes=changes,
        )
        if "cooperating_units" in changes:
            case.cooperating_units.set(values["cooperating_units"])
    return case


def withdraw_case(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """Withdraw a case entered by mistake. Nothing is deleted: the case
    leaves every list and the change feed reports it deleted."""
    ensure_can_see(case, actor)
    ensure_can_write(actor)
    if actor.role != Role.SUPERVISOR:
        raise RoleNotAllowed(_("Only a provincial supervisor may withdraw a case."))
    reason = clean_note(reason)
    if not reason:
        raise InvalidInput("note", _("Give the reason for withdrawing the case."), code="required")
    if case.withdrawn_at is not None:
        raise InvalidInput("case", _("The case is already withdrawn."), code="already_withdrawn")
    ensure_version(case, expected_version)
    now = timezone.now()
    write_case(case, actor=actor, at=now, action=EventAction.WITHDRAWN, values={"withdrawn_at": now}, note=reason)
    return case


ALLOWED_EVIDENCE_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/plain",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "video/mp4",
}


def attach_evidence(*, case: Case, actor, upload, note: str = "", expected_version: int | None = None) -> Attachment:
    """Store an evidence file with its SHA-256 and record an event.

    Idempotent: the same file (by SHA-256) on the same case by the same
    person returns the attachment made the first time, with ``is_new``
    False (True on a new one)."""
    ensure_can_see(case, actor)
    ensure_can_write(actor)
    if case.status == Status.CLOSED and actor.role != Role.SUPERVISOR:
        raise RoleNotAllowed(_("Evidence cannot be added to a closed case."), code="not_editable")
    if upload is None:
        raise InvalidInput("file", _("Choose a file to upload."), code="required")
    note = clean_note(note)
    checked_text(upload.name, field="file", limit=None)
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(
            "file",
            _("The file is %(size)d MB; at most %(limit)d MB is accepted.")
            % {"size": upload.size // (1024 * 1024) + 1, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if upload.size == 0:
        raise InvalidInput("file", _("The file is empty."), code="empty")
    content_type = mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
    if content_type not in ALLOWED_EVIDENCE_TYPES:
        raise InvalidInput(
            "file",
            _("Files of this type are not accepted. Use PDF, images, Office documents, text, ZIP or MP4."),
            code="bad_type",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    sha256 = digest.hexdigest()
    # A client that retries after an error (the first upload may have been
    # committed all the same) gets the attachment it made, not a second one.
    existing = Attachment.objects.filter(case=case, uploaded_by=actor, sha256=sha256).order_by("pk").first()
    if existing is not None:
        existing.is_new = False
        return existing
    ensure_version(case, expected_version)
    now = timezone.now()
    name = upload.name.replace("\\", "/").rsplit("/", 1)[-1][:255]
    attachment = Attachment(
        case=case,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        uploaded_by=actor,
        uploaded_at=now,
    )
    # The file is written first and removed again if its row is not
    # committed, so no file is left on disk without its row.
    storage = attachment.file.storage
    stored = storage.save(attachment.file.field.generate_filename(attachment, name), upload)
    attachment.file.name = stored
    try:
        with transaction.atomic():
            attachment.event = write_case(
                case,
                actor=actor,
                at=now,
                action=EventAction.EVIDENCE,
                note=note,
                changes={"file": name, "sha256": sha256, "size": upload.size},
            )
            attachment.save()
    except BaseException:
        _remove_unless_recorded(storage, stored)
        raise
    attachment.is_new = True
    return attachment


def _remove_unless_recorded(storage, stored: str) -> None:
    """Delete an evidence file whose transaction failed, unless its row was
    committed after all (a connection lost during COMMIT leaves that open;
    asked on a new connection)."""
    try:
        recorded = retry_database(lambda: Attachment.objects.filter(file=stored).exists(), what="checking an upload", tries=4)
    except DATABASE_ERRORS:
        logger.error("Evidence file %s kept: the database cannot say whether its row was committed.", stored)
        return
    if not recorded:
        storage.delete(stored)
