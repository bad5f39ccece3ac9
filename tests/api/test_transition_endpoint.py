"""POST /cases/{id}/transition/: the workflow's answers as HTTP statuses."""

from cases.models import Case
from tests.factories import CaseFactory, PetitionFactory

URL = "/api/v1/cases/{}/transition/"


def test_an_allowed_move_returns_the_case_with_its_new_etag(api, nanchang_officer, nanchang_case):
    response = api(nanchang_officer).post(URL.format(nanchang_case.pk), {"to": "pending_acceptance", "note": "已整改"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "pending_acceptance"
    assert response["ETag"] == '"2"'


def test_a_move_the_table_lacks_is_409_saying_which(api, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="assigned")
    response = api(supervisor).post(URL.format(case.pk), {"to": "closed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert Case.objects.get(pk=case.pk).status == "assigned"


def test_an_officer_may_not_accept_what_the_province_accepts_409_naming_the_rule(api, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    response = api(nanchang_officer).post(URL.format(case.pk), {"to": "closed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_the_accepting_level"


def test_another_citys_case_is_404(api, nanchang_officer, jiujiang_case):
    response = api(nanchang_officer).post(URL.format(jiujiang_case.pk), {"to": "pending_acceptance", "note": "x"}, format="json")
    assert response.status_code == 404


def test_a_missing_note_or_petition_facts_are_400_by_field(api, nanchang_officer, nanchang, nanchang_case):
    client = api(nanchang_officer)
    response = client.post(URL.format(nanchang_case.pk), {"to": "pending_acceptance"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"
    petition = PetitionFactory(city=nanchang, status="in_progress")
    response = client.post(URL.format(petition.pk), {"to": "pending_acceptance", "note": "办结"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "veracity"
    response = client.post(
        URL.format(petition.pk),
        {"to": "pending_acceptance", "note": "办结", "veracity": "partly_true", "handling": "已责令整改"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["veracity"] == "partly_true"


def test_bad_input_is_400_not_500(api, supervisor, nanchang_case):
    client = api(supervisor)
    for body in ({"to": "nowhere"}, {"to": 3}, {}, [], {"to": "in_progress", "note": {"a": 1}}):
        response = client.post(URL.format(nanchang_case.pk), body, format="json")
        assert response.status_code == 400, body
    response = client.post(URL.format(nanchang_case.pk), b"{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(URL.format(nanchang_case.pk), "{\"to\": \"\xff\"}".encode("latin-1"), content_type="application/json")
    assert response.status_code == 400


def test_if_match_is_honoured_when_sent(api, supervisor, nanchang, nanchang_case):
    client = api(supervisor)
    response = client.post(URL.format(nanchang_case.pk), {"to": "pending_acceptance", "note": "x"}, format="json", HTTP_IF_MATCH='"5"')
    assert response.status_code == 412
    assert Case.objects.get(pk=nanchang_case.pk).status == "in_progress"
