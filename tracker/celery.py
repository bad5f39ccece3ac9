"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def schedule_reminders(sender, **kwargs):
    # Read here, not at import: the settings module imports this package.
    from django.conf import settings

    # crontab is in CELERY_TIMEZONE (Asia/Shanghai): 09:00 local by default.
    schedule = [
        (crontab(hour=settings.REMINDER_HOUR, minute=settings.REMINDER_MINUTE),
         "reminders.tasks.send_reminders", "daily deadline reminders"),
        (crontab(hour=settings.PUBLICITY_END_HOUR, minute=settings.PUBLICITY_END_MINUTE),
         "cases.tasks.end_publicity_periods", "publicity periods ended with no objection"),
        (settings.URGING_ESCALATION_SECONDS, "notifications.tasks.escalate_urgings", "urgings not signed for in time"),
        # The sweeps: work a failure left behind (a dead worker, the broker down).
        (settings.REMINDER_SWEEP_SECONDS, "reminders.tasks.sweep_reminders", "reminders left behind by a failure"),
        (settings.IMPORT_SWEEP_SECONDS, "imports.sweep_imports", "imports left behind by a failure"),
        (settings.DISPATCH_SCHEDULE_SECONDS, "dispatch.tasks.open_scheduled_rounds", "open the recurring dispatch rounds"),
        (settings.TALLY_COMPACT_SECONDS, "cases.tasks.compact_case_tallies", "fold the statistics' delta rows"),
    ]  # fmt: skip
    for when, task, name in schedule:
        sender.add_periodic_task(when, sender.signature(task), name=name)
