"""Writing report workbooks: streamed (write-only, so memory stays flat),
every cell a value and never a formula."""

import datetime
import decimal
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# Text a spreadsheet program could take for a formula (or a DDE call) when
# the cell is edited: kept as text, marked with the quote prefix.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")


def value_cell(sheet, value, *, font: Font | None = None, wrap: bool = False) -> WriteOnlyCell:
    """A cell holding ``value`` as a value: a string is always stored as
    text, whatever it starts with."""
    if isinstance(value, decimal.Decimal):
        value = float(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    if wrap:
        cell.alignment = WRAP
    return cell


class Sheet:
    """A write-only sheet with a title row, a header row and data rows."""

    def __init__(self, workbook: Workbook, name: str, *, widths: list[int], title: str | None = None):
        self.sheet = workbook.create_sheet(name[:31])
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.wide = {index for index, width in enumerate(widths) if width >= 30}
        self.rows = 0
        if title:
            self.sheet.freeze_panes = "A3"
            self.append([title], font=TITLE)
        else:
            self.sheet.freeze_panes = "A2"

    def append(self, values, *, font: Font | None = None) -> None:
        self.sheet.append(
            [value_cell(self.sheet, value, font=font, wrap=index in self.wide) for index, value in enumerate(values)]
        )
        self.rows += 1

    def header(self, headers) -> None:
        self.append(headers, font=BOLD)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
