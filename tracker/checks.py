"""System checks on settings that must agree with each other."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def visibility_timeout_outlasts_the_tasks(app_configs, **kwargs):
    """Redis gives an unacknowledged message to another worker after the
    visibility timeout: a task still running then, or a countdown still
    waiting, would run twice."""
    from reminders.services import retry_delay

    longest = {
        "the longest reminder retry countdown": retry_delay(settings.REMINDER_MAX_ATTEMPTS - 1),
        "an import's time limit": settings.IMPORT_TIME_LIMIT_SECONDS + 60,
    }
    return [
        Error(
            f"CELERY_VISIBILITY_TIMEOUT ({settings.CELERY_VISIBILITY_TIMEOUT} s) must be longer than {what} ({seconds} s).",
            hint="Raise CELERY_VISIBILITY_TIMEOUT or lower the other setting.",
            id="tracker.E001",
        )
        for what, seconds in longest.items()
        if settings.CELERY_VISIBILITY_TIMEOUT <= seconds
    ]
