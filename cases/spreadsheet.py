"""Every .xlsx the product writes (list exports, the ledger, the reports to
come) goes through this one streaming writer.

Two promises:

- **Every cell is a value.** Nothing is ever written as a formula. Text is
  an inline string, and text that a spreadsheet would take for a formula
  when a person edits the cell (it begins with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return) also carries the "quote prefix" style, the
  mark Excel and WPS set themselves when one types ``'=1+1``: shown and
  kept as text, never evaluated. The text itself is unchanged, so an
  exported ledger imports back to the same values.
- **Memory stays flat.** Rows go straight into the deflate stream of a
  temporary file (``write_xlsx``), sheet after sheet, as they come from
  the database; nothing holds a sheet, so a million rows take what one
  takes. The file is then streamed back by ``xlsx_response``.

openpyxl's write-only mode keeps the first promise only when told, cell
by cell, and manages about 3,000 rows of twelve columns a second; this
writer does the same XML by hand, at several times that (bench/RESULTS.md).
Only what the exports need is here: text, numbers, booleans, dates and
times, bold headers, column widths and a frozen header row.
"""

import datetime
import decimal
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from django.db import connection, transaction
from django.http import FileResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text a spreadsheet could read as a formula (OWASP's "CSV injection" list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Cell styles (indexes into cellXfs below).
PLAIN, BOLD, DATE, DATETIME, LITERAL_TEXT = range(5)

_EPOCH = datetime.date(1899, 12, 30)  # day 0 of Excel's 1900 date system, past its 1900 leap-year bug
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# Characters XML 1.0 cannot carry at all: dropped (text inputs refuse them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Anything that needs more than copying: one search decides (most text has none).
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# First or last characters that need a look (quote prefix, preserved space).
_EDGY = frozenset(FORMULA_TRIGGERS) | frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
_ROWS_PER_WRITE = 500

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """A (0) … Z (25), AA (26) …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def _text(ref: str, value: str, style: int = PLAIN) -> str:
    if _NOT_XML.search(value):
        value = _NOT_XML.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        style = LITERAL_TEXT
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{value.translate(_ESCAPES)}</t></is></c>'




def _number(ref: str, value) -> str:
    if not math.isfinite(value):
        return _text(ref, str(value))
    return f'<c r="{ref}"><v>{value}</v></c>'


def _boolean(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def _date(ref: str, value: datetime.date) -> str:
    return f'<c r="{ref}" s="{DATE}"><v>{(value - _EPOCH).days}</v></c>'


def _datetime(ref: str, value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        raise ValueError("a spreadsheet has no time zones: convert to local time and drop tzinfo first")
    moment = value - datetime.datetime(1899, 12, 30)
    serial = moment.days + (moment.seconds + moment.microseconds / 1e6) / 86400
    return f'<c r="{ref}" s="{DATETIME}"><v>{serial!r}</v></c>'


_WRITERS: dict[type, Callable] = {
    str: _text,
    int: _number,
    float: _number,
    decimal.Decimal: _number,
    bool: _boolean,
    datetime.date: _date,
    datetime.datetime: _datetime,
}


def _cell(ref: str, value) -> str:
    writer = _WRITERS.get(type(value))
    if writer is None:
        # Lazy translations, enum labels…: written as their text.
        return _text(ref, str(value))
    return writer(ref, value)


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12


class Sheet:
    """One worksheet being written: ``append`` rows of plain values. A
    ``heading`` (a report's title) goes in a bold first row, above the
    column headers; the panes freeze below the headers either way."""

    def __init__(self, stream, columns: Sequence[Column], heading: str | None = None):
        self._stream = stream
        self._letters = [column_letter(i) for i in range(len(columns))]
        self._number = 0
        self._pending: list[str] = []
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{column.width}" customWidth="1"/>'
            for i, column in enumerate(columns, start=1)
        )
        header_row = 2 if heading else 1
        first_data = f"A{header_row + 1}"
        self._write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_NS_R}>'
            '<sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="{first_data}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{first_data}" sqref="{first_data}"/>'
            f"</sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/><cols>{cols}</cols><sheetData>"
        )
        if heading:
            self._pending.append(f'<row r="1">{_text("A1", str(heading), BOLD)}</row>')
        self._number = self._header_row = header_row
        cells = "".join(
            _text(f"{letter}{header_row}", str(column.header), BOLD) for letter, column in zip(self._letters, columns)
        )
        self._pending.append(f'<row r="{header_row}">{cells}</row>')

    def _write(self, text: str) -> None:
        self._stream.write(text.encode())

    def append(self, values: Iterable) -> None:
        self._number += 1
        number = self._number
        cells = [f'<row r="{number}">']
        add = cells.append
        # The hot loop of every export: plain text is written inline; all
        # else goes through _cell, which does the same job in full.
        for letter, value in zip(self._letters, values):
            if value.__class__ is str:
                if not value:
                    continue
                if value[0] in _EDGY or value[-1] in _EDGY or _SPECIAL.search(value) is not None:
                    add(_text(f"{letter}{number}", value))
                else:
                    add(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif value is not None:
                add(_cell(f"{letter}{number}", value))
        add("</row>")
        self._pending.append("".join(cells))
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        self._write("".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        self._flush()
        self._write("</sheetData></worksheet>")
        self._stream.close()

    def abandon(self) -> None:
        self._pending.clear()
        self._stream.close()

    @property
    def rows(self) -> int:
        """Rows written after the header."""
        return self._number - self._header_row


class Workbook:
    """``with Workbook(file) as book: sheet = book.add_sheet(...)``; one
    sheet is written at a time (adding the next closes the previous)."""

    def __init__(self, file, *, compresslevel: int = 1):
        # Level 1: within a few percent of the default's size on this XML,
        # at about twice its speed.
        self._zip = zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._titles: list[str] = []
        self._sheet: Sheet | None = None

    def add_sheet(self, title: str, columns: Sequence[Column], *, heading: str | None = None) -> Sheet:
        self._close_sheet()
        title = _sheet_title(title, taken=self._titles)
        self._titles.append(title)
        stream = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w", force_zip64=True)
        self._sheet = Sheet(stream, columns, heading)
        return self._sheet

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.close()
            self._sheet = None

    def close(self) -> None:
        self._close_sheet()
        if not self._titles:
            raise ValueError("a workbook needs at least one sheet")
        count = len(self._titles)
        sheets = "".join(
            f"<sheet name={quoteattr(title)} sheetId=\"{i}\" r:id=\"rId{i}\"/>"
            for i, title in enumerate(self._titles, start=1)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        self._zip.writestr(
            "[Content_Types].xml",
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f"{head}<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>",
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
            return
        # Failed half-way: release the file; the caller discards it.
        if self._sheet is not None:
            self._sheet.abandon()
            self._sheet = None
        self._zip.close()


_NOT_IN_TITLES = re.compile(r"[\\/?*\[\]:]")


def _sheet_title(title: str, *, taken: list[str]) -> str:
    """What Excel accepts as a sheet name: at most 31 characters, none of
    \\ / ? * [ ] :, unique whatever the case."""
    base = _NOT_IN_TITLES.sub(" ", str(title)).strip()[:31] or "Sheet"
    candidate, number = base, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        number += 1
        suffix = f" ({number})"
        candidate = base[: 31 - len(suffix)] + suffix
    return candidate


@contextmanager
def reading_whole_results():
    """One transaction for the whole export: every sheet reads the same
    snapshot, and the querysets' ``iterator()`` streams from a cursor
    instead of the server materialising each result first. On PostgreSQL
    the planner is told the cursor will be read to the end: by default it
    plans cursors for their first tenth, and picks an index walk over a
    million rows (6.2 s for the warning items at 1,000,000 cases) where a
    scan and a sort take 0.9 s."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def write_xlsx(fill: Callable[[Workbook], None]):
    """A temporary file holding the workbook that ``fill(book)`` writes,
    positioned at its start. Memory stays flat however many rows: small
    files stay in memory, larger ones spill to disk."""
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        with reading_whole_results(), Workbook(output) as book:
            fill(book)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def xlsx_response(fill: Callable[[Workbook], None], *, filename: str) -> FileResponse:
    """The download of the workbook ``fill(book)`` writes, built in full
    before the first byte goes out (an error is a 500, never a truncated
    file), then streamed from the temporary file in chunks."""
    return FileResponse(write_xlsx(fill), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
