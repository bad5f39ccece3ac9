"""Milestones (阶段性目标) in the bulk upsert: an item carries the case's
yearly targets as a list of {due_on, target, met_on}; the list replaces the
case's, its earliest unmet date is the case's deadline (so a missed target
is overdue), and a bad list refuses the item naming ``milestones`` with
nothing written."""

import datetime

import pytest
import time_machine

from cases.milestones import add_milestone
from cases.models import Case, CaseEvent, Milestone
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory

URL = "/api/v1/cases/bulk/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel(shanghai(2026, 3, 15, 9, 0), tick=False):
        yield


@pytest.fixture(autouse=True)
def campaign(db):
    return CampaignFactory()


def item(reference, **extra):
    return {
        "campaign": "test-central-2",
        "reference": reference,
        "kind": "feedback_problem",
        "title": f"长期问题 {reference}（合成数据）",
        "city": "360100",
        "deadline_type": "long_term",
        **extra,
    }


TARGETS = [
    {"due_on": "2025-12-31", "target": "完成一期整治（合成）", "met_on": "2025-12-20"},
    {"due_on": "2026-12-31", "target": "完成二期整治（合成）"},
]


def test_a_new_long_term_case_gets_its_targets_and_the_next_one_as_deadline(api, supervisor):
    client = api(supervisor)
    body = client.post(URL, {"cases": [item("L1", milestones=TARGETS)]}, format="json").json()
    [result] = body["results"]
    assert result["outcome"] == "created", result
    assert "milestones" in result["changed_fields"]
    case = client.get(f"/api/v1/cases/{result['id']}/").json()
    assert case["deadline"] == "2026-12-31" and case["is_overdue"] is False
    assert [(m["due_on"], m["target"], m["met_on"]) for m in case["milestones"]] == [
        ("2025-12-31", "完成一期整治（合成）", "2025-12-20"),
        ("2026-12-31", "完成二期整治（合成）", None),
    ]
    assert Milestone.objects.get(met_on__isnull=False).met_by == supervisor
    # The same list again changes nothing.
    again = client.post(URL, {"cases": [item("L1", milestones=TARGETS)]}, format="json").json()
    assert again["summary"]["unchanged"] == 1 and Milestone.objects.count() == 2


def test_a_missed_target_in_the_list_makes_the_case_overdue(api, supervisor):
    client = api(supervisor)
    missed = [{"due_on": "2025-12-31", "target": "完成一期整治（合成）"}]
    [result] = client.post(URL, {"cases": [item("L2", milestones=missed)]}, format="json").json()["results"]
    case = client.get(f"/api/v1/cases/{result['id']}/").json()
    assert (case["deadline"], case["is_overdue"], case["days_overdue"]) == ("2025-12-31", True, 74)
    assert [c["id"] for c in client.get("/api/v1/overdue/").json()["results"]] == [result["id"]]


def test_the_list_replaces_the_cases_targets_with_one_event(api, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    kept = add_milestone(case=case, actor=supervisor, due_on="2025-12-31", target="一期（合成）")
    dropped = add_milestone(case=case, actor=supervisor, due_on="2026-06-30", target="删去的目标（合成）")
    version = Case.objects.get(pk=case.pk).version
    given = [
        {"due_on": "2025-12-31", "target": "一期（合成）", "met_on": "2026-01-10"},
        {"due_on": "2027-12-31", "target": "三期（合成）"},
    ]
    body = api(supervisor).post(
        URL, {"cases": [{"campaign": case.campaign.code, "reference": case.reference, "milestones": given}]}, format="json"
    ).json()
    [result] = body["results"]
    assert result["outcome"] == "updated" and result["changed_fields"] == ["deadline", "milestones"]
    assert result["version"] == version + 1
    rows = list(Milestone.objects.filter(case=case).values_list("id", "due_on", "met_on"))
    assert rows[0] == (kept.pk, datetime.date(2025, 12, 31), datetime.date(2026, 1, 10))  # the same target, now met
    assert [r[1] for r in rows] == [datetime.date(2025, 12, 31), datetime.date(2027, 12, 31)]
    case.refresh_from_db()
    assert case.deadline == datetime.date(2027, 12, 31)
    event = CaseEvent.objects.filter(case=case).latest("version")
    before, after = event.changes["milestones"]
    assert [m["target"] for m in before] == ["一期（合成）", "删去的目标（合成）"]
    assert [m["target"] for m in after] == ["一期（合成）", "三期（合成）"]
    assert event.changes["deadline"] == ["2025-12-31", "2027-12-31"]
    # The target no longer listed is kept, marked removed, and nothing reads it.
    row = Milestone.all_objects.get(pk=dropped.pk)
    assert row.removed_at == event.created_at and row.removed_by == supervisor
    detail = api(supervisor).get(f"/api/v1/cases/{case.pk}/").json()
    assert [m["target"] for m in detail["milestones"]] == ["一期（合成）", "三期（合成）"]
    assert detail["deadline"] == "2027-12-31"


def test_a_target_removed_by_the_list_and_listed_again_is_a_new_one(api, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    key = {"campaign": case.campaign.code, "reference": case.reference}
    missed = [{"due_on": "2025-12-31", "target": "一期（合成）"}]
    client = api(supervisor)
    client.post(URL, {"cases": [key | {"milestones": missed}]}, format="json")
    first = Milestone.objects.get(case=case)
    assert [c["id"] for c in client.get("/api/v1/overdue/").json()["results"]] == [case.pk]

    [emptied] = client.post(URL, {"cases": [key | {"milestones": []}]}, format="json").json()["results"]

    assert emptied["outcome"] == "updated"
    assert not Milestone.objects.filter(case=case).exists()
    assert Milestone.all_objects.get(pk=first.pk).removed_at is not None
    assert Case.objects.get(pk=case.pk).deadline is None
    assert client.get("/api/v1/overdue/").json()["results"] == []
    # The same list once more changes nothing (the removed one does not count) ...
    [same] = client.post(URL, {"cases": [key | {"milestones": []}]}, format="json").json()["results"]
    assert same["outcome"] == "unchanged"
    # ... and listing the target again adds a new one, the removed row untouched.
    [again] = client.post(URL, {"cases": [key | {"milestones": missed}]}, format="json").json()["results"]
    assert again["outcome"] == "updated"
    [live] = Milestone.objects.filter(case=case)
    assert live.pk != first.pk and Milestone.all_objects.filter(case=case).count() == 2
    assert Case.objects.get(pk=case.pk).deadline == datetime.date(2025, 12, 31)


@pytest.mark.parametrize(
    "milestones, says",
    [
        ("2025-12-31 完成", "对象列表"),
        ([{"due_on": "2025-13-01", "target": "目标"}], "第1个阶段性目标：due_on"),
        ([{"due_on": "2025-12-31", "target": ""}], "第1个阶段性目标：target"),
        ([{"due_on": "2025-12-31", "target": "目标", "met_on": "2026-04-01"}], "第1个阶段性目标：met_on"),
        ([{"due_on": "2025-12-31", "target": "目标"}, {"due_on": "2025-12-31", "target": "目标"}], "第2个"),
        ([{"due_on": "2025-12-31", "target": "目标", "owner": "x"}], "owner"),
    ],
)
def test_a_bad_list_refuses_the_item_naming_milestones_and_writes_nothing(api, supervisor, milestones, says):
    body = api(supervisor).post(URL, {"cases": [item("L3", milestones=milestones)]}, format="json").json()
    [result] = body["results"]
    assert result["outcome"] == "invalid" and list(result["errors"]) == ["milestones"]
    assert says in result["errors"]["milestones"][0]
    assert not Case.objects.exists() and not Milestone.objects.exists()


def test_the_refusal_is_in_english_for_an_english_client(api, supervisor):
    bad = [{"due_on": "2025-12-31", "target": "目标", "met_on": "2026-04-01"}]
    body = api(supervisor).post(URL, {"cases": [item("L5", milestones=bad)]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert body.json()["results"][0]["errors"]["milestones"] == [
        "Milestone 1: met_on: A target cannot be met on a day still to come."
    ]


def test_a_case_that_is_not_long_term_is_refused_naming_milestones(api, supervisor):
    dated = item("L4", deadline_type="dated", deadline="2026-06-30", milestones=TARGETS)
    [result] = api(supervisor).post(URL, {"cases": [dated]}, format="json").json()["results"]
    assert result["outcome"] == "invalid" and list(result["errors"]) == ["milestones"]
    # An empty list on such a case says there are none: nothing to refuse.
    [fine] = api(supervisor).post(URL, {"cases": [dated | {"milestones": []}]}, format="json").json()["results"]
    assert fine["outcome"] == "created"


def test_a_city_system_may_set_the_targets_while_it_holds_the_case_not_after(api, write_client, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    key = {"campaign": case.campaign.code, "reference": case.reference}
    [held] = api(write_client).post(URL, {"cases": [key | {"milestones": TARGETS}]}, format="json").json()["results"]
    assert held["outcome"] == "updated"
    Case.objects.filter(pk=case.pk).update(status="pending_acceptance", review_stage="province")
    later = [{"due_on": "2027-12-31", "target": "三期（合成）"}]
    [refused] = api(write_client).post(URL, {"cases": [key | {"milestones": later}]}, format="json").json()["results"]
    assert refused["outcome"] == "invalid" and list(refused["errors"]) == ["milestones"]
    assert Milestone.objects.filter(case=case).count() == 2
    assert not Milestone.all_objects.filter(case=case, removed_at__isnull=False).exists()


def test_another_citys_system_cannot_touch_the_targets(api, nanchang):
    from tests.factories import UserFactory

    jiujiang_system = UserFactory(username="jj_writer", role="api_client", city_id="360400", can_write=True)
    case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    key = {"campaign": case.campaign.code, "reference": case.reference}
    [refused] = api(jiujiang_system).post(URL, {"cases": [key | {"milestones": TARGETS}]}, format="json").json()["results"]
    assert refused["outcome"] == "invalid" and not Milestone.objects.exists()
