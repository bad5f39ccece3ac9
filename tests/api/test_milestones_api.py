"""The milestone endpoints: POST /api/v1/cases/{id}/milestones/ and PATCH
/api/v1/cases/{id}/milestones/{mid}/. Each answers the case, whose
deadline is the date of its earliest unmet target; the case JSON lists the
milestones in the detail and in the change feed."""

import datetime

import pytest
import time_machine

from cases.models import Case, Milestone
from tests.api.test_change_feed import follow
from tests.conftest import shanghai
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel(shanghai(2026, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture
def long_term(nanchang):
    return CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)


def url(case, milestone=None):
    return f"/api/v1/cases/{case.pk}/milestones/" + (f"{milestone}/" if milestone else "")


def test_adding_a_missed_target_makes_the_case_overdue(api, nanchang_officer, long_term):
    client = api(nanchang_officer)
    answer = client.post(url(long_term), {"due_on": "2025-12-31", "target": "完成整治（合成）"}, format="json")
    assert answer.status_code == 201, answer.json()
    case = answer.json()
    assert answer["ETag"] == '"2"'
    assert (case["deadline"], case["is_overdue"], case["days_overdue"]) == ("2025-12-31", True, 74)
    [milestone] = case["milestones"]
    assert milestone == {"id": milestone["id"], "due_on": "2025-12-31", "target": "完成整治（合成）", "met_on": None}
    assert client.get("/api/v1/overdue/").json()["results"][0]["id"] == long_term.pk


def test_marking_it_met_moves_the_deadline_to_the_next_target(api, supervisor, long_term):
    client = api(supervisor)
    first = client.post(url(long_term), {"due_on": "2025-12-31", "target": "一期（合成）"}, format="json").json()
    client.post(url(long_term), {"due_on": "2026-12-31", "target": "二期（合成）"}, format="json")
    mid = first["milestones"][0]["id"]
    answer = client.patch(url(long_term, mid), {"met_on": "2025-12-28"}, format="json", HTTP_IF_MATCH='"3"')
    assert answer.status_code == 200, answer.json()
    case = answer.json()
    assert (case["deadline"], case["is_overdue"], case["version"]) == ("2026-12-31", False, 4)
    assert [m["met_on"] for m in case["milestones"]] == ["2025-12-28", None]
    unmarked = client.patch(url(long_term, mid), {"met_on": None}, format="json").json()
    assert unmarked["deadline"] == "2025-12-31"
    assert client.get(f"/api/v1/cases/{long_term.pk}/").json()["milestones"] == unmarked["milestones"]


def test_a_stale_if_match_is_412_and_changes_nothing(api, supervisor, long_term):
    answer = api(supervisor).post(
        url(long_term), {"due_on": "2025-12-31", "target": "目标（合成）"}, format="json", HTTP_IF_MATCH='"7"'
    )
    assert answer.status_code == 412
    assert not Milestone.objects.exists()


def test_another_citys_case_is_not_found(api, jiujiang_officer, long_term):
    client = api(jiujiang_officer)
    assert client.post(url(long_term), {"due_on": "2025-12-31", "target": "目标"}, format="json").status_code == 404
    milestone = Milestone.objects.create(case=long_term, due_on=datetime.date(2025, 12, 31), target="目标（合成）")
    assert client.patch(url(long_term, milestone.pk), {"met_on": "2026-01-05"}, format="json").status_code == 404
    assert Milestone.objects.get().met_on is None


def test_a_read_only_client_is_refused(api, readonly_client, long_term):
    answer = api(readonly_client).post(url(long_term), {"due_on": "2025-12-31", "target": "目标"}, format="json")
    assert answer.status_code == 403
    assert not Milestone.objects.exists()


def test_an_unknown_milestone_is_not_found(api, supervisor, long_term):
    assert api(supervisor).patch(url(long_term, 999999), {"met_on": None}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body,field",
    [
        ({"target": "目标"}, "due_on"),
        ({"due_on": "2025-12-31"}, "target"),
        ({"due_on": "2025-13-01", "target": "目标"}, "due_on"),
        ({"due_on": "2025-12-31", "target": "目标", "met_on": "2099-01-01"}, "met_on"),
        ({"due_on": "2025-12-31", "target": "目标", "colour": "red"}, "colour"),
        ({"due_on": "2025-12-31", "target": ["目标"]}, "target"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, supervisor, long_term, body, field):
    answer = api(supervisor).post(url(long_term), body, format="json")
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not Milestone.objects.exists()


def test_a_case_that_is_not_long_term_gets_a_400_naming_the_deadline_type(api, supervisor, nanchang_case):
    answer = api(supervisor).post(url(nanchang_case), {"due_on": "2025-12-31", "target": "目标"}, format="json")
    assert (answer.status_code, answer.json()["field"]) == (400, "deadline_type")


def test_the_deadline_of_a_long_term_case_cannot_be_set_by_an_edit(api, supervisor, long_term):
    client = api(supervisor)
    client.post(url(long_term), {"due_on": "2025-12-31", "target": "目标（合成）"}, format="json")
    answer = client.patch(f"/api/v1/cases/{long_term.pk}/", {"deadline": "2030-01-01"}, format="json", HTTP_IF_MATCH='"2"')
    assert answer.status_code == 400
    assert answer.json()["field"] == "deadline" and "阶段性目标" in answer.json()["detail"]
    assert Case.objects.get(pk=long_term.pk).deadline == datetime.date(2025, 12, 31)


def test_the_schema_documents_both_operations_and_the_field(api, supervisor):
    schema = api(supervisor).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/cases/{id}/milestones/"]["post"]
    patch = schema["paths"]["/api/v1/cases/{id}/milestones/{mid}/"]["patch"]
    for operation, ok in ((post, "201"), (patch, "200")):
        assert {ok, "400", "403", "404", "409", "412"} <= set(operation["responses"])
    detail = schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert "milestones" in detail and "阶段性目标" in detail["deadline"]["description"]


@pytest.mark.django_db(transaction=True)
def test_the_feed_carries_the_milestones_as_the_detail_does(api, supervisor, long_term):
    client = api(supervisor)
    client.post(url(long_term), {"due_on": "2025-12-31", "target": '引号 "一期"（合成）'}, format="json")
    client.post(url(long_term), {"due_on": "2024-12-31", "target": "零期（合成）", "met_on": "2024-12-01"}, format="json")
    items, _cursor = follow(client, expect=1)
    detail = client.get(f"/api/v1/cases/{long_term.pk}/").json()
    assert items[0]["case"] == detail
    assert [m["due_on"] for m in detail["milestones"]] == ["2024-12-31", "2025-12-31"]


def test_a_retried_post_with_its_idempotency_key_adds_one_milestone(api, supervisor, long_term):
    client = api(supervisor)
    body = {"due_on": "2025-12-31", "target": "目标（合成）"}
    first = client.post(url(long_term), body, format="json", HTTP_IDEMPOTENCY_KEY="ms-1")
    again = client.post(url(long_term), body, format="json", HTTP_IDEMPOTENCY_KEY="ms-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["milestones"] == first.json()["milestones"]
    assert Milestone.objects.count() == 1 and Case.objects.get(pk=long_term.pk).version == 2


def test_deleting_a_target_moves_the_deadline_and_is_in_the_timeline(api, nanchang_officer, long_term):
    client = api(nanchang_officer)
    client.post(url(long_term), {"due_on": "2025-12-31", "target": "错填（合成）"}, format="json")
    case = client.post(url(long_term), {"due_on": "2026-12-31", "target": "二期（合成）"}, format="json").json()
    wrong = case["milestones"][0]["id"]

    answer = client.delete(url(long_term, wrong), HTTP_IF_MATCH='"3"')

    assert answer.status_code == 200, answer.json()
    case = answer.json()
    assert answer["ETag"] == '"4"'
    assert (case["deadline"], case["is_overdue"]) == ("2026-12-31", False)
    assert [m["target"] for m in case["milestones"]] == ["二期（合成）"]
    [event] = [e for e in client.get(f"/api/v1/cases/{long_term.pk}/events/").json()["results"] if e["version"] == 4]
    assert event["changes"]["milestone"][0]["target"] == "错填（合成）" and event["changes"]["milestone"][1] is None
    assert event["changes"]["deadline"] == ["2025-12-31", "2026-12-31"]
    assert client.delete(url(long_term, wrong)).status_code == 404
    assert client.patch(url(long_term, wrong), {"met_on": "2026-03-01"}, format="json").status_code == 404


def test_a_deleted_target_keeps_its_row_but_no_reader_of_the_api_sees_it(api, nanchang_officer, long_term):
    client = api(nanchang_officer)
    client.post(url(long_term), {"due_on": "2025-12-31", "target": "错填（合成）"}, format="json")
    case = client.post(url(long_term), {"due_on": "2026-12-31", "target": "二期（合成）"}, format="json").json()
    wrong = case["milestones"][0]["id"]
    assert [c["id"] for c in client.get("/api/v1/overdue/").json()["results"]] == [long_term.pk]

    assert client.delete(url(long_term, wrong), HTTP_IF_MATCH='"3"').status_code == 200

    row = Milestone.all_objects.get(pk=wrong)
    assert row.removed_at is not None and row.removed_by == nanchang_officer and row.target == "错填（合成）"
    detail = client.get(f"/api/v1/cases/{long_term.pk}/").json()
    assert [m["target"] for m in detail["milestones"]] == ["二期（合成）"] and detail["deadline"] == "2026-12-31"
    listed = client.get("/api/v1/cases/", {"ordering": "deadline"}).json()["results"]
    assert [c["deadline"] for c in listed if c["id"] == long_term.pk] == ["2026-12-31"]
    assert client.get("/api/v1/overdue/").json()["results"] == []


@pytest.mark.django_db(transaction=True)
def test_the_feed_leaves_out_a_deleted_target(api, supervisor, long_term):
    client = api(supervisor)
    client.post(url(long_term), {"due_on": "2025-12-31", "target": "错填（合成）"}, format="json")
    case = client.post(url(long_term), {"due_on": "2026-12-31", "target": "二期（合成）"}, format="json").json()
    assert client.delete(url(long_term, case["milestones"][0]["id"]), HTTP_IF_MATCH='"3"').status_code == 200
    items, _cursor = follow(client, expect=1)
    [fed] = [item["case"] for item in items if item["case"]["id"] == long_term.pk]
    assert [m["target"] for m in fed["milestones"]] == ["二期（合成）"]
    assert fed == client.get(f"/api/v1/cases/{long_term.pk}/").json()


def test_a_stale_delete_is_412_and_keeps_the_target(api, supervisor, long_term):
    milestone = Milestone.objects.create(case=long_term, due_on=datetime.date(2025, 12, 31), target="目标（合成）")
    assert api(supervisor).delete(url(long_term, milestone.pk), HTTP_IF_MATCH='"7"').status_code == 412
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    assert Milestone.all_objects.get(pk=milestone.pk).removed_at is None


def test_deleting_is_for_who_may_set_targets_only(api, supervisor, readonly_client, jiujiang_officer, nanchang_officer, long_term):
    milestone = Milestone.objects.create(case=long_term, due_on=datetime.date(2025, 12, 31), target="目标（合成）")
    assert api(readonly_client).delete(url(long_term, milestone.pk)).status_code == 403
    assert api(jiujiang_officer).delete(url(long_term, milestone.pk)).status_code == 404
    Case.objects.filter(pk=long_term.pk).update(status="pending_acceptance", review_stage="province")
    assert api(nanchang_officer).delete(url(long_term, milestone.pk)).status_code == 403
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    assert Milestone.all_objects.get(pk=milestone.pk).removed_at is None
    assert api(supervisor).delete(url(long_term, milestone.pk)).status_code == 200
    assert not Milestone.objects.exists()
    assert Milestone.all_objects.get(pk=milestone.pk).removed_by == supervisor  # kept, marked removed


def test_the_schema_documents_the_delete(api, supervisor):
    schema = api(supervisor).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    delete = schema["paths"]["/api/v1/cases/{id}/milestones/{mid}/"]["delete"]
    assert delete["operationId"] == "case_milestones_destroy"
    assert {"200", "400", "403", "404", "409", "412"} <= set(delete["responses"])
    assert any(p["name"] == "If-Match" for p in delete["parameters"])
