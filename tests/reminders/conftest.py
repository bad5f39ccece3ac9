"""Fixtures for the reminder tests: Celery in process (even in CI, where
REDIS_URL makes tasks go to a broker by default), mail kept in memory."""

import pytest

from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def celery_in_process():
    """Run tasks in this process, as with no REDIS_URL."""
    from tracker.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def run_day(celery_in_process, django_capture_on_commit_callbacks):
    """Run the day's job the way the command does, committing as it goes."""
    from reminders.services import run_reminders
    from reminders.tasks import enqueue_digests

    def run(today, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return run_reminders(today=today, dispatch=enqueue_digests, **kwargs)

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
