"""Data rows of a recognised sheet to the API-shaped items that
``cases.upsert.upsert_cases`` takes, with every problem of a row reported
against the column (and cell) it came from.

Only the columns the file has become fields of the item, so a file with
fewer columns never blanks the fields it does not mention. Cells that are
empty in a column the file has do clear the field: the sheet is the
ledger."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from cases.constants import CampaignKind, DeadlineType, Kind

from . import values as v
from .layouts import PETITIONS, HeaderRow
from .reader import Sheet, cell_name

TITLE_LIMIT = 300

# The kind of a ledger row follows from the campaign it belongs to.
LEDGER_KINDS = {
    CampaignKind.CENTRAL: Kind.FEEDBACK_PROBLEM,
    CampaignKind.PROVINCIAL: Kind.PROVINCIAL_PROBLEM,
    CampaignKind.WARNING_FILM: Kind.WARNING_ITEM,
}

# Which column a case field comes from, to place the upsert's errors.
FIELD_COLUMNS = {
    "title": ("summary", "title"),
    "description": ("summary", "title"),
    "city": ("region",),
    "district": ("region",),
    "division": ("region",),
    "lead_unit": ("lead_unit", "responsible_unit"),
    "deadline": ("deadline",),
    "deadline_type": ("deadline",),
    "deadline_working_days": ("deadline_working_days",),
    "transferred_on": ("transferred_on",),
    "status": ("completion",),
    "note": ("completion",),
    "reference": ("reference", "acceptance_number", "problem_number"),
    "petition_batch": ("batch",),
    "is_key_case": ("key_case",),
    **{name: ("accountability",) for name in v.ACCOUNTABILITY_FIELDS},
}


@dataclass
class RowProblem:
    column: str  # the header as written, or "" for the row as a whole
    cell: str  # e.g. F12, or "" when the column is missing from the file
    message: str

    def as_dict(self) -> dict:
        return {"column": self.column, "cell": self.cell, "message": self.message}


@dataclass
class ParsedRow:
    sheet: str
    row: int
    reference: str
    item: dict | None  # None when the row is invalid
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # True when a ledger row without 编号 is known only by its 问题序号.
    keyed_by_number: bool = False
    # Filled in when the row has been through the upsert.
    outcome: str = "invalid"
    changed_fields: list[str] = field(default_factory=list)
    # Case field -> (header as written, column letter); shared by the rows
    # of a sheet, to place problems found later (by the upsert).
    columns: dict = field(default_factory=dict, repr=False)

    def problem(self, field_name: str, message: str) -> RowProblem:
        header, letter = self.columns.get(field_name, (field_name, ""))
        return RowProblem(header, f"{letter}{self.row}" if letter else "", message)


class RowReader:
    """Reads the data rows of one sheet under its header row."""

    def __init__(self, *, sheet: Sheet, header: HeaderRow, campaign, cities: dict[str, str], counties=None):
        self.sheet = sheet
        self.header = header
        self.campaign = campaign
        self.cities = cities  # full name -> code
        self.counties = counties  # name -> the county-level codes it may mean
        self.kind = Kind.PETITION if header.layout is PETITIONS else LEDGER_KINDS[campaign.kind]
        self.columns = self._columns()

    def rows(self):
        for number, cells in self.sheet.rows:
            if number > self.header.row_number:
                yield self.read(number, cells)

    def _columns(self) -> dict:
        """Case field -> (header, column letter) for the upsert's errors."""
        located = {}
        fields = set(FIELD_COLUMNS) | set(self.header.positions)
        for field_name in fields:
            for key in FIELD_COLUMNS.get(field_name, (field_name,)):
                if key in self.header.positions:
                    letter = get_column_letter(self.header.positions[key] + 1)
                    located[field_name] = (self.header.where(key), letter)
                    break
        return located

    def read(self, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(sheet=self.sheet.name, row=number, reference="", item=None, columns=self.columns)
        positions = self.header.positions
        item: dict = {"campaign": self.campaign.code, "kind": self.kind}

        def cell(key):
            position = positions.get(key)
            if position is None or position >= len(cells):
                return None
            return cells[position]

        def parse(key, parser, *args):
            try:
                return parser(cell(key), *args)
            except ValueError as error:
                row.problems.append(
                    RowProblem(self.header.where(key), cell_name(number, positions[key]), str(error))
                )
                return None

        present = positions.keys()
        if "campaign" in present:
            # A ledger exported from several campaigns names each row's; a row
            # of another campaign must not be imported into this one.
            named = v.normalize(cell("campaign"))
            if named and named not in (v.normalize(self.campaign.name), self.campaign.code):
                row.problems.append(
                    RowProblem(
                        self.header.where("campaign"),
                        cell_name(number, positions["campaign"]),
                        _("This row belongs to “%(named)s”, not to the campaign being imported (%(campaign)s).")
                        % {"named": v.text(cell("campaign")), "campaign": self.campaign.name},
                    )
                )
        if self.kind == Kind.PETITION:
            self._petition(item, present, cell, parse, row)
        else:
            self._problem(item, present, cell, parse, row)
        if "region" in present:
            region = parse("region", v.parse_region, self.cities, self.counties)
            if region is not None:
                item["city"] = region.city_code
                item["district"] = region.district
        if "transferred_on" in present:
            transferred_on = parse("transferred_on", v.parse_date)
            item["transferred_on"] = transferred_on.isoformat() if transferred_on else None
        # A deadline stated as working days from the 交办日期 (a petition's 办理时限).
        working_days = parse("deadline_working_days", v.parse_working_days) if "deadline_working_days" in present else None
        if working_days is not None:
            item["deadline_working_days"] = working_days
        if "deadline" in present and v.normalize(cell("deadline")):
            deadline = parse("deadline", v.parse_deadline)
            if deadline is not None:
                item["deadline_type"], deadline_date = deadline
                item["deadline"] = deadline_date.isoformat() if deadline_date else None
        elif working_days is not None:
            item["deadline_type"] = DeadlineType.DATED
        elif "deadline" in present and self.kind != Kind.PETITION:
            row.problems.append(
                RowProblem(self.header.where("deadline"), cell_name(number, positions["deadline"]), _("The deadline is empty."))
            )
        if "milestones" in present:
            milestones = parse("milestones", v.parse_milestones)
            if milestones is not None:
                item["milestones"] = milestones
        if "completion" in present:
            status = parse("completion", v.parse_completion)
            if status is not None:
                item["status"] = status
        for key in ("responsible_unit", "progress", "target", "measures", "lead_unit", "cooperating_units"):
            if key in present:
                item[key] = v.text(cell(key))
        if not row.problems:
            row.item = item
        return row

    def _title(self, item: dict, value) -> None:
        summary = v.text(value)
        if len(summary) <= TITLE_LIMIT:
            item["title"] = summary
        else:
            # A long complaint keeps its full text in the description.
            item["title"] = summary[: TITLE_LIMIT - 1] + "…"
            item["description"] = summary

    def _required_text(self, key: str, cell, number: int, row: ParsedRow) -> str:
        value = v.text(cell(key))
        if not value:
            row.problems.append(
                RowProblem(
                    self.header.where(key),
                    cell_name(number, self.header.positions[key]),
                    _("This column is required and empty in this row."),
                )
            )
        return value

    def _petition(self, item, present, cell, parse, row: ParsedRow) -> None:
        number = row.row
        acceptance = v.normalize(self._required_text("acceptance_number", cell, number, row))
        row.reference = acceptance
        item["reference"] = item["acceptance_number"] = acceptance
        summary = self._required_text("summary", cell, number, row)
        self._title(item, summary)
        if "pollution_types" in present:
            item["pollution_types"] = parse("pollution_types", v.parse_pollution_types) or []
        for key in ("investigation", "handling"):
            if key in present:
                item[key] = v.text(cell(key))
        if "veracity" in present:
            item["veracity"] = parse("veracity", v.parse_veracity) or ""
        if "accountability" in present:
            accountability = parse("accountability", v.parse_accountability)
            if accountability is not None:
                item.update({k: str(n) if k == "fines_yuan" else n for k, n in accountability.figures.items()})
                if accountability.unparsed:
                    # No figure could be read: keep the words with the handling
                    # so that nothing the bureau wrote is lost.
                    handling = item.get("handling", "")
                    kept = _("Accountability: %(text)s") % {"text": accountability.unparsed}
                    item["handling"] = f"{handling}\n{kept}" if handling else kept
                    row.notes.append(_("问责情况 has no figures that could be read; kept as text with the handling."))
        if "batch" in present:
            item["petition_batch"] = parse("batch", v.parse_whole_number)
        if "key_case" in present:
            item["is_key_case"] = bool(parse("key_case", v.parse_yes_no))

    def _problem(self, item, present, cell, parse, row: ParsedRow) -> None:
        number = row.row
        problem_number = parse("problem_number", v.parse_whole_number)
        item["problem_number"] = problem_number
        # The case's reference is its 编号 when the ledger has one (the export
        # writes it), else its problem number.
        reference = v.text(cell("reference")) if "reference" in present else ""
        if not reference and problem_number is None and not row.problems:
            self._required_text("problem_number", cell, number, row)
        row.reference = reference or (str(problem_number) if problem_number is not None else "")
        row.keyed_by_number = not reference and problem_number is not None
        item["reference"] = row.reference
        self._title(item, self._required_text("title", cell, number, row))
        # Only warning-film problems have a film year and a finding date.
        if self.kind == Kind.WARNING_ITEM:
            if "film_year" in present:
                item["film_year"] = parse("film_year", v.parse_whole_number)
            if "found_on" in present:
                found_on = parse("found_on", v.parse_date)
                item["found_on"] = found_on.isoformat() if found_on else None


def creation_defaults(kind: str) -> dict:
    """What a new case gets when the file says nothing about it: a petition
    transferred during the inspection is handled at once (边督边改)."""
    if kind == Kind.PETITION:
        return {"deadline_type": DeadlineType.IMMEDIATE}
    return {}
