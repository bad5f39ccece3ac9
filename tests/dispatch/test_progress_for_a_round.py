"""The progress report for a dispatch round: as at the round's cutoff
day, with the changes since the previous round of the same cadence."""

import datetime
import io

import pytest
import time_machine
from docx import Document

from dispatch.models import Round
from reports.models import ReportProduction
from tests.conftest import shanghai, token_client
from tests.factories import CaseFactory
from tests.reports.conftest import body

pytestmark = pytest.mark.django_db
DOCX = "/api/v1/reports/progress.docx"
XLSX = "/api/v1/reports/progress.xlsx"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 8, 10), tick=False):
        yield


def weekly(name, cutoff, **kwargs):
    return Round.objects.create(name=name, cadence="weekly", cutoff_at=cutoff, opened_at=cutoff - datetime.timedelta(days=4), **kwargs)


@pytest.fixture
def rounds(cities):
    CaseFactory(division_id="360100", city=None, status="in_progress")
    return {
        "first": weekly("第1期", shanghai(2024, 2, 23, 17)),
        "monthly": Round.objects.create(name="月调度", cadence="monthly", cutoff_at=shanghai(2024, 2, 27, 17), opened_at=shanghai(2024, 2, 20, 9)),
        "second": weekly("第2期", shanghai(2024, 3, 1, 17)),
        "running": weekly("第3期", shanghai(2024, 3, 8, 17)),
    }


def test_a_rounds_report_is_as_at_its_cutoff_and_compares_with_the_previous_round_of_its_cadence(supervisor, rounds):
    answer = token_client(supervisor).get(DOCX, {"round": rounds["second"].pk})

    assert answer.status_code == 200
    production = ReportProduction.objects.get()
    assert production.parameters == {"date": "2024-03-01", "since": "2024-02-23", "round": rounds["second"].pk}
    text = "\n".join(p.text for p in Document(io.BytesIO(body(answer))).paragraphs)
    assert "（第2期）" in text and "2024年3月1日" in text


def test_a_running_rounds_report_is_as_at_today_and_the_first_round_compares_with_a_week_before(supervisor, rounds):
    api = token_client(supervisor)
    assert api.get(XLSX, {"round": rounds["running"].pk}).status_code == 200
    assert api.get(XLSX, {"round": rounds["first"].pk}).status_code == 200
    running, first = ReportProduction.objects.order_by("pk")
    assert (running.parameters["date"], running.parameters["since"]) == ("2024-03-08", "2024-03-01")
    assert (first.parameters["date"], first.parameters["since"]) == ("2024-02-23", "2024-02-16")


@pytest.mark.parametrize("params, status", [({"round": 99999}, 404), ({"round": "x"}, 400), ({"round": 1, "date": "2024-03-01"}, 400)])
def test_a_bad_round_is_refused_naming_it(supervisor, rounds, params, status):
    answer = token_client(supervisor).get(DOCX, params)
    assert answer.status_code == status and answer.json()["field"] == "round"
    assert not ReportProduction.objects.exists()


def test_the_page_for_a_round_links_its_files(client, supervisor, rounds):
    client.force_login(supervisor)
    page = client.get("/reports/progress/", {"round": rounds["second"].pk}).content.decode()
    assert "（第2期）" in page and f"progress.docx?round={rounds['second'].pk}" in page


def test_only_the_office_produces_a_rounds_report(nanchang_officer, rounds):
    assert token_client(nanchang_officer).get(DOCX, {"round": rounds["second"].pk}).status_code == 403


def test_a_round_closed_early_is_reported_as_at_the_day_it_was_closed(supervisor, rounds):
    """The running round (cutoff 8 March, 17:00) closed on 5 March: its
    figures stop there, today's and later reports of it do not move."""
    running = rounds["running"]
    Round.objects.filter(pk=running.pk).update(closed_at=shanghai(2024, 3, 5, 11), close_reason="提前结束（合成）")

    assert token_client(supervisor).get(XLSX, {"round": running.pk}).status_code == 200
    production = ReportProduction.objects.get()
    assert (production.parameters["date"], production.parameters["since"]) == ("2024-03-05", "2024-03-01")
