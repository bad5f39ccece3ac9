"""The daily end of publicity periods (cases/publicity.py): a period that
ended with no objection makes the case ready for sign-off and tells the
accepting level once; the system closes it only where its campaign says
so; two runs do the work once."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from cases.constants import EventAction, Level, ReviewResult, Status
from cases.models import Case, CaseEvent, Review
from cases.publicity import end_publicity_periods
from cases.workflow import transition
from notifications.models import Notification
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory, UserFactory
from tracker.celery import app

pytestmark = pytest.mark.django_db
S = Status
DAY_AFTER = datetime.date(2026, 9, 25)  # the period of 18 September ends on Thursday 24 (make-up Sunday counted)


def in_publicity(officer, acceptor, **fields):
    with time_machine.travel(shanghai(2026, 9, 18, 10), tick=False):
        case = CaseFactory(status=S.IN_PROGRESS, **fields)
        transition(case=case, action="submit", actor=officer, note="整改完成")
        transition(case=case, action="publicize", actor=acceptor, note="验收通过，予以公示")
    assert case.publicity_ends_on == datetime.date(2026, 9, 24)
    return case


def run(today):
    with time_machine.travel(shanghai(today.year, today.month, today.day, 0, 30), tick=False):
        return end_publicity_periods()


def test_a_period_ended_with_no_objection_makes_the_case_ready_and_tells_the_province_once(nanchang_officer, supervisor):
    other_supervisor = UserFactory(username="sup2", role="supervisor", city=None)
    case = in_publicity(nanchang_officer, supervisor)
    assert run(datetime.date(2026, 9, 24)) == {"ready": 0, "closed": 0}  # its last day is still publicity
    assert run(DAY_AFTER) == {"ready": 1, "closed": 0}
    case.refresh_from_db()
    assert (case.status, case.ready_for_sign_off_on) == (S.IN_PUBLICITY, DAY_AFTER)
    event = CaseEvent.objects.get(case=case, version=case.version)
    assert (event.action, event.actor, event.changes) == (EventAction.UPDATED, None, {"ready_for_sign_off_on": [None, "2026-09-25"]})
    assert "2026-09-24" in event.note
    told = Notification.objects.filter(kind="sign_off")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["sup", "sup2"]
    assert not Notification.objects.filter(recipient=nanchang_officer).exists()
    assert told.first().cases == [{"id": case.pk, "reference": case.reference, "title": case.title}]
    # A second run (and the next day's) changes and sends nothing.
    version = case.version
    assert run(DAY_AFTER) == run(DAY_AFTER + datetime.timedelta(days=1)) == {"ready": 0, "closed": 0}
    assert Case.objects.get(pk=case.pk).version == version and told.count() == 2


def test_an_objection_in_the_period_leaves_nothing_to_mark(nanchang_officer, supervisor):
    case = in_publicity(nanchang_officer, supervisor)
    with time_machine.travel(shanghai(2026, 9, 22, 10), tick=False):
        transition(case=case, action="object", actor=supervisor, note="仍有异味", channel="电话")
    assert run(DAY_AFTER) == {"ready": 0, "closed": 0}
    assert Case.objects.get(pk=case.pk).ready_for_sign_off_on is None and not Notification.objects.exists()


def test_the_person_who_closes_it_clears_the_mark(nanchang_officer, supervisor):
    case = in_publicity(nanchang_officer, supervisor)
    run(DAY_AFTER)
    case.refresh_from_db()
    transition(case=case, action="close", actor=supervisor, note="公示期满无异议，予以销号")
    assert (case.status, case.ready_for_sign_off_on) == (S.CLOSED, None)


def test_the_system_closes_it_only_where_the_campaign_says_so(nanchang_officer, supervisor):
    campaign = CampaignFactory(code="closes-by-itself", close_after_publicity=True)
    case = in_publicity(nanchang_officer, supervisor, campaign=campaign)
    kept = in_publicity(nanchang_officer, supervisor)  # the default campaign: a person closes it
    assert run(DAY_AFTER) == {"ready": 1, "closed": 1}
    case.refresh_from_db()
    assert (case.status, case.closed_at is not None) == (S.CLOSED, True)
    review = Review.objects.get(case=case, version=case.version)
    assert (review.level, review.reviewer, review.result) == (Level.PROVINCE, None, ReviewResult.CLOSED)
    assert CaseEvent.objects.get(case=case, version=case.version).to_status == S.CLOSED
    assert Case.objects.get(pk=kept.pk).status == S.IN_PUBLICITY
    assert Notification.objects.filter(kind="sign_off").count() == 2
    assert run(DAY_AFTER) == {"ready": 0, "closed": 0}


def test_where_the_city_accepts_its_bureau_is_told_not_the_province(supervisor, nanchang_officer):
    from cases.models import Unit

    county_officer = UserFactory(username="dh_officer", role="officer", division_id="360102")
    unit = Unit.objects.create(name="南昌市生态环境局", division_id="360100")
    UserFactory(username="nc_unit", role="officer", division_id="360100", unit=unit)
    campaign = CampaignFactory(code="city-accepts", accepting_level=Level.CITY)
    in_publicity(county_officer, nanchang_officer, campaign=campaign, division_id="360102", city=None)
    run(DAY_AFTER)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["nc_officer"]


def test_the_case_json_and_the_sign_off_show_it(nanchang_officer, supervisor):
    case = in_publicity(nanchang_officer, supervisor)
    run(DAY_AFTER)
    client = APIClient()
    client.force_authenticate(user=supervisor)
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["ready_for_sign_off_on"] == "2026-09-25"
    sign_off = client.get(f"/api/v1/cases/{case.pk}/sign-off/").json()
    assert (sign_off["ready_for_sign_off_on"], sign_off["publicity_ends_on"], sign_off["closes_after_publicity"]) == (
        "2026-09-25", "2026-09-24", False,
    )


def test_beat_runs_it_every_night_shanghai_time():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["publicity periods ended with no objection"]
    assert entry["task"] == "cases.tasks.end_publicity_periods"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {30}


def test_the_task_runs_the_service(nanchang_officer, supervisor):
    from cases.tasks import end_publicity_periods as task

    in_publicity(nanchang_officer, supervisor)
    with time_machine.travel(shanghai(2026, 9, 25, 0, 30), tick=False):
        assert task() == {"ready": 1, "closed": 0}
