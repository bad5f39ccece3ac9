"""The ledger (整改台账) export of the demo data: one sheet per kind, the
import layouts' Chinese headers, dates as dates, only what the viewer may
see; importing it again reports every row unchanged."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from accounts.models import User
from cases.models import Campaign, Case, CaseEvent
from fixtures.campaigns import CENTRAL, PROVINCIAL_BATCH_1, PROVINCIAL_BATCH_2, WARNING_FILMS
from imports import services
from imports.parsing.layouts import LEDGER, PETITIONS
from tests.conftest import demo_loaded

TODAY = datetime.date(2024, 1, 15)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_loaded(django_db_blocker, TODAY):
        yield


def export(client, username: str, query: str = "") -> bytes:
    client.force_login(User.objects.get(username=username))
    response = client.get(f"/imports/ledger.xlsx{query}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return b"".join(response.streaming_content)


def sheet_rows(data: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.parametrize("campaign", [CENTRAL, WARNING_FILMS, PROVINCIAL_BATCH_1, PROVINCIAL_BATCH_2])
def test_exporting_and_reimporting_a_campaigns_ledger_reports_every_row_unchanged(demo, client, campaign):
    data = export(client, "supervisor", f"?campaign={campaign}")
    expected = Case.objects.not_withdrawn().filter(campaign__code=campaign).count()

    job = services.start_import(
        actor=User.objects.get(username="supervisor"),
        data=data,
        filename="整改台账.xlsx",
        campaign_code=campaign,
        dry_run=True,
        background=False,
    )

    assert job.state == "done", job.error
    not_unchanged = [row for row in job.report["rows"] if row["outcome"] != "unchanged"]
    assert not_unchanged == []
    assert job.counts()["unchanged"] == expected


@pytest.mark.django_db
def test_applying_a_reexported_ledger_writes_nothing(demo, client):
    data = export(client, "supervisor", f"?campaign={WARNING_FILMS}")
    events = CaseEvent.objects.count()

    job = services.start_import(
        actor=User.objects.get(username="supervisor"),
        data=data,
        filename="警示片台账.xlsx",
        campaign_code=WARNING_FILMS,
        dry_run=False,
    )

    assert job.counts() == {"created": 0, "updated": 0, "unchanged": 72, "invalid": 0}
    assert CaseEvent.objects.count() == events


@pytest.mark.django_db
def test_the_ledger_has_one_sheet_per_kind_with_the_import_headers(demo, client):
    sheets = sheet_rows(export(client, "supervisor", f"?campaign={CENTRAL}"))

    assert list(sheets) == ["督察反馈问题", "信访件", "警示片问题", "省级督察问题"]
    petition_header, ledger_header = sheets["信访件"][0], sheets["督察反馈问题"][0]
    for column in PETITIONS.columns:
        if column.required:
            assert column.header in petition_header
    for column in LEDGER.columns:
        if column.required:
            assert column.header in ledger_header
    assert len(sheets["信访件"]) == 1 + 3435
    assert len(sheets["督察反馈问题"]) == 1 + 49
    assert len(sheets["警示片问题"]) == 1


@pytest.mark.django_db
def test_dates_are_written_as_dates(demo, client):
    sheets = sheet_rows(export(client, "supervisor", f"?campaign={WARNING_FILMS}"))
    header, *rows = sheets["警示片问题"]
    found_on = [row[header.index("发现时间")] for row in rows]
    deadlines = [row[header.index("整改时限")] for row in rows]

    assert all(isinstance(value, datetime.datetime) for value in found_on)
    assert any(isinstance(value, datetime.datetime) for value in deadlines)


@pytest.mark.django_db
def test_the_export_follows_the_list_filters(demo, client):
    sheets = sheet_rows(export(client, "supervisor", "?kind=feedback_problem&status=closed"))

    assert len(sheets["督察反馈问题"]) == 1 + 36
    assert len(sheets["信访件"]) == 1
    header = sheets["督察反馈问题"][0]
    assert {row[header.index("完成情况")] for row in sheets["督察反馈问题"][1:]} == {"已完成"}


@pytest.mark.django_db
def test_an_officer_exports_only_their_own_citys_cases(demo, client):
    sheets = sheet_rows(export(client, "nanchang", f"?campaign={CENTRAL}"))
    header, *rows = sheets["信访件"]
    regions = {row[header.index("行政区域")] for row in rows}
    in_nanchang = Case.objects.filter(campaign__code=CENTRAL, kind="petition", city_id="360100").count()

    assert len(rows) == in_nanchang > 0
    assert all(region.startswith("南昌") for region in regions)


@pytest.mark.django_db
def test_the_supervisor_exports_every_city(demo, client):
    sheets = sheet_rows(export(client, "supervisor", f"?campaign={CENTRAL}&kind=petition"))
    header, *rows = sheets["信访件"]

    assert len({row[header.index("行政区域")][:2] for row in rows}) == 11


@pytest.mark.django_db
def test_a_bad_filter_is_a_400_naming_it(demo, client):
    client.force_login(User.objects.get(username="supervisor"))
    response = client.get("/imports/ledger.xlsx?status=finished")

    assert response.status_code == 400
    assert b"status" in response.content


@pytest.mark.django_db
def test_anonymous_visitors_get_no_ledger(demo, client):
    assert client.get("/imports/ledger.xlsx").status_code == 302
    assert Campaign.objects.exists()


@pytest.mark.django_db
def test_the_ledger_writes_the_milestones_that_the_round_trip_reads_back(demo, client):
    from imports.parsing.values import parse_milestones

    sheets = sheet_rows(export(client, "supervisor"))
    written = {}
    for title in ("督察反馈问题", "信访件", "警示片问题", "省级督察问题"):
        header, *rows = sheets[title]
        key = header.index("受理编号" if title == "信访件" else "编号")
        for row in rows:
            if row[header.index("阶段性目标")]:
                written[(row[header.index("督察任务")], row[key])] = row[header.index("阶段性目标")]
    with_targets = Case.objects.filter(milestones__isnull=False).distinct().select_related("campaign")
    assert len(written) == with_targets.count() > 0
    for case in with_targets:
        cell = written[(case.campaign.name, case.reference)]
        assert parse_milestones(cell) == [
            {"due_on": str(m.due_on), "target": m.target, "met_on": str(m.met_on) if m.met_on else None}
            for m in case.milestones.all()
        ]
