"""A county's case climbs the tree (DESIGN sections 3-4): its submission is
the county's self-check, its city reviews it and passes it up, the province
accepts it (or the city, where the campaign accepts at the city). Each way
in (the workflow, the API, the bulk upsert, the case page) walks the same
chain and refuses a level that is not the case's own with the rule's name."""

import pytest
from rest_framework.test import APIClient

from cases.constants import Level, ReviewResult, Status
from cases.divisions import level_of, reference_rows
from cases.errors import CaseNotVisible, TransitionNotAllowed
from cases.models import Case, Review
from cases.upsert import upsert_cases
from cases.workflow import acting_level, review_chain, review_level, transition
from tests.factories import CampaignFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Status
DONGHU = "360102"  # 东湖区, a county-level district of 南昌市
URL = "/api/v1/cases/{}/transition/"


@pytest.fixture
def donghu_officer(nanchang):
    return UserFactory(username="dh_officer", role="officer", division_id=DONGHU)


@pytest.fixture
def city_campaign(db):
    return CampaignFactory(code="city-accepts", accepting_level=Level.CITY)


def county_case(status=S.IN_PROGRESS, **fields):
    return CaseFactory(division_id=DONGHU, city=None, status=status, **fields)


def submitted(officer, **fields):
    case = county_case(**fields)
    transition(case=case, action="submit", actor=officer, note="县级自查：整改到位")
    return case


def refused_code(case, actor, action, note="意见"):
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, action=action, actor=actor, note=note)
    return refused.value.code


def test_a_divisions_level_read_off_its_code_is_the_level_the_reference_data_states():
    assert all(level_of(row.code) == row.level for row in reference_rows())


def test_the_accounts_act_at_their_own_level_units_at_none_and_counties_never_review(supervisor, nanchang_officer, donghu_officer, province_client):
    from cases.models import Unit

    unit = Unit.objects.create(name="南昌市东湖区生态环境分局", division_id=DONGHU)
    unit_officer = UserFactory(username="dh_unit", role="officer", division_id=DONGHU, unit=unit)
    actors = (supervisor, nanchang_officer, donghu_officer, unit_officer, province_client)
    assert [acting_level(u) for u in actors] == [Level.PROVINCE, Level.CITY, Level.COUNTY, None, None]
    assert [review_level(u) for u in actors] == [Level.PROVINCE, Level.CITY, None, None, None]  # a county never reviews


def test_a_county_case_waits_at_its_city_then_at_the_province(donghu_officer, nanchang_officer, supervisor):
    case = submitted(donghu_officer)
    assert review_chain(case) == [Level.CITY, Level.PROVINCE]
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.CITY)
    transition(case=case, action="approve", actor=nanchang_officer, note="市级复核通过")
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.PROVINCE)
    transition(case=case, action="close", actor=supervisor, note="省级验收通过")
    assert case.status == S.CLOSED
    assert list(Review.objects.filter(case=case).values_list("level", "reviewer__username", "result")) == [
        (Level.CITY, "nc_officer", ReviewResult.APPROVED), (Level.PROVINCE, "sup", ReviewResult.CLOSED),
    ]


def test_a_county_does_not_review_its_own_submission(donghu_officer):
    case = submitted(donghu_officer)
    for action in ("approve", "return"):
        assert refused_code(case, donghu_officer, action) == "own_submission"
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, action="approve", actor=donghu_officer)
    assert "市级" in str(refused.value.message)  # names who reviews it
    assert Case.objects.get(pk=case.pk).version == case.version and not Review.objects.filter(case=case).exists()


def test_the_province_cannot_act_while_the_case_waits_at_the_city(donghu_officer, supervisor):
    case = submitted(donghu_officer)
    for action in ("approve", "return", "close", "publicize"):
        assert refused_code(case, supervisor, action) == "waiting_at_another_level"
    assert Case.objects.get(pk=case.pk).review_stage == Level.CITY


def test_the_city_cannot_close_what_the_province_accepts(donghu_officer, nanchang_officer):
    case = submitted(donghu_officer)
    assert refused_code(case, nanchang_officer, "close") == "not_the_accepting_level"
    transition(case=case, action="approve", actor=nanchang_officer, note="复核通过")
    for action in ("approve", "return"):
        assert refused_code(case, nanchang_officer, action) == "waiting_at_another_level"


def test_another_city_is_told_the_county_case_does_not_exist(donghu_officer, jiujiang_officer):
    case = submitted(donghu_officer)
    with pytest.raises(CaseNotVisible):
        transition(case=case, action="approve", actor=jiujiang_officer)


def test_a_return_goes_one_level_down_and_the_county_resubmits(donghu_officer, nanchang_officer, supervisor):
    case = submitted(donghu_officer)
    transition(case=case, action="approve", actor=nanchang_officer, note="复核通过")
    transition(case=case, action="return", actor=supervisor, note="缺少监测报告")
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.CITY)
    transition(case=case, action="return", actor=nanchang_officer, note="请补充监测报告")
    assert (case.status, case.review_stage) == (S.IN_PROGRESS, None)
    transition(case=case, action="submit", actor=donghu_officer, note="已补充")
    assert case.review_stage == Level.CITY


def test_where_the_campaign_accepts_at_the_city_the_city_closes_a_county_case(
    donghu_officer, nanchang_officer, supervisor, city_campaign
):
    case = submitted(donghu_officer, campaign=city_campaign)
    assert review_chain(case) == [Level.CITY]
    assert refused_code(case, supervisor, "close") == "not_the_accepting_level"
    assert refused_code(case, nanchang_officer, "approve") == "accepting_level"
    transition(case=case, action="close", actor=nanchang_officer, note="市级验收通过")
    assert case.status == S.CLOSED
    assert Review.objects.get(case=case).level == Level.CITY


# --- the API ---------------------------------------------------------------------


def test_the_api_walks_the_same_chain(donghu_officer, nanchang_officer, jiujiang_officer, supervisor):
    case = submitted(donghu_officer)
    url = URL.format(case.pk)

    def post(actor, action):
        client = APIClient()
        client.force_authenticate(user=actor)
        return client.post(url, {"action": action, "note": "意见"}, format="json")

    response = post(donghu_officer, "approve")
    assert (response.status_code, response.json()["code"]) == (409, "own_submission")
    response = post(supervisor, "approve")
    assert (response.status_code, response.json()["code"]) == (409, "waiting_at_another_level")
    assert post(jiujiang_officer, "approve").status_code == 404
    response = post(nanchang_officer, "close")
    assert (response.status_code, response.json()["code"]) == (409, "not_the_accepting_level")
    response = post(nanchang_officer, "approve")
    assert response.status_code == 200 and response.json()["review_stage"] == Level.PROVINCE
    response = post(supervisor, "close")
    assert response.status_code == 200 and response.json()["status"] == S.CLOSED


# --- the bulk upsert ---------------------------------------------------------------


def upsert_status(actor, case, status):
    (result,) = upsert_cases(
        actor=actor,
        items=[{"campaign": case.campaign.code, "reference": case.reference, "status": status}],
        note="批量更新",
    )
    return result


def test_the_bulk_upsert_closes_a_county_case_waiting_at_its_city_recording_the_citys_review_from_the_ledger(
    donghu_officer, supervisor
):
    # A ledger of closed cases (tests/test_ledger_walk.py): the province records the city's review.
    case = submitted(donghu_officer)
    result = upsert_status(supervisor, case, S.CLOSED)
    assert result.outcome == "updated", result.errors
    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    city_review = Review.objects.get(case=case, level=Level.CITY)
    assert city_review.reviewer == supervisor and "据台账补录" in city_review.opinion


def test_the_bulk_upsert_does_not_let_a_city_close_a_county_case_the_province_accepts(donghu_officer, write_client):
    case = submitted(donghu_officer)
    result = upsert_status(write_client, case, S.CLOSED)
    assert result.outcome == "invalid" and "省级" in result.errors["status"][0]
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE


def test_the_bulk_upsert_lets_the_city_close_a_county_case_it_accepts(write_client, city_campaign):
    case = county_case(campaign=city_campaign)
    result = upsert_status(write_client, case, S.CLOSED)
    assert result.outcome == "updated", result.errors
    case.refresh_from_db()
    assert case.status == S.CLOSED
    assert Review.objects.get(case=case).level == Level.CITY


def test_the_bulk_upsert_does_not_let_a_county_close_its_own_case(city_campaign):
    county_system = UserFactory(username="dh_system", role="api_client", division_id=DONGHU, can_write=True)
    case = county_case(campaign=city_campaign)
    result = upsert_status(county_system, case, S.CLOSED)
    assert result.outcome == "invalid" and "市级" in result.errors["status"][0]
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS


# --- the case page -------------------------------------------------------------------


def post_move(client, case, action, **fields):
    to = {"approve": S.PENDING_ACCEPTANCE, "close": S.CLOSED, "return": S.IN_PROGRESS}[action]
    data = {"action": action, f"t-{to}-expected_version": case.version, f"t-{to}-note": "意见"}
    data.update({f"t-{to}-{name}": value for name, value in fields.items()})
    return client.post(f"/cases/{case.pk}/transition/", data)


def test_the_case_page_walks_the_same_chain(client, donghu_officer, nanchang_officer, supervisor):
    case = submitted(donghu_officer)
    client.force_login(donghu_officer)
    assert post_move(client, case, "approve").status_code == 409
    client.force_login(supervisor)
    assert post_move(client, case, "approve").status_code == 409
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="approve"' in page and 'data-action="close"' not in page
    assert post_move(client, case, "approve").status_code == 302
    case.refresh_from_db()
    assert case.review_stage == Level.PROVINCE
    client.force_login(supervisor)
    assert post_move(client, case, "close", confirm="on").status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.CLOSED


def test_the_case_page_returns_from_the_province_to_the_city(client, donghu_officer, nanchang_officer, supervisor):
    case = submitted(donghu_officer)
    transition(case=case, action="approve", actor=nanchang_officer, note="复核通过")
    client.force_login(supervisor)
    assert post_move(client, case, "return").status_code == 302
    case.refresh_from_db()
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.CITY)
