"""The disclosure table of a petition batch: the published columns, one
row per petition of the batch in 受理编号 order, personal data masked,
only for the provincial office, every production recorded."""

import datetime
import decimal
import io

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook

from cases.models import Case
from reports.models import ReportProduction
from tests.conftest import shanghai, token_client
from tests.reports.conftest import body
from tests.factories import CampaignFactory, PetitionFactory

pytestmark = pytest.mark.django_db

XLSX = "/api/v1/reports/disclosure.xlsx"
DOCX = "/api/v1/reports/disclosure.docx"
HEADERS = (
    "序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型",
    "调查核实情况", "是否属实", "处理和整改情况", "责任人被处理情况",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


@pytest.fixture
def batch(nanchang, jiujiang):
    """Batch 3 of the central campaign, created out of acceptance-number
    order, plus petitions of other batches and campaigns that must not show."""
    central = CampaignFactory()
    other = CampaignFactory(code="other-campaign", name="另一轮督察（测试）")
    on = datetime.date(2021, 4, 17)
    cases = [
        PetitionFactory(
            campaign=central, petition_batch=3, acceptance_number="X2JX202104170002", city=jiujiang,
            district="九江市濂溪区", title="某小区旁工地夜间施工噪声扰民，投诉人电话13812345678（合成数据）",
            pollution_types=["noise", "air"], status="closed", veracity="partly_true", transferred_on=on,
            investigation="经核查，夜间施工情况属实，举报人邮箱 zhang.san@example.com（合成数据）",
            handling="已责令停止夜间施工（合成数据）", ordered_to_rectify=1, penalty_cases=1,
            fines_yuan=decimal.Decimal("50000"), summons=2,
        ),
        PetitionFactory(
            campaign=central, petition_batch=3, acceptance_number="D2JX202104170001", city=nanchang,
            district="南昌市新建区", title="某养殖场污水直排（合成数据），身份证360102199001011234，座机0791-88881234",
            pollution_types=["water"], status="in_progress", transferred_on=on,
        ),
        PetitionFactory(
            campaign=central, petition_batch=3, acceptance_number="X2JX202104170003", city=nanchang,
            title="=HYPERLINK(\"http://example.test\")（合成数据）", status="closed", veracity="false",
            investigation="经核查，不属实（合成数据）", handling="已向信访人反馈（合成数据）", transferred_on=on,
        ),
    ]
    PetitionFactory(campaign=central, petition_batch=4, acceptance_number="X2JX202104180001")
    PetitionFactory(campaign=other, petition_batch=3, acceptance_number="X2JX202104170099")
    return central, cases


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:300] if not response.streaming else ""
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    return list(load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True))


def docx_table(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300] if not response.streaming else ""
    document = Document(io.BytesIO(body(response)))
    return [[cell.text for cell in row.cells] for row in document.tables[0].rows]


def test_the_workbook_holds_the_batchs_petitions_in_acceptance_number_order(supervisor, batch):
    central, _cases = batch
    rows = xlsx_rows(token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3}))
    assert "第二轮中央生态环境保护督察（测试）" in rows[0][0] and "3" in rows[0][0]
    assert rows[1] == HEADERS
    expected = list(
        Case.objects.filter(campaign=central, petition_batch=3).order_by("acceptance_number").values_list(
            "acceptance_number", flat=True
        )
    )
    assert [row[1] for row in rows[2:]] == expected == ["D2JX202104170001", "X2JX202104170002", "X2JX202104170003"]
    assert [row[0] for row in rows[2:]] == [1, 2, 3]


def test_the_columns_hold_the_petitions_facts_as_published(supervisor, batch):
    central, _cases = batch
    rows = xlsx_rows(token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3}))
    handled = rows[3]
    assert handled[3] == "九江市濂溪区"
    assert handled[4] == "噪声、大气"
    assert handled[6] == "部分属实"
    assert handled[7] == "已责令停止夜间施工（合成数据）"
    assert handled[8] == "责令整改1家，立案处罚1件，罚款50000元，约谈2人"
    open_one = rows[2]
    assert open_one[3] == "南昌市新建区"
    assert open_one[5] == "正在调查核实" and open_one[6] is None and open_one[7] == "正在办理"
    assert rows[4][6] == "不属实" and rows[4][8] == "无"


def test_personal_data_is_masked_wherever_it_appears(supervisor, batch):
    central, _cases = batch
    rows = xlsx_rows(token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3}))
    text = "\n".join(str(cell) for row in rows for cell in row)
    for secret in ("13812345678", "360102199001011234", "88881234", "zhang.san@example.com"):
        assert secret not in text
    assert "投诉人电话138****5678" in rows[3][2]
    assert "z***@example.com" in rows[3][5]
    assert "身份证360102********1234" in rows[2][2] and "座机0791-****1234" in rows[2][2]


def test_text_that_looks_like_a_formula_is_stored_as_text(supervisor, batch):
    central, _cases = batch
    response = token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3})
    sheet = load_workbook(io.BytesIO(body(response))).active
    cell = sheet.cell(row=5, column=3)
    assert cell.value.startswith("=HYPERLINK")
    assert cell.data_type == "s" and cell.quotePrefix


def test_the_word_document_has_the_same_rows(supervisor, batch):
    central, _cases = batch
    params = {"campaign": central.code, "batch": 3}
    rows = docx_table(token_client(supervisor).get(DOCX, params))
    assert tuple(rows[0]) == HEADERS
    spreadsheet = xlsx_rows(token_client(supervisor).get(XLSX, params))
    assert [row[1] for row in rows[1:]] == [row[1] for row in spreadsheet[2:]]
    assert rows[2][2] == spreadsheet[3][2] and "138****5678" in rows[2][2]
    assert rows[1][6] == ""


def test_each_production_is_recorded_with_who_when_and_what(supervisor, batch):
    central, _cases = batch
    token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3})
    token_client(supervisor).get(DOCX, {"campaign": central.code, "batch": 3})
    logged = list(ReportProduction.objects.order_by("id").values("produced_by", "kind", "format", "parameters", "rows"))
    assert logged == [
        {"produced_by": supervisor.pk, "kind": "disclosure", "format": fmt, "parameters": {"campaign": central.code, "batch": 3}, "rows": 3}
        for fmt in ("xlsx", "docx")
    ]
    assert ReportProduction.objects.first().produced_at == shanghai(2024, 3, 1, 10)


@pytest.mark.parametrize("who", ["nanchang_officer", "readonly_client", "province_client"])
def test_nobody_but_the_provincial_office_may_produce_it(request, who, batch):
    central, _cases = batch
    user = request.getfixturevalue(who)
    for url in (XLSX, DOCX):
        response = token_client(user).get(url, {"campaign": central.code, "batch": 3})
        assert response.status_code == 403
        assert response.json()["code"] == "reports_not_allowed"
    assert not ReportProduction.objects.exists()


def test_an_officer_is_refused_alike_whether_the_batch_exists_or_not(nanchang_officer, batch):
    central, _cases = batch
    client = token_client(nanchang_officer)
    there = client.get(XLSX, {"campaign": central.code, "batch": 3})
    not_there = client.get(XLSX, {"campaign": "no-such", "batch": 99})
    assert there.status_code == not_there.status_code == 403
    assert there.json() == not_there.json()


def test_anonymous_callers_get_nothing(client, batch):
    central, _cases = batch
    assert client.get(XLSX, {"campaign": central.code, "batch": 3}).status_code in (401, 403)
    assert client.get("/reports/disclosure/", {"campaign": central.code, "batch": 3}).status_code == 302


@pytest.mark.parametrize(
    "params, field",
    [
        ({"batch": 3}, "campaign"),
        ({"campaign": "test-central-2"}, "batch"),
        ({"campaign": "test-central-2", "batch": "three"}, "batch"),
        ({"campaign": "test-central-2", "batch": 0}, "batch"),
        ({"campaign": "no-such-campaign", "batch": 3}, "campaign"),
    ],
)
def test_bad_parameters_are_named_and_nothing_is_recorded(supervisor, batch, params, field):
    response = token_client(supervisor).get(XLSX, params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not ReportProduction.objects.exists()


def test_an_unknown_parameter_is_named(supervisor, batch):
    response = token_client(supervisor).get(XLSX, {"campaign": "test-central-2", "batch": 3, "batches": 4})
    assert response.status_code == 400
    assert response.json()["field"] == "batches"
    assert not ReportProduction.objects.exists()


def test_a_batch_without_petitions_is_not_found(supervisor, batch):
    central, _cases = batch
    response = token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 7})
    assert response.status_code == 404
    assert not ReportProduction.objects.exists()


def test_a_withdrawn_petition_is_not_published(supervisor, batch):
    central, cases = batch
    Case.objects.filter(pk=cases[0].pk).update(withdrawn_at=shanghai(2024, 2, 1, 9))
    rows = xlsx_rows(token_client(supervisor).get(XLSX, {"campaign": central.code, "batch": 3}))
    assert [row[1] for row in rows[2:]] == ["D2JX202104170001", "X2JX202104170003"]


def test_the_printable_page_shows_the_masked_rows_and_links_the_files(client, supervisor, batch):
    central, _cases = batch
    client.force_login(supervisor)
    response = client.get("/reports/disclosure/", {"campaign": central.code, "batch": 3})
    assert response.status_code == 200
    page = response.content.decode()
    assert "X2JX202104170002" in page and "138****5678" in page and "13812345678" not in page
    assert page.index("D2JX202104170001") < page.index("X2JX202104170002") < page.index("X2JX202104170003")
    assert f"/api/v1/reports/disclosure.docx?campaign={central.code}" in page
    assert ReportProduction.objects.get().format == "html"


def test_the_printable_page_is_refused_to_a_city(client, nanchang_officer, batch):
    central, _cases = batch
    client.force_login(nanchang_officer)
    assert client.get("/reports/disclosure/", {"campaign": central.code, "batch": 3}).status_code == 403
    assert client.get("/reports/").status_code == 403


def test_the_reports_page_lists_each_batch_with_its_count(client, supervisor, batch):
    client.force_login(supervisor)
    response = client.get("/reports/")
    batches = {(b["campaign__code"], b["petition_batch"]): b["petitions"] for b in response.context["batches"]}
    assert batches == {("test-central-2", 3): 3, ("test-central-2", 4): 1, ("other-campaign", 3): 1}


def test_a_duplicate_petition_is_marked_with_its_original_s_acceptance_number(client, supervisor, batch, nanchang):
    central, cases = batch
    earlier = PetitionFactory(campaign=central, petition_batch=2, acceptance_number="D2JX202104160007", city=nanchang)
    PetitionFactory(
        campaign=central, petition_batch=3, acceptance_number="X2JX202104170004", city=nanchang, status="in_progress",
        duplicate_of=cases[1], title="同一养殖场污水直排（合成数据）",
    )  # fmt: skip
    PetitionFactory(
        campaign=central, petition_batch=3, acceptance_number="X2JX202104170005", city=nanchang, status="closed",
        duplicate_of=earlier, investigation="经核查，情况属实（合成数据）", handling="已并案办理（合成数据）",
    )  # fmt: skip
    params = {"campaign": central.code, "batch": 3}

    rows = {row[1]: row for row in xlsx_rows(token_client(supervisor).get(XLSX, params))[2:]}
    document = {row[1]: row for row in docx_table(token_client(supervisor).get(DOCX, params))[1:]}

    same_batch, other_batch = rows["X2JX202104170004"], rows["X2JX202104170005"]
    assert same_batch[5] == "该件与受理编号为D2JX202104170001的信访件反映问题相同，为重复件。"
    assert same_batch[7] == "见受理编号为D2JX202104170001的信访件。"
    assert other_batch[5] == "该件与第2批受理编号为D2JX202104160007的信访件反映问题相同，为重复件。 经核查，情况属实（合成数据）"
    assert other_batch[7] == "已并案办理（合成数据）"
    for number in ("X2JX202104170004", "X2JX202104170005"):
        assert list(document[number][5:8]) == [rows[number][5], rows[number][6] or "", rows[number][7]]
    client.force_login(supervisor)
    page = client.get("/reports/disclosure/", params).content.decode()
    assert "该件与第2批受理编号为D2JX202104160007的信访件反映问题相同，为重复件。" in page
    # The originals and the other petitions carry no such mark.
    duplicates = set(Case.objects.filter(duplicate_of__isnull=False).values_list("acceptance_number", flat=True))
    assert {n for n, row in rows.items() if "重复件" in (row[5] or "")} == duplicates & set(rows)
