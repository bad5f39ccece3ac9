"""Cases as the API shows them, built from ``.values()`` rows: no model
instances and no per-row queries, so a page of 200 costs what a page of 1
does. Every enum value comes with its Chinese label, the term the bureaus
use, whatever language the client asked for."""

from django.utils import translation

from cases.constants import OPEN_STATUSES, DeadlineType, Kind, Status, status_label
from cases.querysets import local_today

# Columns read for lists; ``campaign__code`` and ``city__name`` come by join.
LIST_COLUMNS = (
    "id",
    "reference",
    "campaign__code",
    "kind",
    "title",
    "city_id",
    "city__name",
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
    "ordered_to_rectify",
    "penalty_cases",
    "fines_yuan",
    "criminal_cases",
    "detentions",
    "summons",
    "people_held_accountable",
    "film_year",
    "found_on",
)
LABEL_LANGUAGE = "zh-hans"
RENAMED = {"campaign__code": "campaign", "city_id": "city", "city__name": "city_name", "duplicate_of_id": "duplicate_of"}


class CaseRenderer:
    """Turns rows into dicts. Labels are looked up once per renderer, not
    once per row."""

    def __init__(self, today=None):
        self.today = today or local_today()
        with translation.override(LABEL_LANGUAGE):
            self.kind_labels = {kind.value: str(kind.label) for kind in Kind}
            self.deadline_type_labels = {d.value: str(d.label) for d in DeadlineType}
            self.status_labels = {(s.value, k.value): status_label(s.value, k.value) for s in Status for k in Kind}

    def __call__(self, row: dict) -> dict:
        case = {RENAMED.get(key, key): value for key, value in row.items() if key != "feed_xid"}
        status, kind, deadline = row["status"], row["kind"], row["deadline"]
        days = (self.today - deadline).days if deadline and status in OPEN_STATUSES else 0
        case["kind_label"] = self.kind_labels[kind]
        case["status_label"] = self.status_labels[(status, kind)]
        case["deadline_type_label"] = self.deadline_type_labels[row["deadline_type"]]
        case["days_overdue"] = max(days, 0)
        case["is_overdue"] = days > 0
        if "fines_yuan" in case:
            case["fines_yuan"] = str(case["fines_yuan"])
        return case
