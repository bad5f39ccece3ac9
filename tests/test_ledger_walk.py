"""Loading a ledger of cases already closed (issue 14.2): in the bulk
upsert and the imports only, the provincial supervisor's walk passes the
review levels below the province. Each such level's review is recorded as
that level's, signed by the supervisor who recorded it, with the opinion
据台账补录, and the timeline says so. A city or county account gains
nothing, nor does the one-case transition (API or page)."""

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from cases.constants import Level, ReviewResult
from cases.constants import Status as S
from cases.models import Case, CaseEvent, Review
from cases.upsert import upsert_cases
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
XUNYANG = "360403"  # 浔阳区, a county-level district of 九江市


@pytest.fixture(autouse=True)
def pinned_time():
    with time_machine.travel(shanghai(2024, 5, 20, 10, 0), tick=False), translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def jiujiang_system(jiujiang):
    return UserFactory(username="jj_system", role="api_client", city=jiujiang, can_write=True)


@pytest.fixture
def xunyang_system(jiujiang):
    return UserFactory(username="xy_system", role="api_client", division_id=XUNYANG, can_write=True)


def county_item(reference="FK-浔阳-1", **extra):
    return {
        "campaign": "test-central-2",
        "reference": reference,
        "kind": "feedback_problem",
        "title": f"浔阳区历史问题 {reference}（合成数据）",
        "division": XUNYANG,
        "deadline_type": "dated",
        "deadline": "2023-12-31",
        "status": "closed",
        "note": "导入历史台账",
        **extra,
    }


def test_the_province_loads_a_closed_county_case_recording_the_citys_review(supervisor):
    [result] = upsert_cases(actor=supervisor, items=[county_item()])

    assert result.outcome == "created", result.errors
    case = Case.objects.get(pk=result.id)
    assert (case.status, case.review_stage, case.closed_at is not None) == (S.CLOSED, None, True)
    reviews = list(Review.objects.filter(case=case).order_by("version").values_list("level", "result", "reviewer", "opinion"))
    assert reviews == [
        (Level.CITY, ReviewResult.APPROVED, supervisor.pk, "据台账补录：由省整改办补录市级审核。"),
        (Level.PROVINCE, ReviewResult.CLOSED, supervisor.pk, "导入历史台账"),
    ]
    moves = list(CaseEvent.objects.filter(case=case).order_by("version").values_list("from_status", "to_status", "changes"))
    assert [(f, t) for f, t, _c in moves] == [
        ("", S.ASSIGNED), (S.ASSIGNED, S.IN_PROGRESS), (S.IN_PROGRESS, S.PENDING_ACCEPTANCE),
        (S.PENDING_ACCEPTANCE, S.PENDING_ACCEPTANCE), (S.PENDING_ACCEPTANCE, S.CLOSED),
    ]  # fmt: skip
    assert moves[3][2] == {"recorded_from_ledger": Level.CITY}
    assert result.version == 5


def test_the_case_page_timeline_says_the_review_was_recorded_from_the_ledger(supervisor, client):
    [result] = upsert_cases(actor=supervisor, items=[county_item()])
    client.force_login(supervisor)
    page = client.get(f"/cases/{result.id}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "据台账补录：由省整改办补录市级审核。" in timeline
    assert "省整改办据台账补录的审核" in timeline and "市级" in timeline


def test_in_english_the_opinion_reads_recorded_from_the_ledger(supervisor):
    with translation.override("en"):
        [result] = upsert_cases(actor=supervisor, items=[county_item()])
    review = Review.objects.get(case_id=result.id, level=Level.CITY)
    assert review.opinion == "Recorded from the ledger by the provincial office (据台账补录): the review at City level."


def test_a_county_case_already_waiting_at_its_city_is_passed_the_same_way(supervisor):
    case = CaseFactory(division_id=XUNYANG, city=None, status=S.PENDING_ACCEPTANCE, review_stage=Level.CITY)
    [result] = upsert_cases(actor=supervisor, items=[{"campaign": case.campaign.code, "reference": case.reference, "status": "closed"}])
    assert result.outcome == "updated", result.errors
    assert list(Review.objects.filter(case=case).values_list("level", "reviewer")) == [
        (Level.CITY, supervisor.pk), (Level.PROVINCE, supervisor.pk),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["jiujiang_system", "xunyang_system"])
def test_a_city_or_county_system_cannot_load_a_county_case_as_closed(request, who, supervisor):
    actor = request.getfixturevalue(who)
    [result] = upsert_cases(actor=actor, items=[county_item()])
    assert result.outcome == "invalid" and list(result.errors) == ["status"]
    assert not Case.objects.exists() and not Review.objects.exists()


def test_the_province_wide_system_cannot_either(province_client):
    [result] = upsert_cases(actor=province_client, items=[county_item()])
    assert result.outcome == "invalid" and list(result.errors) == ["status"]
    assert not Case.objects.exists()


def test_where_the_city_accepts_the_province_still_cannot_close_for_it(supervisor):
    CampaignFactory(code="city-accepts", accepting_level=Level.CITY)
    [result] = upsert_cases(actor=supervisor, items=[county_item(campaign="city-accepts")])
    assert result.outcome == "invalid" and "市级" in result.errors["status"][0]
    assert not Case.objects.exists()


def test_the_one_case_transition_does_not_pass_the_citys_review(supervisor):
    case = CaseFactory(division_id=XUNYANG, city=None, status=S.PENDING_ACCEPTANCE, review_stage=Level.CITY)
    client = APIClient()
    client.force_authenticate(supervisor)
    for body in ({"action": "approve", "note": "据台账补录"}, {"action": "close", "note": "验收"}, {"to": "closed"}):
        answer = client.post(f"/api/v1/cases/{case.pk}/transition/", body, format="json")
        assert answer.status_code == 409 and answer.json()["code"] == "waiting_at_another_level", answer.json()
    case.refresh_from_db()
    assert (case.status, case.review_stage, case.version) == (S.PENDING_ACCEPTANCE, Level.CITY, 1)
    assert not Review.objects.exists()


def test_the_case_page_offers_the_supervisor_no_move_at_the_citys_level(supervisor, client):
    case = CaseFactory(division_id=XUNYANG, city=None, status=S.PENDING_ACCEPTANCE, review_stage=Level.CITY)
    client.force_login(supervisor)
    response = client.post(
        f"/cases/{case.pk}/transition/", {"action": "approve", "t-pending_acceptance-expected_version": 1, "t-pending_acceptance-note": "x"}
    )
    assert response.status_code == 409
    assert not Review.objects.exists()


def test_through_the_bulk_endpoint_the_supervisor_may_and_the_city_may_not(supervisor, jiujiang_system):
    def post(actor, reference):
        client = APIClient()
        client.force_authenticate(actor)
        body = {"cases": [county_item(reference)]}
        return client.post("/api/v1/cases/bulk/", body, format="json").json()["results"][0]

    assert post(supervisor, "FK-浔阳-1")["outcome"] == "created"
    refused = post(jiujiang_system, "FK-浔阳-2")
    assert refused["outcome"] == "invalid" and "省级" in refused["errors"]["status"][0]
    assert list(Case.objects.values_list("reference", "status")) == [("FK-浔阳-1", S.CLOSED)]
