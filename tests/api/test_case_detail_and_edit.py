"""GET with ETag / If-None-Match; PATCH with If-Match (428, 412, new ETag)."""

import pytest

from cases.models import Case

URL = "/api/v1/cases/{}/"


def test_the_etag_is_the_version_and_if_none_match_gives_304(api, nanchang_officer, nanchang_case):
    client = api(nanchang_officer)
    response = client.get(URL.format(nanchang_case.pk))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1
    assert client.get(URL.format(nanchang_case.pk), HTTP_IF_NONE_MATCH='"1"').status_code == 304
    assert client.get(URL.format(nanchang_case.pk), HTTP_IF_NONE_MATCH='"0"').status_code == 200


def test_another_citys_case_is_a_404(api, nanchang_officer, jiujiang_case):
    response = api(nanchang_officer).get(URL.format(jiujiang_case.pk))
    assert response.status_code == 404


def test_a_patch_without_if_match_is_428_and_changes_nothing(api, nanchang_officer, nanchang_case):
    response = api(nanchang_officer).patch(URL.format(nanchang_case.pk), {"progress": "x"}, format="json")
    assert response.status_code == 428
    assert Case.objects.get(pk=nanchang_case.pk).progress == ""


def test_a_patch_with_the_current_etag_applies_and_returns_the_new_one(api, nanchang_officer, nanchang_case):
    response = api(nanchang_officer).patch(
        URL.format(nanchang_case.pk), {"progress": "已完成清淤", "note": "周报"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert response.json()["progress"] == "已完成清淤"
    event = nanchang_case.events.get(version=2)
    assert event.note == "周报" and event.changes == {"progress": ["", "已完成清淤"]}


def test_a_stale_if_match_is_412_and_changes_nothing(api, nanchang_officer, nanchang_case):
    client = api(nanchang_officer)
    client.patch(URL.format(nanchang_case.pk), {"progress": "a"}, format="json", HTTP_IF_MATCH='"1"')
    response = client.patch(URL.format(nanchang_case.pk), {"progress": "b"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert Case.objects.get(pk=nanchang_case.pk).progress == "a"


def test_status_cannot_be_patched(api, supervisor, nanchang_case):
    response = api(supervisor).patch(URL.format(nanchang_case.pk), {"status": "closed"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400 and response.json()["field"] == "status"
    assert Case.objects.get(pk=nanchang_case.pk).status == "in_progress"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"penalty_cases": "many"}, "penalty_cases"),
        ({"pollution_types": ["smog"]}, "pollution_types"),
        ({"password": "x"}, "password"),
        ({"fines_yuan": -1}, "fines_yuan"),
    ],
)
def test_bad_values_are_400_naming_the_field(api, nanchang_officer, nanchang_case, body, field):
    response = api(nanchang_officer).patch(URL.format(nanchang_case.pk), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_officer_may_not_rescope_a_case(api, nanchang_officer, nanchang_case):
    response = api(nanchang_officer).patch(URL.format(nanchang_case.pk), {"city": "360400"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert Case.objects.get(pk=nanchang_case.pk).city_id == "360100"


def test_a_read_only_client_gets_403(api, readonly_client, nanchang_case):
    response = api(readonly_client).patch(URL.format(nanchang_case.pk), {"progress": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 403


def test_errors_speak_the_callers_language(api, nanchang_officer, nanchang_case):
    client = api(nanchang_officer)
    url = URL.format(nanchang_case.pk)
    chinese = client.patch(url, {"progress": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["detail"]
    english = client.patch(url, {"progress": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "ETag" in chinese and "请" in chinese
    assert english.startswith("Send If-Match")
