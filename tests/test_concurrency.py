"""The compare-and-swap: of two writers racing on the same case exactly one
wins; the loser fails cleanly and nothing is half-written."""

import threading

import pytest
from django.db import connection

from cases.constants import Status
from cases.errors import ConcurrentChange
from cases.models import Case, CaseEvent
from cases.services import update_case
from cases.workflow import transition
from tests.factories import CaseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*writers):
    """Run each writer in its own thread and connection, released together."""
    barrier = threading.Barrier(len(writers))
    outcomes = [None] * len(writers)

    def run(i, writer):
        try:
            barrier.wait()
            writer()
            outcomes[i] = "won"
        except ConcurrentChange:
            outcomes[i] = "lost"
        except Exception as error:  # reported by the assertion below
            outcomes[i] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_supervisors_accepting_and_rejecting_at_once_leave_one_outcome(supervisor, nanchang):
    case = CaseFactory(city=nanchang, status=Status.PENDING_ACCEPTANCE)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    outcomes = race(
        lambda: transition(case=first, to=Status.CLOSED, actor=supervisor),
        lambda: transition(case=second, to=Status.IN_PROGRESS, actor=supervisor, note="材料不全"),
    )
    assert sorted(outcomes) == ["lost", "won"]
    case.refresh_from_db()
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.get(case=case).to_status == case.status


def test_an_edit_racing_a_transition_never_both_apply(supervisor, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status=Status.IN_PROGRESS)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    for _ in range(5):
        first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
        if first.status != Status.IN_PROGRESS:
            break
        outcomes = race(
            lambda: transition(case=first, to=Status.PENDING_ACCEPTANCE, actor=nanchang_officer, note="完成"),
            lambda: update_case(case=second, actor=nanchang_officer, data={"progress": f"进展 {second.version}"}),
        )
        assert sorted(outcomes) == ["lost", "won"]
    case.refresh_from_db()
    versions = list(CaseEvent.objects.filter(case=case).values_list("version", flat=True))
    assert versions == list(range(2, case.version + 1))
