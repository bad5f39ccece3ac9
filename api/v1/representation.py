"""Cases as the API shows them, built from ``.values()`` rows: no model
instances and no per-row queries, so a page of 200 costs what a page of 1
does. Every enum value comes with its Chinese label, the term the bureaus
use, whatever language the client asked for."""

import functools
import time

from django.db.models import DateTimeField, Func
from django.db.models.signals import post_save
from django.utils import translation

from cases.constants import ACCOUNTABILITY_FIELDS, WITH_CITY_STATUSES, DeadlineType, Kind, Status, status_label
from cases.models import Campaign, City
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
    "responsible_unit",
    "progress",
    "reopened_count",
    "withdrawn_at",
    "problem_number",
    "target",
    "measures",
    "lead_unit",
    "cooperating_units",
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


def select(queryset, columns: tuple[str, ...]):
    """``queryset.values()`` of ``columns``, timestamps as text."""
    plain = [c for c in columns if c not in TIMESTAMPS]
    texts = {c + TEXT_SUFFIX: IsoText(c) for c in columns if c in TIMESTAMPS}
    return queryset.values(*plain, **texts)


class ReferenceNames:
    """Campaign codes by id and city names by code, kept per process and
    re-read when an unknown id shows up or after a few minutes."""

    def __init__(self):
        self.read_at = 0.0
        self.campaigns: dict[int, str] = {}
        self.cities: dict[str, str] = {}

    def _refresh(self):
        self.campaigns = dict(Campaign.objects.values_list("id", "code"))
        self.cities = dict(City.objects.values_list("code", "name"))
        self.read_at = time.monotonic()

    def fresh(self) -> "ReferenceNames":
        if time.monotonic() - self.read_at > NAMES_TTL:
            self._refresh()
        return self

    def campaign(self, campaign_id: int) -> str:
        if campaign_id not in self.campaigns:
            self._refresh()
        return self.campaigns[campaign_id]

    def city(self, code: str | None) -> str | None:
        if code is None:
            return None
        if code not in self.cities:
            self._refresh()
        return self.cities.get(code)


NAMES = ReferenceNames()


def _forget_names(**kwargs):
    NAMES.read_at = 0.0
    NAMES.campaigns, NAMES.cities = {}, {}


# A rename in this process shows at once; other processes see it within the TTL.
for _model in (Campaign, City):
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
        for name in TIMESTAMPS:
            if name + TEXT_SUFFIX in case:
                case[name] = case.pop(name + TEXT_SUFFIX)
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
