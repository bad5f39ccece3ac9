"""Petition batches and problem ledgers, from .xlsx and from .csv in the
encodings Excel writes, with the columns in any order."""

import datetime
import decimal

import pytest

from cases.models import Case

from .conftest import (
    LEDGER_HEADER,
    PETITION_HEADER,
    csv_bytes,
    ledger_row,
    outcomes,
    petition_row,
    run_import,
    xlsx_bytes,
)

PETITIONS = [PETITION_HEADER, petition_row(1, "X2JX202104150001"), petition_row(2, "D2JX202104150002", region="九江市濂溪区", types="水")]
LEDGER = [LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="立行立改", completion="", region="全省")]


def petition_files():
    return {
        "xlsx": (xlsx_bytes(("信访件", PETITIONS)), "batch.xlsx"),
        "csv-utf8": (csv_bytes(PETITIONS, "utf-8"), "batch.csv"),
        "csv-utf8-bom": (csv_bytes(PETITIONS, "utf-8-sig"), "batch.csv"),
        "csv-gbk": (csv_bytes(PETITIONS, "gbk"), "batch.csv"),
    }


@pytest.mark.parametrize("form", ["xlsx", "csv-utf8", "csv-utf8-bom", "csv-gbk"])
def test_a_petition_batch_is_imported_from_each_format(form, supervisor, central):
    data, name = petition_files()[form]

    job = run_import(supervisor, data, name, central)

    assert job.state == "done", job.error
    assert outcomes(job) == {"X2JX202104150001": "created", "D2JX202104150002": "created"}
    petition = Case.objects.get(acceptance_number="X2JX202104150001")
    assert petition.kind == "petition"
    assert petition.reference == "X2JX202104150001"
    assert petition.city_id == "360100"
    assert (petition.division_id, petition.district) == ("360112", "")  # 新建区, found by name
    assert petition.pollution_types == ["air", "noise"]
    assert petition.veracity == "true"
    assert petition.investigation == "经现场核查，情况属实（合成数据）。"
    assert petition.handling == "已责令整改并复查（合成数据）。"
    assert (petition.ordered_to_rectify, petition.fines_yuan, petition.summons) == (1, decimal.Decimal("50000"), 2)
    assert Case.objects.get(acceptance_number="D2JX202104150002").city_id == "360400"


@pytest.mark.parametrize("form", ["xlsx", "csv-utf8", "csv-gbk"])
def test_a_problem_ledger_is_imported_from_each_format(form, supervisor, central):
    data, name = {
        "xlsx": (xlsx_bytes(("整改台账", LEDGER)), "ledger.xlsx"),
        "csv-utf8": (csv_bytes(LEDGER, "utf-8"), "ledger.csv"),
        "csv-gbk": (csv_bytes(LEDGER, "gbk"), "ledger.csv"),
    }[form]

    job = run_import(supervisor, data, name, central)

    assert job.state == "done", job.error
    assert job.counts() == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    first = Case.objects.get(campaign=central, reference="1")
    assert first.kind == "feedback_problem"
    assert first.problem_number == 1
    assert (first.deadline_type, first.deadline) == ("dated", datetime.date(2023, 12, 31))
    assert first.status == "in_progress"
    assert (first.target, first.measures, first.lead_unit.name) == ("进水浓度达标", "排查管网混错接", "南昌市人民政府")
    second = Case.objects.get(campaign=central, reference="2")
    assert (second.deadline_type, second.deadline, second.city_id) == ("immediate", None, None)
    assert second.status == "assigned"


def test_the_kind_of_ledger_rows_follows_the_campaign(supervisor, warning_films, provincial):
    header = LEDGER_HEADER + ["警示片年份", "发现时间"]
    rows = [header, ledger_row(7) + [2021, datetime.datetime(2021, 6, 3)]]

    run_import(supervisor, xlsx_bytes(("警示片", rows)), "films.xlsx", warning_films)
    run_import(supervisor, xlsx_bytes(("省级", [LEDGER_HEADER, ledger_row(7)])), "prov.xlsx", provincial)

    film = Case.objects.get(campaign=warning_films, reference="7")
    assert (film.kind, film.film_year, film.found_on) == ("warning_item", 2021, datetime.date(2021, 6, 3))
    assert Case.objects.get(campaign=provincial, reference="7").kind == "provincial_problem"


def test_columns_are_found_by_header_in_any_order_below_a_title(supervisor, central):
    order = [8, 1, 3, 7, 2, 4, 6, 0, 5]
    shuffled = [[row[i] for i in order] for row in PETITIONS]
    rows = [["第二轮中央生态环境保护督察交办信访件办理情况（合成数据）"], [], *shuffled]

    job = run_import(supervisor, xlsx_bytes(("Sheet1", rows)), "shuffled.xlsx", central)

    assert job.report["sheets"][0]["header_row"] == 3
    assert job.counts()["created"] == 2
    assert Case.objects.get(acceptance_number="X2JX202104150001").pollution_types == ["air", "noise"]


def test_extra_columns_are_ignored_and_reported(supervisor, central):
    rows = [PETITION_HEADER + ["备注", "联系人"]] + [row + ["合成备注", "某某"] for row in PETITIONS[1:]]

    job = run_import(supervisor, csv_bytes(rows), "extra.csv", central)

    assert job.counts()["created"] == 2
    assert job.report["sheets"][0]["ignored_columns"] == ["备注", "联系人"]


def test_a_workbook_with_a_notes_sheet_and_both_layouts_imports_each_sheet(supervisor, central):
    data = xlsx_bytes(("说明", [["本表为合成数据"]]), ("信访件", PETITIONS), ("问题", LEDGER))

    job = run_import(supervisor, data, "all.xlsx", central)

    assert [s["layout"] for s in job.report["sheets"]] == ["", "petitions", "ledger"]
    assert job.counts()["created"] == 4
