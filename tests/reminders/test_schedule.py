"""Beat runs the reminder job every day at 09:00 Shanghai time."""

import datetime
import zoneinfo

from tracker.celery import app, schedule_reminders

ENTRY = "daily deadline reminders"


def reminder_entry():
    app.loader.import_default_modules()  # configures the app, which adds the entry
    return app.conf.beat_schedule[ENTRY]


def test_the_job_runs_daily_at_nine_in_the_morning_shanghai_time():
    entry = reminder_entry()

    assert entry["task"] == "reminders.tasks.send_reminders"
    assert entry["schedule"].hour == {9} and entry["schedule"].minute == {0}
    assert app.timezone == zoneinfo.ZoneInfo("Asia/Shanghai")
    # 00:30 UTC is 08:30 in Shanghai: the run is half an hour away.
    last_run = datetime.datetime(2024, 3, 14, 9, 0, tzinfo=app.timezone)
    now = datetime.datetime(2024, 3, 15, 0, 30, tzinfo=datetime.UTC)
    entry["schedule"].nowfun = lambda: now.astimezone(app.timezone)
    try:
        due, wait = entry["schedule"].is_due(last_run)
    finally:
        entry["schedule"].nowfun = None
    assert not due and wait == 30 * 60


def test_the_time_of_day_is_a_setting(settings):
    configured = settings.REMINDER_HOUR, settings.REMINDER_MINUTE
    settings.REMINDER_HOUR, settings.REMINDER_MINUTE = 7, 45
    try:
        schedule_reminders(sender=app)
        schedule = reminder_entry()["schedule"]
        assert schedule.hour == {7} and schedule.minute == {45}
    finally:
        settings.REMINDER_HOUR, settings.REMINDER_MINUTE = configured
        schedule_reminders(sender=app)


def test_every_beat_entry_names_a_task_the_worker_knows():
    """A misspelt task name in the schedule would make beat send messages
    no worker runs, silently: each entry must name a registered task."""
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"reminders.tasks.send_reminders", "cases.tasks.end_publicity_periods",
            "dispatch.tasks.open_scheduled_rounds", "notifications.tasks.escalate_urgings"} <= scheduled  # fmt: skip
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
