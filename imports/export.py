"""The rectification ledger (整改台账) of a case list as .xlsx: one sheet
per kind, the headers of the import layouts (in Chinese whatever the
viewer's language, since ledgers go to other bureaus), dates as dates.
Importing the file again changes nothing."""

import datetime
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from cases.constants import Kind

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
        "completion",
        "campaign",
    ),
}
WIDE = {"title", "summary", "target", "measures", "progress", "investigation", "handling"}
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
        "responsible_unit": case.responsible_unit,
        "lead_unit": case.lead_unit,
        "cooperating_units": case.cooperating_units,
        "region": v.format_region(case.city.name if case.city else None, case.district),
        "deadline": v.format_deadline(case.deadline_type, case.deadline),
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


def _cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str) and value.startswith("="):
        # Text that looks like a formula stays text: a ledger must never
        # compute anything when a bureau opens it.
        cell.data_type = "s"
    return cell


def write_ledger(queryset) -> bytes:
    """The ledger of ``queryset`` (already limited to what the viewer may
    see, and filtered) as .xlsx bytes."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for kind in Kind:
        layout = PETITIONS if kind == Kind.PETITION else LEDGER
        keys = COLUMNS[kind]
        sheet = workbook.create_sheet(SHEET_TITLES[kind])
        for index, key in enumerate(keys):
            letter = chr(ord("A") + index)
            sheet.column_dimensions[letter].width = 40 if key in WIDE else 16
        sheet.freeze_panes = "A2"
        header = []
        for key in keys:
            cell = WriteOnlyCell(sheet, value=layout.column(key).header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        cases = queryset.filter(kind=kind).select_related("city", "campaign")
        for serial, case in enumerate(cases.iterator(chunk_size=CHUNK), start=1):
            values = _cell_values(case, serial)
            sheet.append([_cell(sheet, values[key]) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
