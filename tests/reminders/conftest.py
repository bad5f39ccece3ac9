"""Fixtures for the reminder tests: Celery in process (even in CI, where
REDIS_URL makes tasks go to a broker by default), mail kept in memory."""

import pytest

from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def celery_in_process():
    """Run tasks in this process, as with no REDIS_URL."""
    from tracker.celery import app

    # The app reads Django settings with the CELERY_ namespace: the
    # prefixed names are the ones that take effect.
    saved = app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = True, True
    assert app.conf.task_always_eager
    yield app
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = saved


@pytest.fixture
def run_day(celery_in_process):
    """Run the day's job as the command does. The tasks are queued at once,
    as ``enqueue_digests`` does outside a transaction; a test's transaction
    is never committed, so its on_commit would never fire."""
    from reminders.services import run_reminders
    from reminders.tasks import batches, send_digests

    def run(today, **kwargs):
        return run_reminders(today=today, dispatch=lambda ids: [send_digests.delay(b) for b in batches(ids)], **kwargs)

    return run


@pytest.fixture
def overdue_case():
    """A factory of cases overdue by ``days`` on ``today``."""
    import datetime

    def make(city, today, days, **kwargs):
        return CaseFactory(city=city, deadline=today - datetime.timedelta(days=days), status="in_progress", **kwargs)

    return make


@pytest.fixture
def english_officer(jiujiang):
    return UserFactory(username="jj_english", role="officer", city=jiujiang, language="en")
