"""Dispatch rounds (调度): the office opens a round over the open cases;
each division reports on its own; the office sees, per division, who
reported on time, late or not at all, and urges the rest."""

import datetime

import pytest
import time_machine
from django.db.models import Count, Q

from cases.models import Case, CaseEvent
from dispatch.models import Round, RoundCase
from notifications.models import Notification
from tests.conftest import shanghai, token_client
from tests.factories import CaseFactory, UserFactory

from .conftest import CUTOFF

pytestmark = pytest.mark.django_db


def report(user, round, *items):
    return token_client(user).post(f"/api/v1/dispatch/rounds/{round.pk}/reports/", {"reports": list(items)}, format="json")


def test_a_round_snapshots_the_open_cases_of_its_divisions_at_opening(opened_round, round_cases):
    CaseFactory(division_id="360403", city=None, status="in_progress")  # opened later: not in the round
    covered = set(RoundCase.objects.filter(round=opened_round).values_list("case_id", flat=True))
    assert covered == {round_cases[k].pk for k in ("nanchang", "donghu", "xunyang", "xunyang_waiting", "lianxi", "province")}


def test_a_round_covers_only_its_campaigns_and_the_subtrees_of_its_divisions(monday, supervisor, round_cases):
    from dispatch.services import open_round

    other = CaseFactory(division_id="360403", city=None, campaign__code="other", status="assigned")
    round = open_round(
        actor=supervisor, name="九江专项", cadence="ad_hoc", cutoff_at=CUTOFF,
        campaigns=[round_cases["xunyang"].campaign], divisions=[round_cases["xunyang"].division.parent],
    )  # fmt: skip
    covered = set(RoundCase.objects.filter(round=round).values_list("case_id", flat=True))
    assert covered == {round_cases[k].pk for k in ("xunyang", "xunyang_waiting", "lianxi")}
    assert other.pk not in covered


def test_the_per_division_counts_match_the_database(opened_round, round_cases, supervisor, xunyang_officer, nanchang_officer):
    assert report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "progress": "已完成清淤"}).status_code == 200
    with time_machine.travel(CUTOFF + datetime.timedelta(hours=1), tick=False):
        assert report(nanchang_officer, opened_round, {"case": round_cases["donghu"].pk, "no_change": True}).status_code == 200

        answer = token_client(supervisor).get(f"/api/v1/dispatch/rounds/{opened_round.pk}/")

    assert answer.status_code == 200
    shown = {row["code"]: row for row in answer.json()["divisions_status"]}
    expected = (
        RoundCase.objects.filter(round=opened_round)
        .values("case__division_id")
        .annotate(
            cases=Count("id"),
            on_time=Count("id", filter=Q(reported_at__lte=CUTOFF)),
            late=Count("id", filter=Q(reported_at__gt=CUTOFF)),
            missing=Count("id", filter=Q(reported_at__isnull=True)),
        )
    )
    assert {
        row["case__division_id"]: (row["cases"], row["on_time"], row["late"], row["missing"]) for row in expected
    } == {code: (r["cases"], r["on_time"], r["late"], r["missing"]) for code, r in shown.items()}
    assert shown["360403"]["status"] == "missing"  # one of its two cases still is
    assert shown["360102"]["status"] == "late" and shown["360102"]["name"] == "东湖区"
    assert shown["360100"]["status"] == "missing"
    cities = {row["code"]: row for row in answer.json()["cities_status"]}
    assert (cities["360400"]["cases"], cities["360400"]["on_time"], cities["360400"]["missing"]) == (3, 1, 2)
    assert (cities["360100"]["cases"], cities["360100"]["late"]) == (2, 1)
    assert answer.json()["totals"] == {"cases": 6, "on_time": 1, "late": 1, "missing": 4}


def test_the_per_division_status_is_one_query(opened_round, supervisor, django_assert_max_num_queries):
    from dispatch.services import round_status

    with django_assert_max_num_queries(2):  # the grouped rows, and the cities' names
        round_status(opened_round, supervisor)


def test_a_report_is_an_event_on_the_case_that_names_the_round(opened_round, round_cases, xunyang_officer, client):
    case = round_cases["xunyang"]
    answer = report(xunyang_officer, opened_round, {"case": case.pk, "progress": "已完成清淤，待复核"})

    assert answer.status_code == 200
    [row] = answer.json()["results"]
    assert row["case"] == case.pk and row["late"] is False
    case.refresh_from_db()
    event = CaseEvent.objects.get(pk=row["event"])
    assert (case.progress, case.version, event.version, event.action) == ("已完成清淤，待复核", 2, 2, "reported")
    assert event.changes["round"] == {"id": opened_round.pk, "name": "第12期", "late": False}
    events = token_client(xunyang_officer).get(f"/api/v1/cases/{case.pk}/events/").json()["results"]
    assert events[-1]["changes"]["round"]["name"] == "第12期"
    client.force_login(xunyang_officer)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "第12期" in page and "已完成清淤，待复核" in page


def test_no_change_is_still_an_event_and_changes_no_field(opened_round, round_cases, xunyang_officer):
    case = round_cases["xunyang"]
    before = Case.objects.values("progress", "status").get(pk=case.pk)

    assert report(xunyang_officer, opened_round, {"case": case.pk, "no_change": True}).status_code == 200

    case.refresh_from_db()
    assert Case.objects.values("progress", "status").get(pk=case.pk) == before and case.version == 2
    event = case.events.get(version=2)
    assert event.action == "reported" and "progress" not in event.changes


def test_a_late_report_is_accepted_and_marked_late(opened_round, round_cases, xunyang_officer, client):
    case = round_cases["xunyang"]
    with time_machine.travel(shanghai(2024, 3, 16, 9, 0), tick=False):
        answer = report(xunyang_officer, opened_round, {"case": case.pk, "progress": "周末补报"})

    assert answer.status_code == 200 and answer.json()["results"][0]["late"] is True
    row = RoundCase.objects.get(round=opened_round, case=case)
    assert row.reported_at == shanghai(2024, 3, 16, 9, 0) and row.report.changes["round"]["late"] is True
    client.force_login(xunyang_officer)
    assert "逾期" in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_second_report_adds_an_event_and_the_first_decides_on_time(opened_round, round_cases, xunyang_officer):
    case = round_cases["xunyang"]
    report(xunyang_officer, opened_round, {"case": case.pk, "progress": "第一次"})
    with time_machine.travel(CUTOFF + datetime.timedelta(days=1), tick=False):
        report(xunyang_officer, opened_round, {"case": case.pk, "progress": "第二次"})

    row = RoundCase.objects.get(round=opened_round, case=case)
    assert row.reported_at <= CUTOFF
    assert row.report.changes["progress"] == ["第一次", "第二次"]
    assert case.events.filter(action="reported").count() == 2


def test_a_case_the_reporter_no_longer_holds_keeps_its_progress_and_the_report_is_the_note(opened_round, round_cases, xunyang_officer):
    waiting = round_cases["xunyang_waiting"]

    assert report(xunyang_officer, opened_round, {"case": waiting.pk, "progress": "等待省里验收"}).status_code == 200

    waiting.refresh_from_db()
    assert waiting.progress == "" and waiting.events.get(version=2).note == "等待省里验收"


def test_a_county_officer_reports_only_its_countys_cases(opened_round, round_cases, xunyang_officer):
    assert report(xunyang_officer, opened_round, {"case": round_cases["lianxi"].pk, "no_change": True}).status_code == 404
    # All or nothing: its own case in the same request is not reported either.
    answer = report(
        xunyang_officer, opened_round,
        {"case": round_cases["xunyang"].pk, "no_change": True}, {"case": round_cases["lianxi"].pk, "no_change": True},
    )  # fmt: skip
    assert answer.status_code == 404
    assert not RoundCase.objects.filter(round=opened_round, reported_at__isnull=False).exists()
    assert report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "no_change": True}).status_code == 200


def test_a_city_officer_reports_on_its_subtree_and_not_another_citys(opened_round, round_cases, jiujiang_officer):
    ok = report(
        jiujiang_officer, opened_round,
        {"case": round_cases["xunyang"].pk, "no_change": True}, {"case": round_cases["lianxi"].pk, "progress": "推进中"},
    )  # fmt: skip
    assert ok.status_code == 200 and len(ok.json()["results"]) == 2
    assert report(jiujiang_officer, opened_round, {"case": round_cases["donghu"].pk, "no_change": True}).status_code == 404


def test_a_case_outside_the_round_is_refused_naming_it(opened_round, round_cases, xunyang_officer):
    answer = report(
        xunyang_officer, opened_round,
        {"case": round_cases["xunyang"].pk, "no_change": True}, {"case": round_cases["closed"].pk, "no_change": True},
    )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["field"] == "reports.1.case"
    assert not RoundCase.objects.filter(round=opened_round, reported_at__isnull=False).exists()


def test_a_read_only_client_cannot_report(opened_round, round_cases, readonly_client):
    answer = report(readonly_client, opened_round, {"case": round_cases["nanchang"].pk, "no_change": True})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reports": []}, "reports"),
        ({"reports": [{"case": 1}]}, "reports.0.progress"),
        ({"reports": [{"case": 1, "progress": "x", "no_change": True}]}, "reports.0.progress"),
        ({"reports": [{"case": "1", "no_change": True}]}, "reports.0.case"),
    ],
)
def test_bad_reports_are_400_naming_the_field(opened_round, xunyang_officer, body, field):
    answer = token_client(xunyang_officer).post(f"/api/v1/dispatch/rounds/{opened_round.pk}/reports/", body, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == field


def test_only_the_provincial_office_opens_a_round(monday, supervisor, nanchang_officer, province_client, round_cases):
    body = {"name": "第13期", "cadence": "weekly", "cutoff": "2024-03-15T17:00", "divisions": ["360400"]}
    for account in (nanchang_officer, province_client):
        assert token_client(account).post("/api/v1/dispatch/rounds/", body, format="json").status_code == 403
    assert not Round.objects.exists()

    answer = token_client(supervisor).post("/api/v1/dispatch/rounds/", body, format="json")

    assert answer.status_code == 201
    assert answer.json()["cutoff"] == "2024-03-15T17:00:00+08:00"  # entered and shown in Asia/Shanghai
    assert Round.objects.get().cutoff_at == CUTOFF
    assert answer.json()["totals"]["cases"] == 3


@pytest.mark.parametrize(
    "change, field",
    [
        ({"cutoff": "2024-03-10T17:00"}, "cutoff"),
        ({"cutoff": "0001-01-01T00:00:00Z"}, "cutoff"),
        ({"cutoff": "0001-01-01T00:00:00"}, "cutoff"),
        ({"cutoff": "9999-12-31T23:59:59-12:00"}, "cutoff"),
        ({"cutoff": "3000-01-01T00:00:00"}, "cutoff"),
        ({"divisions": ["369999"]}, "divisions"),
        ({"campaigns": ["no-such-campaign"]}, "campaigns"),
        ({"cadence": "daily"}, "cadence"),
        ({"name": ""}, "name"),
        ({"name": "第12期"}, "name"),
    ],
)
def test_bad_rounds_are_400_naming_the_field_and_open_nothing(opened_round, supervisor, change, field):
    body = {"name": "第13期", "cadence": "weekly", "cutoff": "2024-03-15T17:00"} | change
    answer = token_client(supervisor).post("/api/v1/dispatch/rounds/", body, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert Round.objects.count() == 1


def test_an_unknown_round_is_404(supervisor):
    client = token_client(supervisor)
    assert client.get("/api/v1/dispatch/rounds/999/").status_code == 404
    assert client.get(f"/api/v1/dispatch/rounds/{2**64}/").status_code == 404
    assert client.post("/api/v1/dispatch/rounds/999/urge/", {}, format="json").status_code == 404


def test_others_see_only_rounds_and_rows_in_their_scope(opened_round, monday, supervisor, round_cases, xunyang_officer, nanchang_officer):
    from dispatch.services import open_round

    nanchang_only = open_round(actor=supervisor, name="南昌专项", cadence="ad_hoc", cutoff_at=CUTOFF, divisions=[round_cases["nanchang"].division])

    listed = token_client(xunyang_officer).get("/api/v1/dispatch/rounds/").json()["results"]
    assert [r["name"] for r in listed] == ["第12期"] and listed[0]["totals"]["cases"] == 2
    detail = token_client(xunyang_officer).get(f"/api/v1/dispatch/rounds/{opened_round.pk}/").json()
    assert [row["code"] for row in detail["divisions_status"]] == ["360403"]
    assert token_client(xunyang_officer).get(f"/api/v1/dispatch/rounds/{nanchang_only.pk}/").status_code == 404
    assert token_client(nanchang_officer).get(f"/api/v1/dispatch/rounds/{nanchang_only.pk}/").status_code == 200
    assert {r["name"] for r in token_client(supervisor).get("/api/v1/dispatch/rounds/").json()["results"]} == {"第12期", "南昌专项"}


def test_urging_reaches_the_missing_divisions_accounts_and_not_the_reported_ones(
    opened_round, round_cases, supervisor, nanchang_officer, xunyang_officer, celery_in_process, django_capture_on_commit_callbacks
):
    report(nanchang_officer, opened_round, {"case": round_cases["nanchang"].pk, "no_change": True}, {"case": round_cases["donghu"].pk, "no_change": True})

    with django_capture_on_commit_callbacks(execute=True):
        answer = token_client(supervisor).post(f"/api/v1/dispatch/rounds/{opened_round.pk}/urge/", {"note": "请今日报送"}, format="json")

    assert answer.status_code == 201
    urged = {case for urging in answer.json() for case in urging["cases"]}
    assert urged == {round_cases[k].pk for k in ("xunyang", "xunyang_waiting", "lianxi")}
    assert not Notification.objects.filter(recipient=nanchang_officer).exists()
    assert {u["division"] for u in answer.json()} == {"360402", "360403"}
    notice = Notification.objects.get(recipient=xunyang_officer)
    assert "第12期" in notice.body and "2024-03-15 17:00" in notice.body and "请今日报送" in notice.body


def test_only_the_office_urges(opened_round, nanchang_officer):
    answer = token_client(nanchang_officer).post(f"/api/v1/dispatch/rounds/{opened_round.pk}/urge/", {}, format="json")
    assert answer.status_code == 403


def test_nothing_to_urge_when_every_division_reported(monday, supervisor, round_cases, nanchang_officer):
    from dispatch.services import open_round

    round = open_round(actor=supervisor, name="东湖", cadence="ad_hoc", cutoff_at=CUTOFF, divisions=[round_cases["donghu"].division])
    report(nanchang_officer, round, {"case": round_cases["donghu"].pk, "no_change": True})
    answer = token_client(supervisor).post(f"/api/v1/dispatch/rounds/{round.pk}/urge/", {}, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "round"


def test_the_demo_has_a_past_round_with_divisions_reported_late_and_missing(cities):
    import io

    from django.core.management import call_command

    call_command("seed_demo", "--password", "pw-for-tests", "--today", "2024-03-15", stdout=io.StringIO())
    call_command("seed_demo", "--password", "pw-for-tests", "--today", "2024-03-15", stdout=io.StringIO())

    round = Round.objects.get()
    assert round.cutoff_at < shanghai(2024, 3, 15, 0, 0)
    answer = token_client(UserFactory(username="supervisor")).get(f"/api/v1/dispatch/rounds/{round.pk}/").json()
    assert {row["status"] for row in answer["divisions_status"]} == {"reported", "late", "missing"}
    reported = RoundCase.objects.filter(round=round, reported_at__isnull=False).count()
    assert CaseEvent.objects.filter(action="reported").count() == reported > 0
