"""A bulk upsert that moves cases several statuses at once writes, for the
whole batch in a few statements, exactly the rows a step-by-step walk
through ``workflow.transition`` would leave: same final state, same events
with the same versions. Every step is checked as ``transition`` checks it,
and a refused step refuses only its own item."""

import threading

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.constants import EventAction
from cases.constants import Status as S
from cases.errors import TransitionNotAllowed
from cases.models import Case, CaseEvent
from cases.upsert import upsert_cases
from cases.workflow import transition
from tests.conftest import shanghai
from tests.factories import CampaignFactory, PetitionFactory, UserFactory

NOTE = "按批次办结（合成数据）"
EVENT_FIELDS = ("action", "from_status", "to_status", "version", "actor_id", "note", "created_at", "changes")
STATE_FIELDS = ("status", "version", "closed_at", "reopened_count", "updated_at", "veracity", "handling")


@pytest.fixture(autouse=True)
def campaign(db):
    return CampaignFactory()


@pytest.fixture(autouse=True)
def pinned_time():
    with time_machine.travel(shanghai(2024, 5, 20, 10, 0), tick=False):
        yield


def petition(number: int, **extra) -> dict:
    data = {
        "campaign": "test-central-2",
        "reference": f"X2JX2024{number:06d}",
        "acceptance_number": f"X2JX2024{number:06d}",
        "kind": "petition",
        "title": f"反映某合成企业排污扰民（合成数据 {number}）",
        "city": "360100",
        "deadline_type": "immediate",
        "pollution_types": ["air"],
        "veracity": "mostly_true",
        "handling": "已责令整改并复查（合成数据）。",
    }
    data.update(extra)
    return data


def history(case_id: int) -> list[tuple]:
    """The case's events; a creation's recorded fields are left out, as
    they name the case itself."""
    events = CaseEvent.objects.filter(case_id=case_id).order_by("version").values_list(*EVENT_FIELDS)
    return [event[:-1] + (None if event[0] == EventAction.CREATED else event[-1],) for event in events]


def state(case_id: int) -> tuple:
    return Case.objects.filter(pk=case_id).values_list(*STATE_FIELDS).get()


def walk_step_by_step(case: Case, path: list[str], *, actor, note: str) -> None:
    for to in path:
        case = transition(case=case, to=to, actor=actor, note=note, expected_version=case.version)


def test_new_closed_petitions_get_the_events_of_a_step_by_step_walk(supervisor):
    # The reference: created open, then walked through the workflow one move at a time.
    [created] = upsert_cases(actor=supervisor, items=[petition(0)], note=NOTE)
    walk_step_by_step(Case.objects.get(pk=created.id), [S.IN_PROGRESS, S.PENDING_ACCEPTANCE, S.CLOSED], actor=supervisor, note=NOTE)
    expected_events, expected_state = history(created.id), state(created.id)

    results = upsert_cases(actor=supervisor, items=[petition(n, status="closed") for n in range(1, 4)], note=NOTE)

    assert [(r.outcome, r.version, r.changed_fields[-1]) for r in results] == [("created", 4, "status")] * 3
    for result in results:
        assert history(result.id) == expected_events
        assert state(result.id) == expected_state
    assert [(e[1], e[2], e[3]) for e in expected_events] == [
        ("", S.ASSIGNED, 1), (S.ASSIGNED, S.IN_PROGRESS, 2), (S.IN_PROGRESS, S.PENDING_ACCEPTANCE, 3),
        (S.PENDING_ACCEPTANCE, S.CLOSED, 4),
    ]
    assert expected_state[:4] == (S.CLOSED, 4, shanghai(2024, 5, 20, 10, 0), 0)


def test_an_existing_case_changed_and_walked_matches_an_update_then_a_walk(supervisor):
    upsert_cases(actor=supervisor, items=[petition(1, handling=""), petition(2, handling="")])
    walked_by_hand, walked_in_bulk = Case.objects.order_by("reference")
    handled = "已关停整改（合成数据）。"
    upsert_cases(actor=supervisor, items=[petition(1, handling=handled)], note=NOTE)
    walk_step_by_step(
        Case.objects.get(pk=walked_by_hand.pk), [S.IN_PROGRESS, S.PENDING_ACCEPTANCE, S.CLOSED], actor=supervisor, note=NOTE
    )

    [result] = upsert_cases(actor=supervisor, items=[petition(2, handling=handled, status="closed")], note=NOTE)

    assert (result.outcome, result.version, result.changed_fields) == ("updated", 5, ["handling", "status"])
    assert history(walked_in_bulk.pk)[1:] == history(walked_by_hand.pk)[1:]
    assert state(walked_in_bulk.pk) == state(walked_by_hand.pk)


def test_reopening_in_bulk_counts_the_reopening_and_clears_the_closing_time(supervisor):
    upsert_cases(actor=supervisor, items=[petition(1, status="closed"), petition(2, status="closed")], note=NOTE)
    by_hand, in_bulk = Case.objects.order_by("reference")
    walk_step_by_step(by_hand, [S.IN_PROGRESS, S.PENDING_ACCEPTANCE], actor=supervisor, note="群众再次反映，反弹回潮")

    [result] = upsert_cases(
        actor=supervisor, items=[petition(2, status="pending_acceptance", note="群众再次反映，反弹回潮")]
    )

    assert (result.outcome, result.version) == ("updated", 6)
    assert history(in_bulk.pk) == history(by_hand.pk)
    assert state(in_bulk.pk) == state(by_hand.pk)
    assert state(in_bulk.pk)[:4] == (S.PENDING_ACCEPTANCE, 6, None, 1)


def test_a_city_client_reaching_closed_is_refused_by_the_acceptance_rule_alone(write_client, supervisor):
    pending = PetitionFactory(status=S.PENDING_ACCEPTANCE, acceptance_number="X2JX2024999999")
    with pytest.raises(TransitionNotAllowed) as direct:
        transition(case=pending, to=S.CLOSED, actor=write_client)

    results = upsert_cases(
        actor=write_client,
        items=[petition(1, status="closed"), petition(2, status="pending_acceptance"), petition(3)],
        note=NOTE,
    )

    assert [r.outcome for r in results] == ["invalid", "created", "created"]
    assert results[0].errors == {"status": [str(direct.value.message)]}
    assert not Case.objects.filter(reference=petition(1)["reference"]).exists()
    assert Case.objects.get(pk=results[1].id).status == S.PENDING_ACCEPTANCE
    assert CaseEvent.objects.filter(case__reference=petition(1)["reference"]).count() == 0


@pytest.mark.parametrize(
    "item,field",
    [
        (petition(1, status="closed", handling=""), "handling"),
        (petition(1, status="closed", veracity=""), "veracity"),
        (petition(1, status="pending_acceptance", note="  "), "note"),
    ],
    ids=["petition without handling", "petition without veracity", "submission without a note"],
)
def test_a_step_missing_its_required_input_refuses_only_its_item(supervisor, item, field):
    results = upsert_cases(actor=supervisor, items=[item, petition(2, status="closed")], note=NOTE)
    assert [r.outcome for r in results] == ["invalid", "created"]
    assert list(results[0].errors) == [field]
    assert list(Case.objects.values_list("reference", "status")) == [(petition(2)["reference"], S.CLOSED)]


def test_importing_closed_cases_again_changes_nothing(supervisor):
    items = [petition(n, status="closed") for n in range(3)]
    upsert_cases(actor=supervisor, items=items, note=NOTE)
    events = CaseEvent.objects.count()
    again = upsert_cases(actor=supervisor, items=items, note=NOTE)
    assert [(r.outcome, r.version) for r in again] == [("unchanged", 4)] * 3
    assert CaseEvent.objects.count() == events == 12


def test_a_dry_run_of_a_walk_writes_nothing(supervisor):
    upsert_cases(actor=supervisor, items=[petition(1)])
    results = upsert_cases(
        actor=supervisor, items=[petition(1, status="closed"), petition(2, status="closed")], note=NOTE, dry_run=True
    )
    assert [(r.outcome, r.version) for r in results] == [("updated", 4), ("created", 4)]
    assert list(Case.objects.values_list("status", "version")) == [(S.ASSIGNED, 1)]
    assert CaseEvent.objects.count() == 1


def test_a_walk_from_a_stale_version_is_refused_and_writes_nothing(supervisor):
    upsert_cases(actor=supervisor, items=[petition(1, status="in_progress")])
    [result] = upsert_cases(actor=supervisor, items=[petition(1, status="closed", version=1)], note=NOTE)
    assert result.outcome == "invalid" and "version" in result.errors
    assert Case.objects.values_list("status", "version").get() == (S.IN_PROGRESS, 2)


def closed_batch_queries(actor, numbers: range) -> int:
    with CaptureQueriesContext(connection) as queries:
        results = upsert_cases(actor=actor, items=[petition(n, status="closed") for n in numbers], note=NOTE)
    assert {r.outcome for r in results} == {"created"}
    return len(queries)


def test_a_closed_batch_takes_a_fixed_number_of_queries(supervisor, django_assert_max_num_queries):
    small = closed_batch_queries(supervisor, range(0, 20))
    with django_assert_max_num_queries(10):
        large = closed_batch_queries(supervisor, range(1000, 1200))
    assert large == small
    assert Case.objects.filter(status=S.CLOSED).count() == 220
    assert CaseEvent.objects.count() == 220 * 4


def test_walking_existing_cases_takes_a_fixed_number_of_queries(supervisor, django_assert_max_num_queries):
    upsert_cases(actor=supervisor, items=[petition(n) for n in range(220)])

    def walk(numbers):
        with CaptureQueriesContext(connection) as queries:
            results = upsert_cases(actor=supervisor, items=[petition(n, status="closed") for n in numbers], note=NOTE)
        assert {(r.outcome, r.version) for r in results} == {("updated", 4)}
        return len(queries)

    small = walk(range(0, 20))
    with django_assert_max_num_queries(10):
        large = walk(range(20, 220))
    assert large == small
    assert CaseEvent.objects.count() == 220 * 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_walks_of_the_same_cases_walk_each_case_once(supervisor):
    CampaignFactory()
    other_supervisor = UserFactory(username="sup2", role="supervisor", city=None)
    upsert_cases(actor=supervisor, items=[petition(n) for n in range(100)])
    items = [petition(n, status="closed") for n in range(100)]
    start, outcomes, errors = threading.Barrier(2), {}, []

    def push(actor):
        try:
            start.wait()
            outcomes[actor.username] = {r.outcome for r in upsert_cases(actor=actor, items=items, note=NOTE)}
        except Exception as error:  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=push, args=(actor,)) for actor in (supervisor, other_supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(map(sorted, outcomes.values())) == [["unchanged"], ["updated"]]
    assert set(Case.objects.values_list("status", "version")) == {(S.CLOSED, 4)}
    assert CaseEvent.objects.count() == 100 * 4
