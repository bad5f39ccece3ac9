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
    sender.add_periodic_task(
        crontab(hour=settings.REMINDER_HOUR, minute=settings.REMINDER_MINUTE),
        sender.signature("reminders.tasks.send_reminders"),
        name="daily deadline reminders",
    )
    sender.add_periodic_task(
        settings.URGING_ESCALATION_SECONDS,
        sender.signature("notifications.tasks.escalate_urgings"),
        name="urgings not signed for in time",
    )
    sender.add_periodic_task(
        settings.REMINDER_SWEEP_SECONDS,
        sender.signature("reminders.tasks.sweep_reminders"),
        name="reminders left behind by a failure",
    )
