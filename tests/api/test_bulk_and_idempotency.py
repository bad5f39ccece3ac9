"""POST /api/v1/cases/bulk/ and the Idempotency-Key header."""

import pytest
import time_machine

from cases.models import Case, CaseEvent
from tests.conftest import shanghai
from tests.factories import CampaignFactory

URL = "/api/v1/cases/bulk/"


@pytest.fixture(autouse=True)
def campaign(db):
    return CampaignFactory()


def item(reference, **extra):
    return {
        "campaign": "test-central-2",
        "reference": reference,
        "kind": "feedback_problem",
        "title": f"问题 {reference}（合成数据）",
        "city": "360100",
        "deadline_type": "dated",
        "deadline": "2024-06-30",
        **extra,
    }


def test_sending_the_same_body_twice_creates_nothing_new(api, write_client):
    client = api(write_client)
    body = {"cases": [item("A"), item("B")]}
    first = client.post(URL, body, format="json").json()
    assert first["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    second = client.post(URL, body, format="json").json()
    assert second["summary"] == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == 2


def test_each_item_reports_its_outcome_and_field_errors(api, supervisor):
    client = api(supervisor)
    client.post(URL, {"cases": [item("A")]}, format="json")
    body = client.post(
        URL, {"cases": [item("A", progress="进展"), item("B"), item("C", deadline_type="soon"), 5]}, format="json"
    ).json()
    outcomes = [(r["reference"], r["outcome"]) for r in body["results"]]
    assert outcomes == [("A", "updated"), ("B", "created"), ("C", "invalid"), (None, "invalid")]
    assert body["results"][0]["changed_fields"] == ["progress"] and body["results"][0]["version"] == 2
    assert "deadline_type" in body["results"][2]["errors"]


def test_more_than_500_items_is_a_400(api, supervisor):
    response = api(supervisor).post(URL, {"cases": [item(f"R{n}") for n in range(501)]}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "cases"
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", [{"cases": "x"}, {"cases": None}, [], {"cases": [], "dry_run": "perhaps"}])
def test_a_malformed_body_is_a_400(api, supervisor, body):
    assert api(supervisor).post(URL, body, format="json").status_code == 400


def test_a_dry_run_writes_nothing(api, supervisor):
    body = api(supervisor).post(URL, {"cases": [item("A")], "dry_run": True}, format="json").json()
    assert body["results"][0]["outcome"] == "created" and body["dry_run"] is True
    assert not Case.objects.exists()


def test_a_city_client_may_only_touch_its_city(api, write_client):
    body = api(write_client).post(URL, {"cases": [item("A", city="360400")]}, format="json").json()
    assert body["results"][0]["outcome"] == "invalid" and "city" in body["results"][0]["errors"]


@pytest.mark.parametrize("who, code", [("nanchang_officer", 403), ("readonly_client", 403)])
def test_officers_and_read_only_clients_get_403(api, request, who, code):
    response = api(request.getfixturevalue(who)).post(URL, {"cases": [item("A")]}, format="json")
    assert response.status_code == code
    assert not Case.objects.exists()


def test_the_same_key_and_body_replays_the_first_response(api, supervisor):
    client = api(supervisor)
    body = {"cases": [item("A", progress="一")]}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    Case.objects.update(progress="changed meanwhile")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Case.objects.get().progress == "changed meanwhile"


def test_the_same_key_with_another_body_is_422(api, supervisor):
    client = api(supervisor)
    client.post(URL, {"cases": [item("A")]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = client.post(URL, {"cases": [item("B")]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert not Case.objects.filter(reference="B").exists()


def test_keys_are_scoped_per_user(api, supervisor, province_client):
    api(supervisor).post(URL, {"cases": [item("A")]}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = api(province_client).post(URL, {"cases": [item("B")]}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 200 and response.json()["summary"]["created"] == 1


def test_a_transition_retried_with_its_key_happens_once(api, supervisor, nanchang_case):
    client = api(supervisor)
    url = f"/api/v1/cases/{nanchang_case.pk}/transition/"
    body = {"to": "pending_acceptance", "note": "提交"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == again.status_code == 200
    assert again["ETag"] == first["ETag"] == '"2"'
    assert nanchang_case.events.count() == 1


def test_a_key_is_forgotten_after_a_day(api, supervisor):
    client = api(supervisor)
    with time_machine.travel(shanghai(2024, 3, 1, 9, 0), tick=False):
        client.post(URL, {"cases": [item("A")]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    with time_machine.travel(shanghai(2024, 3, 2, 10, 0), tick=False):
        response = client.post(URL, {"cases": [item("B")]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 200 and response.json()["summary"]["created"] == 1


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over(api, supervisor):
    from api.models import IdempotencyKey

    body = {"cases": [item("A")]}
    client = api(supervisor)
    with time_machine.travel(shanghai(2024, 3, 1, 9, 0), tick=False):
        IdempotencyKey.objects.create(user=supervisor, key="k-1", request_hash="whatever")
        assert client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 422
    with time_machine.travel(shanghai(2024, 3, 1, 9, 30), tick=False):
        response = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 200 and response.json()["summary"]["created"] == 1
