"""The progress report (整改进展通报): the files are opened and their
figures checked against the database: totals, the ranking order, the
traffic lights, the changes since the comparison date, the overdue list."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import yaml
import time_machine
from django.db.models import Count, Q
from docx import Document
from openpyxl import load_workbook

from cases.models import Case, CaseEvent, City, Unit
from reports.models import ReportProduction, TrafficLightRule
from tests.conftest import shanghai, token_client
from tests.reports.conftest import body
from tests.factories import CampaignFactory, CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db

DOCX = "/api/v1/reports/progress.docx"
XLSX = "/api/v1/reports/progress.xlsx"
TODAY = datetime.date(2024, 3, 1)


def unit(name: str, division: str) -> Unit:
    return Unit.objects.get_or_create(name=name, division_id=division)[0]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def city(code):
    return City.objects.get(code=code)


def move(case, from_status, to_status, when):
    """A status change recorded in the case's timeline at ``when``."""
    case.version += 1
    Case.objects.filter(pk=case.pk).update(status=to_status, version=case.version)
    CaseEvent.objects.create(
        case=case, action="transition", from_status=from_status, to_status=to_status, version=case.version, created_at=when
    )


@pytest.fixture
def province(cities):
    """南昌 75% with a case 60 days overdue (red), 九江 100% (green), 赣州
    80% with a case 5 days overdue (yellow), a province-level case, two
    petition batches, a withdrawn case that counts nowhere."""
    created = shanghai(2023, 6, 1, 9)
    nc, jj, gz = city("360100"), city("360400"), city("360700")
    central = CampaignFactory()
    provincial = CampaignFactory(code="prov-r2-b1", kind="provincial", name="省级例行督察第一批（测试）", batch=1)
    for _ in range(3):
        CaseFactory(campaign=central, city=nc, status="closed", created_at=created)
    late = CaseFactory(campaign=central, city=nc, status="in_progress", deadline=datetime.date(2024, 1, 1), created_at=created,
                       title="南昌某问题，联系人13812345678（合成数据）", lead_unit=unit("南昌市生态环境局", "360100"))  # fmt: skip
    closed_late = CaseFactory(campaign=central, city=jj, status="in_progress", created_at=created)
    move(closed_late, "in_progress", "closed", shanghai(2024, 2, 28, 15))
    PetitionFactory(campaign=central, city=jj, status="closed", petition_batch=1, created_at=created)
    for batch in (1, 2, 2):
        PetitionFactory(campaign=central, city=gz, status="closed", petition_batch=batch, created_at=created)
    reopened = CaseFactory(campaign=provincial, city=gz, status="closed", created_at=created)
    move(reopened, "closed", "in_progress", shanghai(2024, 2, 27, 11))
    Case.objects.filter(pk=reopened.pk).update(status="closed")  # closed again since: counted as reopened once
    CaseFactory(campaign=provincial, city=gz, status="assigned", deadline=datetime.date(2024, 2, 25), created_at=created,
                lead_unit=unit("赣州市住建局", "360700"))  # fmt: skip
    CaseFactory(campaign=provincial, city=None, status="closed", created_at=created)
    CaseFactory(campaign=central, city=nc, status="assigned", withdrawn_at=shanghai(2024, 1, 5, 9), created_at=created)
    return {"late": late, "closed_late": closed_late, "reopened": reopened, "central": central, "provincial": provincial}


def xlsx(client, **params):
    response = client.get(XLSX, params)
    assert response.status_code == 200, response.content[:300] if not response.streaming else ""
    return load_workbook(io.BytesIO(body(response)))


def rows_of(sheet):
    return [row for row in sheet.iter_rows(values_only=True)]


def table_after(rows, first_header):
    """The data rows of a sheet after its header row, the 合计 row last."""
    start = next(i for i, row in enumerate(rows) if row[0] == first_header)
    return rows[start + 1 :]


def test_the_cities_are_ranked_by_completion_as_the_database_says(supervisor, province):
    book = xlsx(token_client(supervisor))
    ranking = table_after(rows_of(book.worksheets[1]), "排名")
    counts = (
        Case.objects.not_withdrawn().filter(city__isnull=False).values("city__name")
        .annotate(total=Count("id"), closed=Count("id", filter=Q(status="closed")))
    )  # fmt: skip
    expected = sorted(
        (row for row in counts), key=lambda row: (-Decimal(row["closed"]) / row["total"], row["city__name"])
    )
    ranked = [row for row in ranking if isinstance(row[0], int)]
    assert [row[1] for row in ranked[:3]] == [row["city__name"] for row in expected] == ["九江市", "赣州市", "南昌市"]
    assert [row[4] for row in ranked[:3]] == ["100.00", "80.00", "75.00"]
    assert [row[5] for row in ranked[:3]] == ["0.00", "20.00", "25.00"]
    # The eight cities with no cases follow, then the province-level line.
    assert [row[2] for row in ranked[3:]] == [0] * 8
    assert ranking[-2][1] == "省本级" and ranking[-2][2] == 1
    assert ranking[-1][0] == "合计"
    assert ranking[-1][2] == Case.objects.not_withdrawn().count() == 12
    assert ranking[-1][3] == Case.objects.not_withdrawn().filter(status="closed").count() == 10


def test_each_city_gets_the_light_its_rules_give(supervisor, province):
    ranking = table_after(rows_of(xlsx(token_client(supervisor)).worksheets[1]), "排名")
    lights = {row[1]: row[7] for row in ranking if isinstance(row[0], int)}
    assert lights["南昌市"] == "红"  # a case 60 days overdue: more than 30
    assert lights["赣州市"] == "黄"  # overdue, but 5 days
    assert lights["九江市"] == "绿"
    TrafficLightRule.objects.filter(measure="max_days_overdue").update(threshold=90)
    ranking = table_after(rows_of(xlsx(token_client(supervisor)).worksheets[1]), "排名")
    assert {row[1]: row[7] for row in ranking if isinstance(row[0], int)}["南昌市"] == "黄"


def test_the_overdue_ranking_and_list_give_days_overdue_and_the_responsible_unit(supervisor, province):
    book = xlsx(token_client(supervisor))
    by_overdue = table_after(rows_of(book.worksheets[2]), "排名")
    assert [(row[1], row[2], row[3]) for row in by_overdue[:2]] == [("南昌市", 1, 60), ("赣州市", 1, 5)]
    overdue = table_after(rows_of(book.worksheets[4]), "序号")
    expected = list(Case.objects.not_withdrawn().overdue(TODAY).order_by("deadline").values_list("reference", flat=True))
    assert [row[1] for row in overdue[:-1]] == expected
    assert overdue[0][4] == "南昌市生态环境局" and overdue[0][6] == 60
    assert overdue[1][4] == "赣州市住建局" and overdue[1][6] == 5
    assert "138****5678" in overdue[0][2] and "13812345678" not in overdue[0][2]
    assert overdue[-1][0] == "合计" and overdue[-1][2] == "2件"


def test_totals_per_campaign_and_batch_add_up(supervisor, province):
    campaigns = table_after(rows_of(xlsx(token_client(supervisor)).worksheets[0]), "督察及批次")
    by_name = {row[0]: row[1:3] for row in campaigns}
    central = province["central"]
    assert by_name[central.name] == (
        Case.objects.not_withdrawn().filter(campaign=central).count(),
        Case.objects.not_withdrawn().filter(campaign=central, status="closed").count(),
    )
    batch_rows = [row for row in campaigns if re.fullmatch(r"第\d+批", str(row[0]).strip())]
    assert [(row[0].strip(), row[1]) for row in batch_rows] == [("第1批", 2), ("第2批", 2)]
    total = next(row for row in campaigns if row[0] == "合计")
    assert total[1] == 12
    assert campaigns[-1][0].startswith("截至2024年3月1日，全省共有整改任务12件，已销号10件")


def test_the_changes_since_the_comparison_date(supervisor, province):
    changes = table_after(rows_of(xlsx(token_client(supervisor), since="2024-02-23").worksheets[3]), "设区市")
    by_city = {row[0]: row[1:] for row in changes}
    assert by_city["九江市"] == (1, 0, 0)  # closed on 28 February
    assert by_city["赣州市"] == (0, 1, 1)  # deadline 25 February passed; one reopened
    assert by_city["南昌市"] == (0, 0, 0)  # overdue since January: not new
    assert changes[-1] == ("合计", 1, 1, 1)


def test_a_report_for_an_earlier_day_reads_the_statuses_of_that_day(supervisor, province):
    """On 26 February 九江's second case was not closed yet."""
    ranking = table_after(rows_of(xlsx(token_client(supervisor), date="2024-02-26").worksheets[1]), "排名")
    jiujiang = next(row for row in ranking if row[1] == "九江市")
    assert (jiujiang[2], jiujiang[3], jiujiang[4]) == (2, 1, "50.00")
    nanchang = next(row for row in ranking if row[1] == "南昌市")
    assert nanchang[6] == 1  # its case was overdue then too


def test_the_word_notice_has_the_form_of_an_official_notice(supervisor, province):
    response = token_client(supervisor).get(DOCX)
    assert response.status_code == 200
    document = Document(io.BytesIO(body(response)))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0].text == "江西省生态环境保护督察整改工作领导小组办公室"
    assert paragraphs[1].style.name == "公文标题 Notice title"
    assert "通报" in paragraphs[1].text
    headings = [p.text for p in paragraphs if p.style.name == "公文一级标题 Notice heading"]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、", "五、"]
    assert paragraphs[-1].text == "2024年3月1日"
    title_fonts = document.styles["公文标题 Notice title"].element.rPr.rFonts
    body_fonts = document.styles["公文正文 Notice body"].element.rPr.rFonts
    assert title_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    assert body_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    ranking = document.tables[1]
    names = [row.cells[1].text for row in ranking.rows[1:4]]
    assert names == ["九江市", "赣州市", "南昌市"]
    assert ranking.rows[-1].cells[0].text == "合计" and ranking.rows[-1].cells[2].text == "12"
    assert all(table.rows[-1].cells[0].text == "合计" for table in document.tables)


def test_the_notice_lists_only_the_most_overdue_and_says_so(supervisor, province, settings):
    settings.REPORT_NOTICE_OVERDUE_ROWS = 1
    document = Document(io.BytesIO(body(token_client(supervisor).get(DOCX))))
    overdue = document.tables[-1]
    assert [row.cells[1].text for row in overdue.rows[1:-1]] == [province["late"].reference]
    assert any("共2件" in p.text or "2件" in p.text for p in document.paragraphs if "Excel" in p.text)


def test_each_production_is_recorded(supervisor, province):
    token_client(supervisor).get(DOCX, {"date": "2024-02-26"})
    production = ReportProduction.objects.get()
    assert (production.produced_by, production.kind, production.format) == (supervisor, "progress", "docx")
    assert production.parameters == {"date": "2024-02-26", "since": "2024-02-19"}


@pytest.mark.parametrize("who", ["nanchang_officer", "readonly_client", "province_client"])
def test_only_the_provincial_office_produces_it(request, who, province):
    client = token_client(request.getfixturevalue(who))
    for url in (DOCX, XLSX):
        response = client.get(url)
        assert response.status_code == 403 and response.json()["code"] == "reports_not_allowed"
    assert not ReportProduction.objects.exists()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date": "2024-03-02"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"date": "2024-02-20", "since": "2024-02-20"}, "since"),
    ],
)
def test_bad_dates_are_named(supervisor, province, params, field):
    response = token_client(supervisor).get(XLSX, params)
    assert response.status_code == 400 and response.json()["field"] == field
    assert not ReportProduction.objects.exists()


def test_the_page_shows_the_ranking_with_a_scale_that_starts_near_the_data(client, supervisor, province):
    client.force_login(supervisor)
    response = client.get("/reports/progress/")
    assert response.status_code == 200
    chart = response.context["chart"]
    assert [item["bar"].name for item in chart["bars"][:3]] == ["九江市", "赣州市", "南昌市"]
    assert chart["start"] == 72  # lowest 75.00, a margin of 2.5 points
    assert chart["bars"][0]["width"] > chart["bars"][1]["width"] > chart["bars"][2]["width"] > 0
    page = response.content.decode()
    assert "/api/v1/reports/progress.docx?date=2024-03-01" in page


def test_the_page_is_refused_to_a_city(client, nanchang_officer, province):
    client.force_login(nanchang_officer)
    assert client.get("/reports/progress/").status_code == 403


def test_todays_figures_from_the_kept_counts_equal_those_read_from_every_case(supervisor, province):
    from reports.progress import city_figures, scanned_city_figures

    Case.objects.filter(pk=province["late"].pk).update(status="pending_acceptance")
    kept = city_figures(user=supervisor, day=TODAY)
    scanned = scanned_city_figures(user=supervisor, day=TODAY)
    assert kept == scanned
    assert kept[None][0].total == 1 and kept["360100"][0].awaiting_acceptance == 1


def test_the_page_speaks_the_readers_language_and_the_notice_stays_chinese(client, supervisor, province):
    client.force_login(supervisor)
    client.post("/language/", {"language": "en", "next": "/reports/"})
    page = client.get("/reports/progress/").content.decode()
    assert "Cities ranked by completion" in page and "各设区市完成率排名" not in page
    notice = Document(io.BytesIO(body(client.get(DOCX))))
    assert any(p.text == "二、各设区市完成率排名" for p in notice.paragraphs)


def test_empty_dates_mean_the_defaults_as_the_schema_says(supervisor, province):
    api = token_client(supervisor)
    api.get(DOCX, {"date": "2024-02-26", "since": ""})
    assert ReportProduction.objects.get().parameters == {"date": "2024-02-26", "since": "2024-02-19"}
    schema = yaml.safe_load(api.get("/api/schema/").content)
    since = next(p for p in schema["paths"][DOCX]["get"]["parameters"] if p["name"] == "since")
    assert {"type": "string", "format": "date"} in since["schema"]["anyOf"]
