"""Excel export: Chinese headers, the rows the page shows in its order."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def sheet_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


@pytest.fixture
def cases(nanchang, jiujiang):
    return [
        CaseFactory(reference="A-1", city=nanchang, status="in_progress", deadline=datetime.date(2024, 2, 20)),
        CaseFactory(reference="A-2", city=nanchang, status="closed"),
        PetitionFactory(city=nanchang, status="closed"),
        CaseFactory(reference="B-1", city=jiujiang, status="in_progress"),
    ]


def test_the_export_has_chinese_headers_even_for_an_english_reader(client, supervisor, cases):
    client.force_login(supervisor)
    client.post("/language/", {"language": "en", "next": "/cases/"})
    header = sheet_rows(client.get("/cases/export.xlsx"))[0]
    assert header[:4] == ("编号", "类型", "标题", "责任城市")
    assert "超期天数" in header


def test_the_export_holds_the_filtered_rows_in_the_pages_order(client, supervisor, cases):
    client.force_login(supervisor)
    params = {"city": "360100", "ordering": "-reference"}
    shown = [c.reference for c in client.get("/cases/", params).context["page"].object_list]
    rows = sheet_rows(client.get("/cases/export.xlsx", params))
    assert [row[0] for row in rows[1:]] == shown
    assert len(shown) == 3


def test_the_export_writes_every_page_not_just_the_first(client, supervisor, nanchang):
    CaseFactory.create_batch(60, city=nanchang)
    client.force_login(supervisor)
    assert len(sheet_rows(client.get("/cases/export.xlsx"))) == 61


def test_the_export_reads_like_the_ledger(client, supervisor, cases):
    client.force_login(supervisor)
    rows = sheet_rows(client.get("/overdue/export.xlsx"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["编号"] == "A-1"
    assert row["责任城市"] == "南昌市"
    assert row["状态"] == "整改中"
    assert row["超期天数"] == 10
    assert row["整改时限"].date() == datetime.date(2024, 2, 20)
    petition = [dict(zip(rows[0], r)) for r in sheet_rows(client.get("/cases/export.xlsx", {"kind": "petition"}))[1:]]
    assert petition[0]["状态"] == "已办结"  # petitions are "handled", problems "rectified"


def test_an_officers_export_holds_only_their_own_city(client, nanchang_officer, cases):
    client.force_login(nanchang_officer)
    rows = sheet_rows(client.get("/cases/export.xlsx"))
    assert {row[3] for row in rows[1:]} == {"南昌市"}


def test_a_bad_filter_exports_nothing_and_says_why(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get("/cases/export.xlsx", {"status": "done"})
    assert response.status_code == 400
    assert "status" in response.context["filterset"].errors
