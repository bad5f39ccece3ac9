"""Recurring rounds: beat opens a template's round once its period's
opening day has come, once however often it runs."""

import datetime

import pytest
import time_machine

from dispatch.models import Round, RoundCase, RoundTemplate
from dispatch.schedule import open_due_rounds
from dispatch.tasks import open_scheduled_rounds
from tests.conftest import shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly(cities):
    from cases.models import Division

    template = RoundTemplate.objects.create(
        name_pattern="周调度第{n}期", cadence="weekly", weekday=0, cutoff_days=4, cutoff_time=datetime.time(17, 0), next_number=7
    )
    template.divisions.set([Division.objects.get(code="360400")])
    return template


def test_the_beat_task_opens_the_round_once_when_run_twice(weekly, round_cases, celery_in_process):
    with time_machine.travel(shanghai(2024, 3, 11, 8, 0), tick=False):
        open_scheduled_rounds.delay()
        open_scheduled_rounds.delay()

    round = Round.objects.get()
    assert (round.name, round.cadence, round.template, round.opened_by) == ("周调度第7期", "weekly", weekly, None)
    assert round.cutoff_at == shanghai(2024, 3, 15, 17, 0) and round.period_on == datetime.date(2024, 3, 11)
    assert RoundCase.objects.filter(round=round).count() == 3  # 九江's open cases
    weekly.refresh_from_db()
    assert weekly.next_number == 8


def test_a_missed_day_loses_nothing_and_the_next_week_opens_the_next_number(weekly):
    with time_machine.travel(shanghai(2024, 3, 13, 8, 0), tick=False):  # Wednesday: Monday's run was missed
        assert [r.name for r in open_due_rounds()] == ["周调度第7期"]
    with time_machine.travel(shanghai(2024, 3, 18, 8, 0), tick=False):
        assert [r.name for r in open_due_rounds()] == ["周调度第8期"]
        assert open_due_rounds() == []
    assert Round.objects.count() == 2


def test_nothing_opens_before_the_opening_day_after_the_cutoff_or_when_inactive(weekly):
    weekly.weekday = 2  # Wednesday
    weekly.save()
    with time_machine.travel(shanghai(2024, 3, 12, 8, 0), tick=False):
        assert open_due_rounds() == []
    with time_machine.travel(shanghai(2024, 3, 17, 18, 0), tick=False):  # Sunday, after Sunday 17:00's cutoff
        assert open_due_rounds() == []
    weekly.active = False
    weekly.save()
    with time_machine.travel(shanghai(2024, 3, 13, 8, 0), tick=False):
        assert open_due_rounds() == []


def test_monthly_and_quarterly_rounds_open_on_their_day(cities):
    monthly = RoundTemplate.objects.create(name_pattern="月调度{n}", cadence="monthly", day_of_month=5, cutoff_days=10)
    quarterly = RoundTemplate.objects.create(name_pattern="季调度{n}", cadence="quarterly", day_of_month=10, cutoff_days=40)
    with time_machine.travel(shanghai(2024, 5, 12, 8, 0), tick=False):
        opened = {r.template_id: r for r in open_due_rounds()}
    assert opened[monthly.pk].period_on == datetime.date(2024, 5, 5)
    assert opened[quarterly.pk].period_on == datetime.date(2024, 4, 10)


def test_a_template_whose_name_is_taken_is_skipped_and_the_others_open(weekly, supervisor):
    other = RoundTemplate.objects.create(name_pattern="其他{n}", cadence="weekly", weekday=0)
    Round.objects.create(name="周调度第7期", cadence="ad_hoc", cutoff_at=shanghai(2024, 3, 20, 17, 0), opened_at=shanghai(2024, 3, 1, 9, 0))
    with time_machine.travel(shanghai(2024, 3, 11, 8, 0), tick=False):
        assert [r.template for r in open_due_rounds()] == [other]


def test_the_command_opens_what_is_due_like_beat(weekly):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with time_machine.travel(shanghai(2024, 3, 11, 8, 0), tick=False):
        call_command("open_rounds", stdout=out)
        call_command("open_rounds", stdout=out)
    assert out.getvalue().splitlines() == ["opened 周调度第7期 (cutoff 2024-03-15 17:00 CST)", "no round is due"]
