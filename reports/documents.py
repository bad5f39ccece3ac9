"""Word documents in the form Chinese government offices use (GB/T 9704):
A4, a title in 方正小标宋简体, body text in 仿宋_GB2312, tables with a
bold header row repeated on every page.

The styles are named for the fonts the offices have; a machine without
them substitutes the common ones declared as their alternates in the font
table (宋体 and 仿宋), so the document still reads right."""

import io
import re
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from lxml import etree

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
# (font, the common font Word and WPS use when it is missing, family)
FALLBACKS = ((TITLE_FONT, "宋体", "roman"), (BODY_FONT, "仿宋", "modern"), (HEADING_FONT, "SimHei", "modern"))

TITLE_STYLE = "公文标题 Notice title"
BODY_STYLE = "公文正文 Notice body"
HEADING_STYLE = "公文一级标题 Notice heading"
TABLE_STYLE = "公文表格 Notice table"


def _set_fonts(style, east_asian: str, size: float, *, bold: bool = False) -> None:
    style.font.name = LATIN_FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _declare_fallbacks(document) -> None:
    part = document.part.part_related_by(RT.FONT_TABLE)
    table = parse_xml(part.blob)
    for name, alternate, family in FALLBACKS:
        table.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternate}"/>'
                f'<w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="fixed"/></w:font>'
            )
        )
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def new_document(*, landscape: bool = False):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    if landscape:
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.0)
        section.left_margin, section.right_margin = Cm(2.0), Cm(2.0)

    styles = document.styles
    _set_fonts(styles["Normal"], BODY_FONT, 16)
    title = styles.add_style(TITLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = styles["Normal"]
    _set_fonts(title, TITLE_FONT, 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    body = styles.add_style(BODY_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = styles["Normal"]
    _set_fonts(body, BODY_FONT, 16)
    body.paragraph_format.first_line_indent = Pt(32)
    body.paragraph_format.line_spacing = Pt(28)
    heading = styles.add_style(HEADING_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    heading.base_style = styles["Normal"]
    _set_fonts(heading, HEADING_FONT, 16)
    heading.paragraph_format.first_line_indent = Pt(32)
    heading.paragraph_format.keep_with_next = True
    cell = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = styles["Normal"]
    _set_fonts(cell, BODY_FONT, 10.5)
    _declare_fallbacks(document)
    return document


def title(document, text: str) -> None:
    document.add_paragraph(text, style=TITLE_STYLE)


def paragraph(document, text: str, *, align_right: bool = False, indent: bool = True) -> None:
    p = document.add_paragraph(text, style=BODY_STYLE)
    if align_right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if not indent or align_right:
        p.paragraph_format.first_line_indent = Pt(0)


def heading(document, text: str) -> None:
    document.add_paragraph(text, style=HEADING_STYLE)


def table(document, headers: list[str], rows, *, total: list | None = None, widths_cm: list[float] | None = None):
    """A grid table: the header row (repeated on each page), ``rows`` (any
    iterable of value lists) and an optional bold total row (合计)."""
    grid = document.add_table(rows=0, cols=len(headers))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths_cm:
        for column, width in zip(grid.columns, widths_cm, strict=True):
            column.width = Cm(width)
    row = _RowXml(document.styles[TABLE_STYLE].style_id, widths_cm)
    tbl = grid._tbl
    tbl.append(row.parse(headers, bold=True, header=True))
    for values in rows:
        tbl.append(row.parse(values))
    if total is not None:
        tbl.append(row.parse(total, bold=True))
    return grid


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _RowXml:
    """Table rows written as WordprocessingML and parsed once each: going
    through python-docx's cell objects costs about a millisecond a cell,
    which a report of a few hundred rows would feel."""

    def __init__(self, style_id: str, widths_cm):
        self.style = f'<w:pPr><w:pStyle w:val="{escape(style_id)}"/></w:pPr>'
        twips = [round(w * 567) for w in widths_cm] if widths_cm else None
        self.cell_properties = [f'<w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>' for w in twips] if twips else None

    def parse(self, values, *, bold: bool = False, header: bool = False):
        cells = []
        for index, value in enumerate(values):
            properties = self.cell_properties[index] if self.cell_properties else ""
            cells.append(f"<w:tc>{properties}<w:p>{self.style}{self._run(value, bold)}</w:p></w:tc>")
        row_properties = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
        return parse_xml(f'<w:tr {nsdecls("w")}>{row_properties}{"".join(cells)}</w:tr>')

    @staticmethod
    def _run(value, bold: bool) -> str:
        text = "" if value is None else _CONTROL.sub("", str(value))
        if not text:
            return ""
        lines = '</w:t><w:br/><w:t xml:space="preserve">'.join(escape(line) for line in text.split("\n"))
        return f'<w:r>{"<w:rPr><w:b/></w:rPr>" if bold else ""}<w:t xml:space="preserve">{lines}</w:t></w:r>'


def document_file(document) -> io.BytesIO:
    """The document as a file positioned at its start."""
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return buffer
