"""The dashboard and /stats/ figures come from counts kept by triggers:
after any kind of write they must equal a full count of the cases."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection

from cases.models import Case, CaseTally
from cases.services import update_case, withdraw_case
from cases.statistics import case_statistics, compact_tallies
from cases.upsert import upsert_cases
from cases.workflow import transition
from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


def full_count(user) -> dict:
    return Case.objects.for_user(user).statistics(today=TODAY, group_by=("kind", "city"))


@pytest.fixture
def mixed_cases(nanchang, jiujiang):
    """Cases of two kinds in two cities and the province, some overdue."""
    past, future = TODAY - datetime.timedelta(days=3), TODAY + datetime.timedelta(days=30)
    cases = [
        CaseFactory(city=nanchang, status="in_progress", deadline=past),
        CaseFactory(city=nanchang, status="assigned", deadline=future),
        CaseFactory(city=jiujiang, status="in_progress", deadline=past),
        CaseFactory(city=jiujiang, status="pending_acceptance", deadline=past),
        CaseFactory(city=None, status="closed", deadline=past),
        PetitionFactory(city=nanchang, status="closed", deadline=past),
        PetitionFactory(city=jiujiang, status="in_progress", deadline=past),
    ]
    return cases


def test_the_counts_equal_a_full_count_of_the_cases(mixed_cases, supervisor):
    stats = case_statistics(user=supervisor, today=TODAY)
    assert stats == full_count(supervisor)
    assert stats[("feedback_problem", "360100")]["overdue"] == 1
    assert stats[("feedback_problem", None)]["closed"] == 1


def test_they_follow_transitions_edits_reopening_and_withdrawal(mixed_cases, supervisor, jiujiang):
    with time_machine.travel(shanghai(2024, 3, 15, 10, 0), tick=False):
        first, second, *_rest, closed_petition, _petition = mixed_cases
        transition(case=first, to="pending_acceptance", actor=supervisor, note="整改完成")
        transition(case=closed_petition, to="in_progress", actor=supervisor, note="反弹回潮")
        update_case(case=second, actor=supervisor, data={"city": jiujiang.code}, note="改由九江办理")
        withdraw_case(case=mixed_cases[2], actor=supervisor, reason="重复交办")

    stats = case_statistics(user=supervisor, today=TODAY)
    assert stats == full_count(supervisor)
    assert stats[("petition", "360100")]["reopened"] == 1
    assert ("feedback_problem", "360100") in stats and stats[("feedback_problem", "360100")]["total"] == 1


def test_bulk_upserts_are_counted(supervisor, nanchang, jiujiang):
    items = [
        {"campaign": "test-central-2", "reference": f"B-{i}", "kind": "feedback_problem", "title": f"合成 {i}",
         "city": [nanchang.code, jiujiang.code][i % 2], "deadline_type": "dated", "deadline": "2024-03-01"}
        for i in range(30)
    ]  # fmt: skip
    CaseFactory(city=nanchang)  # creates the campaign
    results = upsert_cases(actor=supervisor, items=items)
    assert {r.outcome for r in results} == {"created"}

    assert case_statistics(user=supervisor, today=TODAY) == full_count(supervisor)


def test_an_officer_gets_the_figures_of_their_own_city_only(mixed_cases, nanchang_officer, supervisor):
    officer_stats = case_statistics(user=nanchang_officer, today=TODAY)

    assert {city for _kind, city in officer_stats} == {"360100"}
    assert officer_stats == full_count(nanchang_officer)
    assert {city for _kind, city in case_statistics(user=supervisor, today=TODAY)} == {"360100", "360400", None}


def test_folding_the_deltas_changes_no_figure(mixed_cases, supervisor):
    for case in mixed_cases[:3]:
        transition(case=case, to="pending_acceptance" if case.status == "in_progress" else "in_progress",
                   actor=supervisor, note="合成")  # fmt: skip
    before = case_statistics(user=supervisor, today=TODAY)
    rows_before = CaseTally.objects.count()

    compact_tallies()

    assert case_statistics(user=supervisor, today=TODAY) == before == full_count(supervisor)
    assert CaseTally.objects.count() < rows_before


def test_reading_the_statistics_never_folds_the_deltas_the_beat_task_does(mixed_cases, supervisor, monkeypatch):
    from cases import statistics
    from cases.tasks import compact_case_tallies
    from tests.conftest import token_client

    monkeypatch.setattr(statistics, "COMPACT_AFTER_ROWS", 3)
    for case in mixed_cases[:3]:
        transition(case=case, to="pending_acceptance" if case.status == "in_progress" else "in_progress",
                   actor=supervisor, note="合成")  # fmt: skip
    rows = CaseTally.objects.count()

    assert token_client(supervisor).get("/api/v1/stats/").status_code == 200
    case_statistics(user=supervisor, today=TODAY)
    assert CaseTally.objects.count() == rows  # a GET only reads

    assert compact_case_tallies.apply().get() is True
    assert CaseTally.objects.count() < rows
    assert case_statistics(user=supervisor, today=TODAY) == full_count(supervisor)
    assert compact_case_tallies.apply().get() is False  # nothing left worth folding


def test_the_compaction_is_on_the_beat_schedule(settings):
    from tracker.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["fold the statistics' delta rows"]
    assert (entry["task"], entry["schedule"]) == ("cases.tasks.compact_case_tallies", settings.TALLY_COMPACT_SECONDS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_a_compaction_leave_exact_counts(supervisor, nanchang):
    cases = [CaseFactory(city=nanchang, status="assigned") for _ in range(20)]

    def move(some):
        try:
            for case in some:
                transition(case=case, to="in_progress", actor=supervisor)
        finally:
            connection.close()

    def fold():
        try:
            for _ in range(5):
                compact_tallies()
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(cases[i::2],)) for i in range(2)] + [threading.Thread(target=fold)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stats = case_statistics(user=supervisor, today=TODAY)
    assert stats == full_count(supervisor)
    assert stats[("feedback_problem", "360100")]["total"] == 20
