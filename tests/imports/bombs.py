"""Spreadsheet bombs: .xlsx files small on disk that unpack to a great deal,
written straight as zip members (streamed, so making one costs no memory).

A workbook here is the minimum Excel and openpyxl read: content types,
relationships, a workbook with its sheets, optional shared strings."""

import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def workbook(sheet_chunks, *, dimension: str | None, shared: list[str] = ()) -> bytes:
    """An .xlsx whose one sheet's rows are the XML ``sheet_chunks`` yields."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for text in shared:
                for start in range(0, len(text), 1 << 20):
                    piece = text[start : start + (1 << 20)]
                    strings.write((("<si><t>" if start == 0 else "") + piece).encode())
                strings.write(b"</t></si>")
            strings.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(SHEET_HEAD.format(dimension=dimension_xml).encode())
            for chunk in sheet_chunks:
                sheet.write(chunk.encode())
            sheet.write(SHEET_TAIL.encode())
    return buffer.getvalue()


def number_rows(rows: int, columns: int, *, first_row: int = 1):
    """Rows of small numbers, ~20 bytes of XML a cell, in chunks."""
    letters = [column_letters(c) for c in range(1, columns + 1)]
    chunk = []
    for r in range(first_row, first_row + rows):
        chunk.append(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>{r % 97}</v></c>' for col in letters) + "</row>")
        if len(chunk) == 2000:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def same_rows(rows: int, columns: int):
    """Identical rows of ones, without cell addresses (allowed, and what
    compresses best): 3,000,000 cells unpack to about 50 MB from about 60 KB."""
    row = "<row>" + "<c><v>1</v></c>" * columns + "</row>"
    block = row * 5000
    for _ in range(rows // 5000):
        yield block
    yield row * (rows % 5000)


def cells_bomb(rows: int, columns: int = 3, *, dimension: str | None = "honest") -> bytes:
    """``rows`` × ``columns`` cells, the dimension stated honestly, as
    given, or (None) not at all."""
    if dimension == "honest":
        dimension = f"A1:{column_letters(columns)}{rows}"
    return workbook(same_rows(rows, columns), dimension=dimension)


def one_cell_bomb(characters: int) -> bytes:
    """One shared string of ``characters`` letters (200 MB fit in ~200 KB)."""
    row = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook([row], dimension="A1", shared=["x" * characters])


def inline_cell(characters: int) -> bytes:
    """One inline string cell of ``characters`` letters after a header row."""
    row = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * characters}</t></is></c></row>'
    return workbook([row], dimension="A1")
