"""Reading petition batches and problem ledgers from .xlsx and .csv files.

``parse_file`` is the one entry point: file bytes in, the items to upsert
and a problem report per row out. Nothing here writes to the database."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cases.divisions import HOME_PROVINCE
from cases.models import City
from cases.units import division_names

from .layouts import expected_headers, find_header
from .reader import FileProblem, read_file
from .rows import ParsedRow, RowProblem, RowReader

__all__ = ["FileProblem", "ParsedFile", "ParsedRow", "RowProblem", "parse_file"]


@dataclass
class SheetSummary:
    name: str
    layout: str  # "petitions", "ledger", or "" when the sheet was skipped
    header_row: int | None
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "layout": self.layout,
            "header_row": self.header_row,
            "ignored_columns": self.ignored_columns,
        }


@dataclass
class ParsedFile:
    sheets: list[SheetSummary]
    rows: list[ParsedRow]


def parse_file(data: bytes, filename: str, *, campaign) -> ParsedFile:
    """Every data row of every recognised sheet, in file order.

    Raises FileProblem when the file cannot be imported at all (see
    ``reader.read_file``), or when no sheet has a header row."""
    sheets = read_file(data, filename)
    cities = dict(City.objects.values_list("name", "code"))
    names = division_names()

    def counties(name: str) -> list[str]:
        return [code for code in names.find(name, within=HOME_PROVINCE) if not code.endswith("00")]

    summaries, rows = [], []
    for sheet in sheets:
        header = find_header(sheet)
        if header is None:
            summaries.append(SheetSummary(sheet.name, "", None))
            continue
        summaries.append(SheetSummary(sheet.name, header.layout.name, header.row_number, header.ignored))
        reader = RowReader(sheet=sheet, header=header, campaign=campaign, cities=cities, counties=counties)
        rows.extend(reader.rows())
    if not any(summary.layout for summary in summaries):
        raise FileProblem(
            _("No header row found in the first rows of any sheet. Expected the columns %(expected)s.")
            % {"expected": expected_headers()},
            code="no_header",
        )
    _mark_repeated_references(rows)
    return ParsedFile(summaries, rows)


def _mark_repeated_references(rows: list[ParsedRow]) -> None:
    """A reference twice in one file is a mistake in the file: the second
    row would silently overwrite the first."""
    first_seen: dict[str, ParsedRow] = {}
    for row in rows:
        if not row.reference:
            continue
        first = first_seen.setdefault(row.reference, row)
        if first is not row:
            row.item = None
            row.problems.append(
                RowProblem(
                    "",
                    "",
                    _("The reference %(reference)s already appears in sheet “%(sheet)s”, row %(row)d.")
                    % {"reference": row.reference, "sheet": first.sheet, "row": first.row},
                )
            )
