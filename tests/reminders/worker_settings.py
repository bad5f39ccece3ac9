"""Settings of the Celery workers the crash tests start as processes: the
project's, with mail going to the spool directory the test reads."""

import os

from tracker.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.reminders.mailservers.SpoolBackend"
REMINDER_TEST_SPOOL = os.environ["REMINDER_TEST_SPOOL"]
REMINDER_TEST_SEND_SECONDS = float(os.environ.get("REMINDER_TEST_SEND_SECONDS", "0.1"))
