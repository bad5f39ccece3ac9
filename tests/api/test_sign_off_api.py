"""The sign-off through the API: actions on the transition endpoint
({"to": ...} still works), the chain's refusals as 409 naming the rule, and
the case's sign-off (chain, reviews, objections, the viewer's actions)."""

import pytest

from cases.constants import Status
from cases.models import Case
from cases.workflow import transition
from tests.factories import CampaignFactory, CaseFactory

pytestmark = pytest.mark.django_db
S = Status
URL = "/api/v1/cases/{}/"


def submitted(city, officer):
    case = CaseFactory(city=city, status=S.IN_PROGRESS, campaign=CampaignFactory(code="sign-off"))
    transition(case=case, action="submit", actor=officer, note="整改完成，申请验收")
    return case


def test_the_endpoint_takes_an_action_and_still_takes_to(api, nanchang_officer, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status=S.IN_PROGRESS)
    response = api(nanchang_officer).post(URL.format(case.pk) + "transition/", {"action": "submit", "note": "已整改"}, format="json")
    assert response.status_code == 200 and response.json()["review_stage"] == "province"
    response = api(supervisor).post(URL.format(case.pk) + "transition/", {"to": "closed", "note": "同意销号"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["review_stage"] is None


def test_an_unknown_action_is_a_400_naming_the_field_and_changes_nothing(api, supervisor, nanchang_case):
    response = api(supervisor).post(URL.format(nanchang_case.pk) + "transition/", {"action": "sign"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "action"
    response = api(supervisor).post(URL.format(nanchang_case.pk) + "transition/", {"note": "x"}, format="json")
    assert response.status_code == 400 and "action" in response.json()["errors"]
    assert Case.objects.get(pk=nanchang_case.pk).version == nanchang_case.version


def test_a_level_that_is_not_the_cases_gets_409_naming_the_rule(api, nanchang_officer, nanchang):
    case = submitted(nanchang, nanchang_officer)
    response = api(nanchang_officer).post(URL.format(case.pk) + "transition/", {"action": "close"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_the_accepting_level"


def test_the_sign_off_endpoint_shows_the_chain_the_reviews_and_the_viewers_actions(api, nanchang_officer, supervisor, nanchang):
    case = submitted(nanchang, nanchang_officer)
    transition(case=case, action="return", actor=supervisor, note="补充材料")
    transition(case=case, action="submit", actor=nanchang_officer, note="已补充")
    body = api(supervisor).get(URL.format(case.pk) + "sign-off/").json()
    assert body["chain"] == ["province"] and body["review_stage"] == "province"
    assert body["actions"] == ["publicize", "close", "return"]
    assert [(r["level"], r["reviewer"], r["result"], r["opinion"]) for r in body["reviews"]] == [
        ("province", supervisor.username, "returned", "补充材料")
    ]
    assert api(nanchang_officer).get(URL.format(case.pk) + "sign-off/").json()["actions"] == []


def test_the_sign_off_of_another_citys_case_is_404(api, jiujiang_officer, nanchang_case):
    assert api(jiujiang_officer).get(URL.format(nanchang_case.pk) + "sign-off/").status_code == 404
