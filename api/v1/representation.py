"""Cases as the API shows them, built from ``.values()`` rows: no model
instances and no per-row queries, so a page of 200 costs what a page of 1
does. Every enum value comes with its Chinese label, the term the bureaus
use, whatever language the client asked for."""

import functools
import time

import orjson

from django.db.models import CharField, DateTimeField, Expression, Func
from django.db.models.signals import post_save
from django.utils import translation

from cases.constants import ACCOUNTABILITY_FIELDS, WITH_CITY_STATUSES, DeadlineType, Kind, Status, status_label
from cases.models import Campaign, City, Division, Unit
from cases.querysets import local_today

# Columns read for lists. Campaign codes and city names come from
# ReferenceNames, not by join: the joins cost the planner more than the
# whole rest of a list query.
LIST_COLUMNS = (
    "id",
    "reference",
    "campaign_id",
    "kind",
    "title",
    "city_id",
    "division_id",
    "status",
    "deadline_type",
    "deadline",
    "version",
    "created_at",
    "updated_at",
    "closed_at",
)
DETAIL_COLUMNS = LIST_COLUMNS + (
    "description",
    "progress",
    "reopened_count",
    "withdrawn_at",
    "problem_number",
    "target",
    "measures",
    "lead_unit_id",
    "cooperating_unit_ids",
    "acceptance_number",
    "petition_batch",
    "transferred_on",
    "district",
    "pollution_types",
    "is_key_case",
    "duplicate_of_id",
    "investigation",
    "veracity",
    "handling",
    *ACCOUNTABILITY_FIELDS,
    "film_year",
    "found_on",
    "review_stage",
    "publicity_starts_on",
    "publicity_ends_on",
    "ready_for_sign_off_on",
    "milestones_json",  # shown as "milestones" (the name of the relation)
)
LABEL_LANGUAGE = "zh-hans"
NAMES_TTL = 300  # seconds
TIMESTAMPS = ("created_at", "updated_at", "closed_at", "withdrawn_at")
TEXT_SUFFIX = "_text"


class IsoText(Func):
    """A timestamp column as ISO 8601 text made by PostgreSQL itself: the
    driver's parsing into a datetime, only for orjson to print it again,
    costs more than all the row's other columns together. Elsewhere the
    column as it is (Django converts it, and the renderer prints it)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.get_source_expressions()[0])

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"(to_json({sql}) #>> '{{}}')", params


class CooperatingUnitIds(Expression):
    """A case's cooperating units' ids, comma-separated in id order (one
    correlated subquery, not one row per unit)."""

    output_field = CharField()
    TABLE = "cases_case_cooperating_units"

    def as_sql(self, compiler, connection, **extra):
        return (
            f"(SELECT group_concat(unit_id, ',') FROM (SELECT unit_id FROM {self.TABLE} "
            f'WHERE case_id = "cases_case"."id" ORDER BY unit_id))',
            [],
        )

    def as_postgresql(self, compiler, connection, **extra):
        return (
            f"(SELECT string_agg(unit_id::text, ',' ORDER BY unit_id) FROM {self.TABLE} "
            f'WHERE case_id = "cases_case"."id")',
            [],
        )


class Milestones(Expression):
    """A case's milestones as a JSON array of {id, due_on, target, met_on},
    by date (one correlated subquery on the milestones' case index). Raw
    SQL does not go through the model's manager: it leaves out the removed
    ones (``removed_at``) itself, as ``Milestone.objects`` does."""

    output_field = CharField()
    TABLE = "cases_milestone"
    FIELDS = ("id", "due_on", "target", "met_on")

    # Only a long-term case has milestones (cases/milestones.py): the others,
    # most of a feed, skip the lookup.
    LONG_TERM = "\"cases_case\".\"deadline_type\" = 'long_term'"

    def as_sql(self, compiler, connection, **extra):
        pairs = ", ".join(f"'{name}', {name}" for name in self.FIELDS)
        return (
            f"(CASE WHEN {self.LONG_TERM} THEN (SELECT json_group_array(json_object({pairs})) FROM "
            f"(SELECT {', '.join(self.FIELDS)} FROM {self.TABLE} "
            f'WHERE case_id = "cases_case"."id" AND removed_at IS NULL ORDER BY due_on, id)) END)',
            [],
        )

    def as_postgresql(self, compiler, connection, **extra):
        return f"({self.json_sql()})::text", []

    @classmethod
    def json_sql(cls) -> str:
        """The array as PostgreSQL json ([] when none), for the feed's SQL too."""
        pairs = ", ".join(f"'{name}', m.{name}" for name in cls.FIELDS)
        return (
            f"CASE WHEN {cls.LONG_TERM} THEN COALESCE((SELECT json_agg(json_build_object({pairs}) ORDER BY m.due_on, m.id) "
            f'FROM {cls.TABLE} AS m WHERE m.case_id = "cases_case"."id" AND m.removed_at IS NULL), \'[]\'::json) '
            "ELSE '[]'::json END"
        )


COMPUTED = {"cooperating_unit_ids": CooperatingUnitIds, "milestones_json": Milestones}


def values_arguments(columns: tuple[str, ...]) -> tuple[tuple[str, ...], dict]:
    """The fields and expressions of ``.values()`` for ``columns``:
    timestamps as text, computed columns as their expressions."""
    plain = tuple(c for c in columns if c not in TIMESTAMPS and c not in COMPUTED)
    expressions = {c + TEXT_SUFFIX: IsoText(c) for c in columns if c in TIMESTAMPS}
    expressions |= {c: COMPUTED[c]() for c in columns if c in COMPUTED}
    return plain, expressions


def select(queryset, columns: tuple[str, ...]):
    """``queryset.values()`` of ``columns``, timestamps as text."""
    plain, expressions = values_arguments(columns)
    return queryset.values(*plain, **expressions)


def unit_ids(text: str | None) -> list[int]:
    return [int(part) for part in text.split(",")] if text else []


class ReferenceNames:
    """Campaign codes by id, city and division names by code, unit names by
    id, kept per process and re-read when an unknown one shows up or after
    a few minutes."""

    def __init__(self):
        self.read_at = 0.0
        self.campaigns: dict[int, str] = {}
        self.divisions: dict[str, str] = {}
        self.units: dict[int, str] = {}
        self.loaded: set[str] = set()

    # A city's name is its division's (a city is a division of the tree).
    SOURCES = {
        "campaigns": (Campaign, "id", "code"),
        "divisions": (Division, "code", "name"),
        "units": (Unit, "id", "name"),
    }

    def _refresh(self, name: str):
        model, key, value = self.SOURCES[name]
        setattr(self, name, dict(model.objects.values_list(key, value)))
        self.loaded.add(name)

    def fresh(self) -> "ReferenceNames":
        """Forget what is older than the TTL; each table is read again when
        a name from it is first needed."""
        if time.monotonic() - self.read_at > NAMES_TTL:
            self.campaigns, self.divisions, self.units, self.loaded = {}, {}, {}, set()
            self.read_at = time.monotonic()
        return self

    def table(self, name: str) -> dict:
        """A whole table of names (read now if it was forgotten)."""
        if name not in self.loaded:
            self._refresh(name)
        return getattr(self, name)

    def _get(self, name: str, key, default=None):
        table = getattr(self, name)
        if key not in table:
            self._refresh(name)
            table = getattr(self, name)
        return table.get(key, default)

    def campaign(self, campaign_id: int) -> str:
        return self._get("campaigns", campaign_id)

    def city(self, code: str | None) -> str | None:
        return None if code is None else self._get("divisions", code)

    def division(self, code: str | None) -> str | None:
        return None if code is None else self._get("divisions", code)

    def unit(self, unit_id: int | None) -> str:
        return "" if unit_id is None else self._get("units", unit_id, "")

    def place(self, division: str, district: str) -> str:
        """A case's 行政区域 as ledgers write it: its county with the city's
        name (九江市浔阳区), else what was kept as text."""
        if district or division.endswith("00"):
            return district
        city = self.division(division[:4] + "00") or ""
        return city + (self.division(division) or "")


NAMES = ReferenceNames()


def _forget_names(**kwargs):
    NAMES.read_at = 0.0
    NAMES.campaigns, NAMES.divisions, NAMES.units, NAMES.loaded = {}, {}, {}, set()


# A rename in this process shows at once; other processes see it within the TTL.
for _model in (Campaign, City, Division, Unit):
    post_save.connect(_forget_names, sender=_model, dispatch_uid=f"api-names-{_model.__name__}")


@functools.cache
def _labels() -> tuple[dict, dict, dict]:
    """The Chinese labels, looked up once per process, not once per row."""
    with translation.override(LABEL_LANGUAGE):
        return (
            {kind.value: str(kind.label) for kind in Kind},
            {d.value: str(d.label) for d in DeadlineType},
            {(s.value, k.value): status_label(s.value, k.value) for s in Status for k in Kind},
        )


class CaseRenderer:
    """Turns rows into dicts, with the deadline arithmetic of one day."""

    def __init__(self, today=None):
        self.today = today or local_today()
        self.kind_labels, self.deadline_type_labels, self.status_labels = _labels()
        self.names = NAMES.fresh()

    def __call__(self, row: dict) -> dict:
        """Turn ``row`` into the case's representation, in place (copying a
        dict of fifty keys per case is the feed's largest cost)."""
        case = row
        case.pop("feed_xid", None)
        case["campaign"] = self.names.campaign(case.pop("campaign_id"))
        case["city"] = city = case.pop("city_id")
        case["city_name"] = self.names.city(city)
        case["division"] = division = case.pop("division_id")
        case["division_name"] = self.names.division(division)
        if "lead_unit_id" in case:
            # v1's text fields, from the records: 责任单位 is the lead unit.
            case["lead_unit"] = case["responsible_unit"] = self.names.unit(case["lead_unit_id"])
            case["cooperating_unit_ids"] = ids = unit_ids(case["cooperating_unit_ids"])
            case["cooperating_units"] = "、".join(self.names.unit(unit) for unit in ids)
            case["district"] = self.names.place(division, case["district"])
        for name in TIMESTAMPS:
            if name + TEXT_SUFFIX in case:
                case[name] = case.pop(name + TEXT_SUFFIX)
        if "milestones_json" in case:
            case["milestones"] = orjson.loads(case.pop("milestones_json") or "[]")
        if "duplicate_of_id" in case:
            case["duplicate_of"] = case.pop("duplicate_of_id")
        status, kind, deadline = case["status"], case["kind"], case["deadline"]
        days = (self.today - deadline).days if deadline and status in WITH_CITY_STATUSES else 0
        case["kind_label"] = self.kind_labels[kind]
        case["status_label"] = self.status_labels[(status, kind)]
        case["deadline_type_label"] = self.deadline_type_labels[case["deadline_type"]]
        case["days_overdue"] = max(days, 0)
        case["is_overdue"] = days > 0
        if "fines_yuan" in case:
            case["fines_yuan"] = str(case["fines_yuan"])
        return case
