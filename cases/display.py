"""How a recorded change reads to a person: the field's label and each
value's display label (属实, not ``true``; 南昌市, not ``360100``). An
event stores values as written to the database so that the audit trail
never depends on today's wording; this turns them into words when shown."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from .constants import Level, PollutionType, Status, status_label
from .models import Case, Milestone


def field_label(name: str) -> str:
    if name == "milestone":
        return str(Milestone._meta.verbose_name)
    if name == "milestones":
        return str(Milestone._meta.verbose_name_plural)
    if name == "recorded_from_ledger":
        return _("Review recorded from the ledger by the provincial office")
    try:
        return str(Case._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def value_label(name: str, value, kind: str | None = None) -> str:
    """``value`` of field ``name`` as stored in an event, in words (a
    status in the words of the case's ``kind``)."""
    if value is None or value == "" or value == []:
        return ""
    if name == "status" and value in Status.values:
        return status_label(value, kind)
    if name == "milestone" and isinstance(value, dict):
        text = f"{value.get('due_on')} {value.get('target')}"
        return text + (" " + _("(met on %(day)s)") % {"day": value["met_on"]} if value.get("met_on") else "")
    if name == "recorded_from_ledger" and value in Level.values:
        return str(Level(value).label)
    if name == "milestones" and isinstance(value, list):
        # A whole list, as the bulk upsert and the imports set it.
        return "；".join(value_label("milestone", item) for item in value if isinstance(item, dict))
    try:
        field = Case._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if name == "pollution_types" and isinstance(value, list):
        return "、".join(str(PollutionType(p).label) if p in PollutionType.values else str(p) for p in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(field, models.ManyToManyField) and isinstance(value, list):
        names = dict(field.related_model._default_manager.filter(pk__in=value).values_list("pk", "name"))
        return "、".join(names.get(pk, str(pk)) for pk in value)
    if isinstance(field, models.ForeignKey):
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related.reference if isinstance(related, Case) else related) if related else str(value)
    return str(value)


# What an event records beside the fields it changed: a dispatch report's
# round (cases' own code knows rounds only by the name recorded here).
NOT_FIELDS = ("round",)


def change_rows(changes: dict, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(label, old, new) of each field an event changed, in words."""
    rows = []
    for name, change in (changes or {}).items():
        if name in NOT_FIELDS:
            continue
        old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
        if name == "milestone" and old and new is None:
            rows.append((field_label(name), value_label(name, old, kind), _("deleted")))
            continue
        rows.append((field_label(name), value_label(name, old, kind), value_label(name, new, kind)))
    return rows


def report_heading(changes: dict, note: str = "") -> str:
    """A dispatch report's heading: the round's name, whether it came after
    the cutoff, and whether it reported no change (no new progress, in the
    case's field or, for a case the reporter no longer holds, the note)."""
    round = (changes or {}).get("round") or {}
    parts = [_("Dispatch report"), str(round.get("name", ""))]
    if round.get("late"):
        parts.append(_("late"))
    if "progress" not in changes and not note:
        parts.append(_("no change in progress"))
    return " · ".join(part for part in parts if part)
