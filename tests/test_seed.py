"""The demo reproduces the seed article's figures, and loading it twice
changes nothing."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from cases.constants import Kind, Status
from cases.models import Case, CaseEvent, Division, Review
from cases.workflow import rule_for
from tests.conftest import demo_loaded

TODAY = datetime.date(2024, 1, 15)
OFFICERS = ["nanchang", "jingdezhen", "pingxiang", "jiujiang", "xinyu", "yingtan", "ganzhou", "jian", "yichun", "fuzhou", "shangrao"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_loaded(django_db_blocker, TODAY):
        yield


def run_stats(capsys) -> dict:
    call_command("case_stats", "--json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.django_db
def test_case_stats_prints_the_seed_figures(demo, capsys):
    stats = run_stats(capsys)
    assert {k: (v["total"], v["closed"]) for k, v in stats.items() if k != Kind.PROVINCIAL_PROBLEM} == {
        "feedback_problem": (49, 36),
        "petition": (3435, 3419),
        "warning_item": (72, 67),
    }
    assert set(stats["petition"]) == {"total", "closed", "overdue", "awaiting_acceptance"}


@pytest.mark.django_db
def test_open_long_term_problems_have_yearly_targets_and_one_missed_its_own(demo):
    long_term = Case.objects.exclude(status=Status.CLOSED).filter(deadline_type="long_term")
    assert long_term.count() >= 2
    for case in long_term:
        targets = list(case.milestones.order_by("due_on"))
        assert [t.due_on.year for t in targets] == [2023, 2024, 2025]
        assert case.deadline == min(t.due_on for t in targets if t.met_on is None)
    missed = long_term.filter(deadline__lt=TODAY)
    assert missed.count() == 1 and Case.objects.overdue(TODAY).filter(pk=missed.get().pk).exists()


@pytest.mark.django_db
def test_the_demo_shows_overdue_due_soon_and_on_track_work(demo):
    open_cases = Case.objects.with_city()
    assert Case.objects.overdue(TODAY).exists()
    assert Case.objects.due_soon(TODAY).exists()
    assert open_cases.filter(deadline__gt=TODAY + datetime.timedelta(days=7)).exists()
    assert open_cases.filter(deadline_type="long_term").exists()
    assert Case.objects.filter(status=Status.PENDING_ACCEPTANCE).exists()
    assert Case.objects.filter(status=Status.IN_PUBLICITY).exists()
    assert Case.objects.filter(reopened_count__gt=0).exists()


@pytest.mark.django_db
def test_every_demo_case_says_it_is_synthetic_and_every_city_has_cases(demo):
    assert not Case.objects.exclude(description__contains="合成数据").exists()
    assert Case.objects.values("city").distinct().count() == 12  # 11 cities and province-level


@pytest.mark.django_db
def test_every_timeline_walks_the_workflow_table_and_matches_the_version(demo):
    events = CaseEvent.objects.order_by("case_id", "version").values_list(
        "case_id", "version", "action", "from_status", "to_status"
    )
    cases = dict(Case.objects.values_list("id", "status"))
    versions = dict(Case.objects.values_list("id", "version"))
    last_seen = {}
    for case_id, version, action, frm, to in events:
        if version == 1:
            assert to == Status.ASSIGNED
        elif action in ("reported", "updated"):  # a round's report, a long-term case's targets set: no move
            assert (frm, to) == ("", "")
            to = last_seen[case_id][1]
        else:
            # A review passing a case up keeps it awaiting acceptance.
            assert rule_for(frm, to) is not None or frm == to == Status.PENDING_ACCEPTANCE, (case_id, frm, to)
            assert last_seen[case_id][1] == frm
        last_seen[case_id] = (version, to)
    assert {cid: v[1] for cid, v in last_seen.items()} == cases
    assert {cid: v[0] for cid, v in last_seen.items()} == versions


@pytest.mark.django_db
def test_closed_cases_were_signed_off_by_the_supervisor(demo):
    closing = CaseEvent.objects.filter(to_status=Status.CLOSED)
    assert closing.exists()
    assert set(closing.values_list("actor__username", flat=True)) == {"supervisor"}


def test_each_review_move_of_the_demo_signed_a_review_with_its_event(demo):
    # Every approve, return, publicity and close has its review, same
    # version, same reviewer and opinion as the event: a county's case at its
    # city first, then at the province.
    moves = CaseEvent.objects.filter(from_status__in=[Status.PENDING_ACCEPTANCE, Status.IN_PUBLICITY]).exclude(
        from_status=Status.IN_PUBLICITY, to_status=Status.IN_PROGRESS
    )
    events = {(e.case_id, e.version): (e.actor_id, e.note) for e in moves}
    reviews = {(r.case_id, r.version): (r.reviewer_id, r.opinion) for r in Review.objects.all()}
    assert events and reviews == events
    assert set(Review.objects.values_list("level", flat=True)) == {"city", "province"}
    by_city = Review.objects.filter(level="city")
    assert set(by_city.values_list("case__division__level", flat=True)) == {"county"}
    assert not by_city.exclude(reviewer__division_id=F("case__city_id")).exists()
    closed = Case.objects.filter(status=Status.CLOSED)
    assert closed.filter(reviews__result="closed").distinct().count() == closed.count()
    in_publicity = Case.objects.filter(status=Status.IN_PUBLICITY)
    assert in_publicity.exists() and not in_publicity.filter(publicity_ends_on__isnull=True).exists()


@pytest.mark.django_db
def test_running_it_again_changes_nothing(demo):
    before = (
        list(Case.objects.order_by("id").values_list("id", "version", "status", "deadline", "updated_at")),
        CaseEvent.objects.count(),
        list(User.objects.order_by("id").values_list("username", "password")),
    )
    call_command("seed_demo", "--password", "pw-for-tests", stdout=io.StringIO())
    after = (
        list(Case.objects.order_by("id").values_list("id", "version", "status", "deadline", "updated_at")),
        CaseEvent.objects.count(),
        list(User.objects.order_by("id").values_list("username", "password")),
    )
    assert after == before


@pytest.mark.django_db
def test_demo_accounts_are_a_supervisor_and_one_officer_per_city(demo):
    officers = User.objects.filter(role="officer", division__code__endswith="00", unit__isnull=True)
    assert sorted(officers.values_list("username", flat=True)) == sorted(OFFICERS)
    assert officers.values("city").distinct().count() == 11


@pytest.mark.django_db
def test_every_county_of_jiujiang_has_an_officer_and_two_units_have_accounts(demo):
    counties = set(Division.objects.filter(parent_id="360400").values_list("code", flat=True))
    officers = User.objects.filter(role="officer", division__parent_id="360400", unit__isnull=True)
    assert set(officers.values_list("division_id", flat=True)) == counties and len(counties) == 13
    assert User.objects.get(username="jiujiang-xunyang").division_id == "360403"
    units = User.objects.filter(unit__isnull=False)
    assert units.count() == 2 and all(u.unit.division_id.startswith(u.division_id[:4]) for u in units)
    supervisor = User.objects.get(username="supervisor")
    assert supervisor.role == "supervisor" and supervisor.city is None
    assert supervisor.check_password("pw-for-tests")


def test_a_demo_user_sees_the_chain_at_each_level(demo):
    from cases.models import Objection
    from cases.workflow import waiting_at

    pending = Case.objects.filter(status=Status.PENDING_ACCEPTANCE, division__level="county").select_related("campaign")
    stages = {waiting_at(case) for case in pending}
    assert {"city", "province"} <= stages  # a county's case at its city, one the city passed up
    # One the city returned with its reason, and it is still with its county.
    returned = Review.objects.filter(level="city", result="returned", case__status=Status.IN_PROGRESS)
    assert returned.exists() and all(r.opinion for r in returned)
    # One in publicity now, its end counted in working days from its start.
    running = Case.objects.filter(status=Status.IN_PUBLICITY, publicity_ends_on__gte=TODAY)
    assert running.exists()
    from workdays.calendar import working_days_between

    case = running.first()
    assert working_days_between(case.publicity_starts_on, case.publicity_ends_on) == case.campaign.publicity_days
    # One returned by an objection received in its publicity.
    objection = Objection.objects.select_related("case").get()
    assert objection.case.status == Status.IN_PROGRESS and objection.received_on >= objection.case.publicity_starts_on
