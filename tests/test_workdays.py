"""China's working days: the 2026 Mid-Autumn and National Day holidays
with their make-up working days, a year an administrator enters in the
admin, and a year nobody knows (Monday to Friday, said in the log and
the admin)."""

import datetime
import logging

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import shanghai
from workdays import calendar
from workdays.calendar import add_working_days, is_working_day, working_days_between
from workdays.models import DayKind, ScheduleDay, YearSchedule

pytestmark = pytest.mark.django_db
D = datetime.date


def test_2026_mid_autumn_and_national_day_are_not_working_days():
    off = [D(2026, 9, d) for d in (25, 26, 27)] + [D(2026, 10, d) for d in range(1, 8)]
    assert [day for day in off if is_working_day(day)] == []
    # Friday 25 September is a holiday although a weekday.
    assert D(2026, 9, 25).weekday() == 4


def test_2026_make_up_working_days_fall_on_a_sunday_and_a_saturday():
    assert D(2026, 9, 20).weekday() == 6 and is_working_day(D(2026, 9, 20))
    assert D(2026, 10, 10).weekday() == 5 and is_working_day(D(2026, 10, 10))
    # The weekend days around them stay days off.
    assert not is_working_day(D(2026, 9, 19)) and not is_working_day(D(2026, 10, 11))


def test_five_working_days_from_friday_18_september_count_the_make_up_sunday():
    # Sun 20 (make-up), Mon 21, Tue 22, Wed 23, Thu 24.
    assert add_working_days(D(2026, 9, 18), 5) == D(2026, 9, 24)


def test_one_working_day_after_thursday_24_september_is_the_monday_after_mid_autumn():
    assert add_working_days(D(2026, 9, 24), 1) == D(2026, 9, 28)


def test_working_days_after_30_september_skip_national_day_and_include_saturday_10_october():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)


def test_counting_backwards_and_zero():
    assert add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_working_days_between_counts_the_days_after_the_start_up_to_the_end():
    # 20, 21, 22, 23, 24, 28, 29, 30 September; 8, 9, 10, 12 October.
    assert working_days_between(D(2026, 9, 18), D(2026, 10, 12)) == 12
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 18)) == -12
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    start = D(2026, 9, 18)
    for n in range(0, 20):
        assert working_days_between(start, add_working_days(start, n)) == n


def test_an_entered_year_overrides_the_package():
    # Suppose the notice moved the make-up day of 10 October to Sunday 11.
    schedule = YearSchedule.objects.create(year=2026, source="test")
    for day, kind in ((D(2026, 10, d), DayKind.HOLIDAY) for d in range(1, 8)):
        ScheduleDay.objects.create(schedule=schedule, date=day, kind=kind, name="国庆节")
    ScheduleDay.objects.create(schedule=schedule, date=D(2026, 10, 11), kind=DayKind.WORKDAY)
    assert is_working_day(D(2026, 10, 11)) and not is_working_day(D(2026, 10, 10))
    # What the entered schedule does not list is an ordinary day: Mid-Autumn
    # is not in it, so Friday 25 September is a working day.
    assert is_working_day(D(2026, 9, 25))


def test_a_year_the_package_lacks_can_be_entered(caplog):
    schedule = YearSchedule.objects.create(year=2027, source="国务院办公厅通知（测试）")
    ScheduleDay.objects.create(schedule=schedule, date=D(2027, 10, 1), kind=DayKind.HOLIDAY, name="国庆节")
    ScheduleDay.objects.create(schedule=schedule, date=D(2027, 10, 9), kind=DayKind.WORKDAY, name="国庆节")
    with caplog.at_level(logging.WARNING, logger="workdays.calendar"):
        assert not is_working_day(D(2027, 10, 1)) and is_working_day(D(2027, 10, 9))
    assert caplog.records == []


def test_a_year_nobody_knows_is_monday_to_friday_and_the_log_says_so(caplog, monkeypatch):
    monkeypatch.setattr(calendar, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="workdays.calendar"):
        assert add_working_days(D(2031, 9, 30), 1) == D(2031, 10, 1)  # no National Day known
        assert not is_working_day(D(2031, 10, 4))  # a Saturday
        is_working_day(D(2031, 10, 6))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2031" in warnings[0] and "Monday to Friday" in warnings[0]


def test_a_make_up_working_day_must_fall_on_a_weekend():
    schedule = YearSchedule.objects.create(year=2027)
    day = ScheduleDay(schedule=schedule, date=D(2027, 10, 8), kind=DayKind.WORKDAY)  # a Friday
    with pytest.raises(Exception) as raised:
        day.full_clean()
    assert "kind" in raised.value.message_dict
    other_year = ScheduleDay(schedule=schedule, date=D(2028, 1, 1), kind=DayKind.HOLIDAY)
    with pytest.raises(Exception) as raised:
        other_year.full_clean()
    assert "date" in raised.value.message_dict


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def messages_on(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_admin_warns_of_this_or_next_year_without_a_schedule(admin_client):
    url = reverse("admin:workdays_yearschedule_changelist")
    with time_machine.travel(shanghai(2026, 12, 4, 10), tick=False):
        # The package knows 2026, not 2027.
        warnings = messages_on(admin_client.get(url))
        assert len(warnings) == 1 and "2027" in warnings[0]
        YearSchedule.objects.create(year=2027)
        assert messages_on(admin_client.get(url)) == []


def test_the_admin_can_copy_the_packages_year_and_then_correct_it(admin_client):
    schedule = YearSchedule.objects.create(year=2026)
    admin_client.post(
        reverse("admin:workdays_yearschedule_changelist"),
        {"action": "fill_from_package", "_selected_action": [schedule.pk]},
    )
    national_day = ScheduleDay.objects.get(date=D(2026, 10, 1))
    assert (national_day.kind, national_day.name) == (DayKind.HOLIDAY, "国庆节")
    assert ScheduleDay.objects.get(date=D(2026, 9, 20)).kind == DayKind.WORKDAY
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # A correction in the table wins over the package.
    ScheduleDay.objects.filter(date=D(2026, 10, 10)).delete()
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 12)


def test_copying_a_year_the_package_lacks_says_so_and_changes_nothing(admin_client):
    schedule = YearSchedule.objects.create(year=2031)
    response = admin_client.post(
        reverse("admin:workdays_yearschedule_changelist"),
        {"action": "fill_from_package", "_selected_action": [schedule.pk]},
        follow=True,
    )
    assert any("2031" in m for m in messages_on(response))
    assert not schedule.days.exists()
