"""Reading an uploaded file into sheets of cell values, refusing whatever
is not a plain spreadsheet of values: the whole file is refused before
any row is looked at, so a bad file changes nothing."""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException


class FileProblem(Exception):
    """The file as a whole cannot be imported. ``where`` locates the
    problem (sheet, row, column) when there is one place to point at."""

    def __init__(self, message, *, code: str, where: str = ""):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.where = where

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class Sheet:
    name: str
    # (row number in the file, cells) for every row with something in it.
    rows: list[tuple[int, list]] = field(default_factory=list)


def cell_name(row: int, column: int) -> str:
    """The address people see in Excel, e.g. F12 (column is 0-based)."""
    return f"{get_column_letter(column + 1)}{row}"


def _where(sheet: str, row: int, column: int) -> str:
    return _("sheet “%(sheet)s”, cell %(cell)s") % {"sheet": sheet, "cell": cell_name(row, column)}


MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
# Formatted-but-empty rows can run to Excel's last row; a long enough run of
# them is the end of the data, not a gap in it.
BLANK_RUN_ENDS_SHEET = 1000


def read_file(data: bytes, filename: str) -> list[Sheet]:
    """The sheets of an .xlsx or .csv file, only rows that hold a value.

    Raises FileProblem for an empty, unreadable or macro-enabled file, a
    formula, or more rows than allowed. (The size limit is checked before
    the file is stored, in ``imports.services``.)"""
    if not data.strip():
        raise FileProblem(_("The file is empty."), code="empty")
    name = filename.lower()
    if name.endswith(MACRO_SUFFIXES):
        raise FileProblem(
            _("Macro-enabled and binary workbooks are refused; save the sheet as .xlsx (without macros) or .csv."),
            code="macros",
        )
    if data[:4] == b"\xd0\xcf\x11\xe0" or name.endswith(".xls"):
        raise FileProblem(
            _("Old Excel 97–2003 (.xls) files are not read; save the sheet as .xlsx or .csv."), code="not_spreadsheet"
        )
    if name.endswith(".xlsx"):
        sheets = _read_xlsx(data)
    elif name.endswith(".csv"):
        sheets = [_read_csv(data, filename)]
    else:
        raise FileProblem(_("Only .xlsx and .csv files can be imported."), code="not_spreadsheet")
    if not any(sheet.rows for sheet in sheets):
        raise FileProblem(_("The file is empty: no sheet has any value in it."), code="empty")
    return sheets


def _check_row_count(count: int) -> None:
    limit = settings.IMPORT_MAX_ROWS
    if count > limit:
        raise FileProblem(
            _("The file has more than %(limit)d rows; at most %(limit)d rows can be imported at once. Split it.")
            % {"limit": limit},
            code="too_many_rows",
        )


def content_size(data: bytes, filename: str) -> int:
    """The bytes there are to read: an .xlsx's unpacked size, from its zip
    directory (nothing is unpacked), else the file's own size."""
    if filename.lower().endswith(".xlsx") and data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return sum(member.file_size for member in archive.infolist())
        except zipfile.BadZipFile:
            pass
    return len(data)


# <dimension ref="A1:I3000"/>, the sheet's used range, which Excel and
# every library writing .xlsx put before the rows.
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
DIMENSION_WITHIN = 64 * 1024  # bytes at the start of a sheet's XML


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _too_many_columns(where: str = "") -> FileProblem:
    return FileProblem(
        _("A sheet has more than %(limit)d columns; at most %(limit)d can be imported. Delete the empty columns.")
        % {"limit": settings.IMPORT_MAX_COLUMNS},
        code="too_many_columns",
        where=where,
    )


def _check_unpacked(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose content is too large before reading any of
    it: the unpacked sizes from the zip directory (reading a member stops at
    its stated size, so a lying entry gains nothing), then each sheet's
    stated dimension, which is near the start of its XML."""
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise FileProblem(
            _(
                "The workbook unpacks to %(size)d MB; at most %(limit)d MB can be read. "
                "Split it, or save it again without formatting or images."
            )
            % {"size": unpacked // (1024 * 1024), "limit": settings.IMPORT_MAX_UNPACKED_BYTES // (1024 * 1024)},
            code="too_large",
        )
    for member in members:
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        with archive.open(member) as sheet:
            match = DIMENSION.search(sheet.read(DIMENSION_WITHIN))
        if match is None:
            continue  # checked row by row while reading
        last_column, last_row = match.group(3) or match.group(1), match.group(4) or match.group(2)
        if _column_number(last_column) > settings.IMPORT_MAX_COLUMNS:
            raise _too_many_columns()
        # Rows beyond the limit may be blank (a formatted sheet runs on);
        # far beyond it they are the data.
        if int(last_row) > settings.IMPORT_MAX_ROWS + BLANK_RUN_ENDS_SHEET:
            _check_row_count(int(last_row))


def _check_cell(value, where) -> None:
    """``where()`` names the cell, only when there is something to say."""
    if isinstance(value, str) and len(value) > settings.IMPORT_MAX_CELL_CHARS:
        raise FileProblem(
            _("A cell holds %(length)d characters; at most %(limit)d are accepted.")
            % {"length": len(value), "limit": settings.IMPORT_MAX_CELL_CHARS},
            code="cell_too_long",
            where=where(),
        )


def _read_xlsx(data: bytes) -> list[Sheet]:
    if data[:4] != b"PK\x03\x04":
        raise FileProblem(_("This is not an Excel workbook (.xlsx), although its name says so."), code="not_spreadsheet")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            # A macro workbook renamed to .xlsx still carries its VBA project.
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise FileProblem(
                    _("The workbook contains macros; save it as a plain .xlsx (without macros) and import that."),
                    code="macros",
                )
            _check_unpacked(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        raise FileProblem(_("The workbook is damaged and cannot be read."), code="not_spreadsheet") from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileProblem(_("The workbook is damaged and cannot be read."), code="not_spreadsheet") from None
    sheets, total = [], 0
    try:
        for worksheet in workbook.worksheets:
            sheet = Sheet(worksheet.title)
            blank_run = 0
            for number, row in enumerate(worksheet.iter_rows(), start=1):
                values = []
                for column, cell in enumerate(row):
                    if cell.data_type == "f":
                        raise FileProblem(
                            _("Formulas are refused; copy the sheet and paste values only."),
                            code="formula",
                            where=_where(worksheet.title, number, column),
                        )
                    value = cell.value
                    if value is None:
                        values.append(None)
                        continue
                    if column >= settings.IMPORT_MAX_COLUMNS:
                        raise _too_many_columns(_where(worksheet.title, number, column))
                    _check_cell(value, lambda: _where(worksheet.title, number, column))
                    values.append(value.strip() if isinstance(value, str) else value)
                if any(v not in (None, "") for v in values):
                    blank_run = 0
                    sheet.rows.append((number, values))
                    total += 1
                    _check_row_count(total)
                else:
                    blank_run += 1
                    if blank_run >= BLANK_RUN_ENDS_SHEET:
                        break
            sheets.append(sheet)
    finally:
        workbook.close()
    return sheets


def _encoding(data: bytes) -> str:
    """The encoding the whole file decodes with (checked in slices, so that
    no second copy of a large file is made)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" is UTF-16.
        raise FileProblem(
            _("The .csv is saved as UTF-16 (“Unicode text”); save it as CSV in UTF-8 or GBK."), code="encoding"
        )
    if b"\x00" in data[:8192]:
        raise FileProblem(_("This is not a text (.csv) file."), code="not_spreadsheet")
    # Excel on Chinese Windows saves .csv in GBK; GB 18030 is its superset.
    candidates = ("utf-8-sig",) if data.startswith(b"\xef\xbb\xbf") else ("utf-8", "gb18030")
    for encoding in candidates:
        if _decodes(data, encoding):
            return encoding
    raise FileProblem(_("The text encoding is not recognised; save the .csv as UTF-8 or GBK."), code="encoding")


def _decodes(data: bytes, encoding: str, slice_bytes: int = 1 << 20) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), slice_bytes):
            decoder.decode(data[start : start + slice_bytes])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_where(row: int, column: int) -> str:
    return _("row %(row)d, column %(column)s") % {"row": row, "column": get_column_letter(column + 1)}


def _read_csv(data: bytes, filename: str) -> Sheet:
    # Read as a stream: the text is never held whole beside the bytes.
    content = io.TextIOWrapper(io.BytesIO(data), encoding=_encoding(data), newline="")
    try:
        dialect = csv.Sniffer().sniff(content.read(8192), delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    content.seek(0)
    sheet = Sheet(filename.replace("\\", "/").rsplit("/", 1)[-1])
    try:
        for number, row in enumerate(csv.reader(content, dialect), start=1):
            values = [cell.strip() for cell in row]
            while values and not values[-1]:
                values.pop()
            if len(values) > settings.IMPORT_MAX_COLUMNS:
                raise _too_many_columns(_csv_where(number, settings.IMPORT_MAX_COLUMNS))
            for column, value in enumerate(values):
                _check_cell(value, lambda: _csv_where(number, column))
                if value.startswith("="):
                    raise FileProblem(
                        _("Formulas are refused; a cell may not start with “=”."),
                        code="formula",
                        where=_csv_where(number, column),
                    )
            if any(values):
                sheet.rows.append((number, [v or None for v in values]))
                _check_row_count(len(sheet.rows))
    except csv.Error as error:
        raise FileProblem(_("The .csv file cannot be read: %(error)s") % {"error": error}, code="not_spreadsheet") from None
    return sheet
