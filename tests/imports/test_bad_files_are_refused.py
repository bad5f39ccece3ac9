"""A file that cannot be imported as a whole is refused with a message
naming the problem (and where it is), and nothing changes."""

import io
import zipfile

import pytest

from cases.errors import InvalidInput
from cases.models import Case, CaseEvent
from tests.factories import CaseFactory

from .conftest import LEDGER_HEADER, PETITION_HEADER, csv_bytes, ledger_row, petition_row, run_import, xlsx_bytes


@pytest.fixture
def existing(central):
    return CaseFactory(campaign=central, reference="1", status="in_progress")


def assert_refused(job, code, *words):
    assert job.state == "failed"
    assert job.error_code == code
    for word in words:
        assert word in job.error
    assert CaseEvent.objects.count() == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(supervisor, central, existing):
    with pytest.raises(InvalidInput) as error:
        run_import(supervisor, b"%PDF-1.4 synthetic", "report.pdf", central)
    assert error.value.field == "file"
    assert ".xlsx" in str(error.value.message)


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(supervisor, central, existing):
    job = run_import(supervisor, "问题序号,督察问题\n1,x\n".encode(), "ledger.xlsx", central)
    assert_refused(job, "not_spreadsheet", ".xlsx")


def test_a_damaged_workbook_is_refused(supervisor, central, existing):
    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER]))[:300], "ledger.xlsx", central)
    assert_refused(job, "not_spreadsheet")


def test_an_old_xls_workbook_is_refused_with_what_to_do(supervisor, central, existing):
    job = run_import(supervisor, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "ledger.xls", central)
    assert_refused(job, "not_spreadsheet", ".xls")


def test_a_csv_in_an_unknown_encoding_is_refused(supervisor, central, existing):
    data = csv_bytes([LEDGER_HEADER, ledger_row(1)], "gbk") + b"\x80\xff\x80"
    job = run_import(supervisor, data, "ledger.csv", central)
    assert_refused(job, "encoding", "UTF-8", "GBK")


def test_a_binary_file_named_csv_is_refused(supervisor, central, existing):
    job = run_import(supervisor, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ledger.csv", central)
    assert_refused(job, "not_spreadsheet")


def test_a_utf16_csv_is_refused_asking_for_utf8_or_gbk(supervisor, central, existing):
    data = "问题序号,督察问题".encode("utf-16")
    job = run_import(supervisor, data, "ledger.csv", central)
    assert_refused(job, "encoding", "UTF-8")


def test_a_file_without_a_header_row_is_refused_naming_the_expected_columns(supervisor, central, existing):
    job = run_import(supervisor, csv_bytes([["a", "b"], ["1", "2"]]), "data.csv", central)
    assert_refused(job, "no_header", "受理编号", "问题序号")


def test_a_header_missing_a_required_column_is_refused_naming_it(supervisor, central, existing):
    header = [h for h in LEDGER_HEADER if h != "整改时限"]
    row = ledger_row(1)
    del row[LEDGER_HEADER.index("整改时限")]
    job = run_import(supervisor, xlsx_bytes(("台账", [header, row])), "ledger.xlsx", central)
    assert_refused(job, "missing_columns", "整改时限", "row 1", "台账")


def test_a_ledger_header_without_its_number_column_is_refused_naming_it(supervisor, central, existing):
    header = LEDGER_HEADER[1:]
    job = run_import(supervisor, csv_bytes([header, ledger_row(1)[1:]]), "ledger.csv", central)
    assert_refused(job, "missing_columns", "问题序号")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", None])
def test_an_empty_file_is_refused(data, supervisor, central, existing):
    if data is None:
        data = xlsx_bytes(("Sheet1", []))
        name = "empty.xlsx"
    else:
        name = "empty.csv"
    job = run_import(supervisor, data, name, central)
    assert_refused(job, "empty")


def test_an_oversized_file_is_refused_stating_the_limit(supervisor, central, existing, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    data = csv_bytes([LEDGER_HEADER] + [ledger_row(n) for n in range(1, 6000)])
    with pytest.raises(InvalidInput) as error:
        run_import(supervisor, data, "big.csv", central)
    assert error.value.field == "file"
    assert "at most 1 MB" in str(error.value.message)
    assert Case.objects.count() == 1


def test_too_many_rows_are_refused_stating_the_limit(supervisor, central, existing, settings):
    settings.IMPORT_MAX_ROWS = 10
    data = csv_bytes([LEDGER_HEADER] + [ledger_row(n) for n in range(1, 20)])
    job = run_import(supervisor, data, "long.csv", central)
    assert_refused(job, "too_many_rows", "10 rows")


def test_a_formula_in_a_workbook_is_refused_naming_the_cell(supervisor, central, existing):
    row = ledger_row(1)
    row[6] = "=DATE(2023,12,31)"
    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(2), row])), "ledger.xlsx", central)
    assert_refused(job, "formula", "G3", "台账")
    assert Case.objects.count() == 1


def test_a_formula_in_a_csv_is_refused_naming_the_cell(supervisor, central, existing):
    rows = [PETITION_HEADER, petition_row(1, "X2JX202104150001"), petition_row(2, '=HYPERLINK("http://x")')]
    job = run_import(supervisor, csv_bytes(rows), "batch.csv", central)
    assert_refused(job, "formula", "row 3", "column B")


def test_a_macro_enabled_workbook_is_refused(supervisor, central, existing):
    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(2)])), "ledger.xlsm", central)
    assert_refused(job, "macros")


def test_a_macro_workbook_renamed_to_xlsx_is_refused(supervisor, central, existing):
    buffer = io.BytesIO(xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(2)])))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"synthetic macro project")
    job = run_import(supervisor, buffer.getvalue(), "ledger.xlsx", central)
    assert_refused(job, "macros")
    assert Case.objects.count() == 1
