"""The one .xlsx writer (cases/spreadsheet.py) that every export uses,
the reports to come included: values come back as written, formula-like
text stays quoted text, sheets are valid for openpyxl."""

import datetime
import decimal
import io
import zipfile

import pytest
from openpyxl import load_workbook

from cases.spreadsheet import FORMULA_TRIGGERS, Column, column_letter, write_xlsx

pytestmark = pytest.mark.django_db  # write_xlsx reads in one transaction


def build(rows, *, columns=("a", "b", "c"), title="表"):
    def fill(book):
        sheet = book.add_sheet(title, [Column(name) for name in columns])
        for row in rows:
            sheet.append(row)

    return write_xlsx(fill).read()


def read(data):
    return load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_text_beginning_like_a_formula_is_quoted_text(trigger):
    text = f"{trigger}1+1"
    cell = read(build([[text, "plain"]])).active["A2"]

    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert read(build([["plain"]])).active["A2"].quotePrefix is False


def test_no_cell_is_ever_a_formula():
    data = build([["=SUM(A1:A3)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_values_come_back_as_written():
    moment = datetime.datetime(2024, 3, 1, 8, 30, 15)
    row = ["  spaced  ", "a & b < c > d", "line\nbreak\r\nend", 42, 2.5, True, datetime.date(2024, 2, 29), moment]
    columns = [str(i) for i in range(len(row))]
    sheet = read(build([row], columns=columns)).active

    assert [cell.value for cell in sheet[1]] == columns
    assert sheet["A1"].font.b
    values = [cell.value for cell in sheet[2]]
    assert values[:6] == row[:6]
    assert values[6] == datetime.datetime(2024, 2, 29)
    assert values[7] == moment
    assert sheet["G2"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"


def test_decimals_are_numbers_and_empty_cells_stay_empty():
    sheet = read(build([[decimal.Decimal("1.25"), None, ""]])).active
    assert sheet["A2"].value == 1.25
    assert sheet["B2"].value is None and sheet["C2"].value is None


def test_characters_xml_cannot_carry_are_dropped_not_fatal():
    assert read(build([["a\x00b\x0bc"]])).active["A2"].value == "abc"


def test_time_zones_are_refused_rather_than_shifted():
    with pytest.raises(ValueError, match="time zone"):
        build([[datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)]])


def test_sheet_names_are_made_acceptable_and_unique():
    def fill(book):
        for title in ("a/b:c", "A/B:C", "x" * 40):
            book.add_sheet(title, [Column("h")]).append(["v"])

    names = read(write_xlsx(fill).read()).sheetnames
    assert names == ["a b c", "A B C (2)", "x" * 31]


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_a_heading_goes_above_the_headers_and_the_panes_freeze_below_them():
    def fill(book):
        sheet = book.add_sheet("表", [Column("序号"), Column("受理编号")], heading="第3批公开情况一览表")
        sheet.append([1, "X2JX202104170001"])
        assert sheet.rows == 1

    sheet = read(write_xlsx(fill).read()).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("第3批公开情况一览表", None), ("序号", "受理编号"), (1, "X2JX202104170001")
    ]
    assert sheet["A1"].font.bold and sheet["A2"].font.bold and not sheet["A3"].font.bold
    assert sheet.freeze_panes == "A3"
