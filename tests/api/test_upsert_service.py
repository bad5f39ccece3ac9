"""cases.upsert.upsert_cases: idempotent by (campaign, reference), per-item
outcomes, status walks through the workflow, city boundary."""

import pytest

from cases.errors import RoleNotAllowed
from cases.models import Case, CaseEvent
from cases.upsert import status_path, upsert_cases
from tests.factories import CampaignFactory, CaseFactory


def item(reference="B-1", **extra):
    data = {
        "campaign": "test-central-2",
        "reference": reference,
        "kind": "feedback_problem",
        "title": f"批量问题 {reference}（合成数据）",
        "city": "360100",
        "deadline_type": "dated",
        "deadline": "2024-06-30",
    }
    data.update(extra)
    return data


@pytest.fixture(autouse=True)
def campaign(db):
    return CampaignFactory()


def test_it_creates_then_reports_unchanged_without_new_events(supervisor):
    first = upsert_cases(actor=supervisor, items=[item("B-1"), item("B-2")])
    assert [r.outcome for r in first] == ["created", "created"]
    events = CaseEvent.objects.count()
    again = upsert_cases(actor=supervisor, items=[item("B-1"), item("B-2")])
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]
    assert [r.version for r in again] == [1, 1]
    assert CaseEvent.objects.count() == events == 2


def test_it_updates_only_changed_fields_and_bumps_the_version(supervisor):
    upsert_cases(actor=supervisor, items=[item("B-1")])
    [result] = upsert_cases(actor=supervisor, items=[item("B-1", progress="已完成一半", title="新标题")])
    assert result.outcome == "updated"
    assert result.changed_fields == ["progress", "title"]
    case = Case.objects.get(reference="B-1")
    assert (case.version, case.progress, case.title) == (2, "已完成一半", "新标题")
    event = case.events.get(version=2)
    assert event.changes["progress"] == ["", "已完成一半"]


def test_valid_items_are_applied_when_others_are_invalid(supervisor):
    results = upsert_cases(
        actor=supervisor,
        items=[item("B-1"), item("B-2", kind="nonsense", deadline="2024-13-01"), "not an object", item("B-1")],
    )
    assert [r.outcome for r in results] == ["created", "invalid", "invalid", "invalid"]
    assert set(results[1].errors) == {"kind", "deadline"}
    assert "reference" in results[3].errors
    assert Case.objects.count() == 1


def test_a_dry_run_reports_and_writes_nothing(supervisor):
    results = upsert_cases(actor=supervisor, items=[item("B-1")], dry_run=True)
    assert results[0].outcome == "created" and results[0].id is None
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_a_status_several_steps_away_is_walked_through_the_workflow(supervisor):
    [result] = upsert_cases(actor=supervisor, items=[item("B-1", status="closed", note="验收通过")])
    assert result.outcome == "created"
    case = Case.objects.get(reference="B-1")
    assert case.status == "closed"
    assert list(case.events.values_list("to_status", flat=True)) == [
        "assigned", "in_progress", "pending_acceptance", "closed"
    ]
    assert result.version == case.version == 4


def test_a_refused_walk_is_a_per_item_error_and_writes_nothing_for_it(write_client):
    results = upsert_cases(actor=write_client, items=[item("B-1", status="closed", note="x"), item("B-2")])
    assert results[0].outcome == "invalid" and "status" in results[0].errors
    assert results[1].outcome == "created"
    assert list(Case.objects.values_list("reference", flat=True)) == ["B-2"]


def test_status_path_follows_the_table():
    assert status_path("assigned", "closed") == ["in_progress", "pending_acceptance", "closed"]
    assert status_path("closed", "pending_acceptance") == ["in_progress", "pending_acceptance"]
    assert status_path("assigned", "assigned") == []


def test_a_city_client_touches_only_its_own_city(write_client, jiujiang):
    CaseFactory(reference="JJ-1", city=jiujiang)
    results = upsert_cases(
        actor=write_client, items=[item("B-1", city="360400"), item("JJ-1", city="360400"), item("B-2")]
    )
    assert [r.outcome for r in results] == ["invalid", "invalid", "created"]
    assert "city" in results[0].errors and "reference" in results[1].errors


@pytest.mark.parametrize("who", ["nanchang_officer", "readonly_client"])
def test_officers_and_read_only_clients_may_not_upsert(who, request):
    with pytest.raises(RoleNotAllowed):
        upsert_cases(actor=request.getfixturevalue(who), items=[item()])
    assert not Case.objects.exists()


def test_a_stale_version_in_an_item_is_refused(supervisor):
    upsert_cases(actor=supervisor, items=[item("B-1")])
    [result] = upsert_cases(actor=supervisor, items=[item("B-1", version=7, progress="x")])
    assert result.outcome == "invalid" and "version" in result.errors


@pytest.mark.postgres  # SQLite caps parameters per statement, so its batches are small
def test_the_reads_are_batched(supervisor, django_assert_max_num_queries):
    upsert_cases(actor=supervisor, items=[item(f"B-{n}") for n in range(5)])
    items = [item(f"B-{n}", progress="更新") for n in range(200)]
    with django_assert_max_num_queries(12):
        results = upsert_cases(actor=supervisor, items=items)
    assert {r.outcome for r in results} == {"created", "updated"}
