"""The rectification ledger (整改台账) of a case list as .xlsx: one sheet
per kind, the headers of the import layouts (in Chinese whatever the
viewer's language, since ledgers go to other bureaus), dates as dates,
every cell a value (cases/spreadsheet.py). Importing the file again
changes nothing."""

import datetime

from django.http import FileResponse

from cases.constants import Kind
from cases.spreadsheet import Column, Workbook, xlsx_response

from .parsing import values as v
from .parsing.layouts import LEDGER, PETITIONS

SHEET_TITLES = {
    Kind.FEEDBACK_PROBLEM: "督察反馈问题",
    Kind.PETITION: "信访件",
    Kind.WARNING_ITEM: "警示片问题",
    Kind.PROVINCIAL_PROBLEM: "省级督察问题",
}
PROBLEM_COLUMNS = (
    "problem_number",
    "reference",
    "title",
    "target",
    "measures",
    "responsible_unit",
    "lead_unit",
    "cooperating_units",
    "region",
    "deadline",
    "milestones",
    "progress",
    "completion",
)
COLUMNS = {
    Kind.FEEDBACK_PROBLEM: PROBLEM_COLUMNS + ("campaign",),
    Kind.PROVINCIAL_PROBLEM: PROBLEM_COLUMNS + ("campaign",),
    Kind.WARNING_ITEM: PROBLEM_COLUMNS + ("film_year", "found_on", "campaign"),
    Kind.PETITION: (
        "serial",
        "acceptance_number",
        "summary",
        "region",
        "pollution_types",
        "investigation",
        "veracity",
        "handling",
        "accountability",
        "batch",
        "transferred_on",
        "key_case",
        "responsible_unit",
        "deadline",
        "milestones",
        "completion",
        "campaign",
    ),
}
WIDE = {"title", "summary", "target", "measures", "milestones", "progress", "investigation", "handling"}
CHUNK = 2000


def _cell_values(case, serial: int) -> dict:
    petition = case.kind == Kind.PETITION
    return {
        "serial": serial,
        "problem_number": case.problem_number,
        "reference": case.reference,
        "acceptance_number": case.acceptance_number,
        "title": case.title,
        "summary": case.title,
        "target": case.target,
        "measures": case.measures,
        "responsible_unit": case.lead_unit.name if case.lead_unit_id else "",
        "lead_unit": case.lead_unit.name if case.lead_unit_id else "",
        "cooperating_units": "、".join(unit.name for unit in case.cooperating_units.all()),
        "region": v.format_region(case.city.name if case.city else None, case.county_name),
        "deadline": v.format_deadline(case.deadline_type, case.deadline),
        "milestones": v.format_milestones(case.milestones.all()),
        "progress": case.progress,
        "completion": v.format_completion(case.status, petition=petition),
        "film_year": case.film_year,
        "found_on": case.found_on,
        "pollution_types": v.format_pollution_types(case.pollution_types or []),
        "investigation": case.investigation,
        "veracity": v.format_veracity(case.veracity),
        "handling": case.handling,
        "accountability": v.format_accountability({f: getattr(case, f) for f in v.ACCOUNTABILITY_FIELDS}),
        "batch": case.petition_batch,
        "transferred_on": case.transferred_on,
        "key_case": "是" if case.is_key_case else "否",
        "campaign": case.campaign.name,
    }


def fill_ledger(book: Workbook, cases) -> None:
    """Write the ledger of ``cases`` (already limited to what the viewer
    may see, filtered and ordered: a queryset, or a list's urgency
    segments) into ``book``: one sheet per kind, in the list's order."""
    for kind in Kind:
        layout = PETITIONS if kind == Kind.PETITION else LEDGER
        keys = COLUMNS[kind]
        sheet = book.add_sheet(
            SHEET_TITLES[kind], [Column(layout.column(key).header, 40 if key in WIDE else 16) for key in keys]
        )
        of_kind = cases.filter(kind=kind).select_related("city", "campaign", "division", "lead_unit").prefetch_related(
            "cooperating_units", "milestones"
        )
        for serial, case in enumerate(of_kind.iterator(chunk_size=CHUNK), start=1):
            values = _cell_values(case, serial)
            sheet.append([values[key] for key in keys])


def ledger_response(cases, *, today: datetime.date) -> FileResponse:
    """The ledger of ``cases`` as an .xlsx download."""
    return xlsx_response(lambda book: fill_ledger(book, cases), filename=f"整改台账-{today:%Y%m%d}.xlsx")
