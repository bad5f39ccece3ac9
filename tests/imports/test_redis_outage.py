"""Redis down: a large import is still recorded and answered (202, queued)
and goes to a worker when Redis is back; the pages and the API show jobs
without their cached progress; a running import finishes without it."""

import contextlib
import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Case
from imports.models import ImportJob, JobState
from imports.tasks import sweep_imports
from tests.conftest import token_client
from tests.reminders.cluster import Cluster, PrivateRedis, free_port

from .conftest import PETITION_HEADER, csv_bytes, petition_row, run_import


def petitions(count: int) -> bytes:
    return csv_bytes([PETITION_HEADER] + [petition_row(n, f"X2JX20210415{n:04d}") for n in range(1, count + 1)])


@contextlib.contextmanager
def broker_at(url: str, *, in_process: bool = False):
    """Publish this process's tasks to ``url``, as the web server does with
    REDIS_URL set (or run them in this process)."""
    from tracker.celery import app

    saved = app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER

    def switch(broker_url, eager):
        app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = broker_url, eager
        app._pool = None  # connections are made from the URL on next use
        app.amqp._producer_pool = None

    switch(url, in_process)
    try:
        yield app
    finally:
        switch(*saved)


@pytest.fixture
def cache_down(settings):
    """The cache on a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def post_import(supervisor, campaign, data: bytes):
    return token_client(supervisor).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("batch.csv", data), "campaign": campaign.code, "dry_run": "false"},
    )


@pytest.mark.django_db
def test_a_large_import_posted_while_the_broker_is_down_is_queued_and_sent_when_it_is_back(
    supervisor, central, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            answer = post_import(supervisor, central, petitions(30))
        took = time.monotonic() - started

    assert answer.status_code == 202, answer.content
    assert answer.json()["state"] == "queued"
    job = ImportJob.objects.get()
    assert job.state == JobState.QUEUED and job.file.read() == petitions(30)
    print(f"\nPOST with the broker down answered {answer.status_code} in {took:.1f} s; job #{job.pk} queued")

    # The broker is back (its tasks run in this process here); a sweep interval on.
    ImportJob.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=settings.IMPORT_SWEEP_SECONDS + 1))
    with broker_at("memory://", in_process=True):
        assert sweep_imports.apply().get() == {"queued": 1, "handed_on": 1, "marked_failed": 0}
    job.refresh_from_db()
    assert job.state == JobState.DONE and Case.objects.count() == 30


@pytest.mark.django_db
def test_a_job_queued_a_moment_ago_is_left_to_its_own_task(supervisor, central, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    with django_capture_on_commit_callbacks(execute=False):
        run_import(supervisor, petitions(30), "batch.csv", central)

    assert sweep_imports.apply().get() == {"queued": 0, "handed_on": 0, "marked_failed": 0}
    assert ImportJob.objects.get().state == JobState.QUEUED


@pytest.mark.django_db
def test_pages_and_api_show_unfinished_jobs_without_the_cache(client, supervisor, central, settings, cache_down, django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    with django_capture_on_commit_callbacks(execute=False):
        queued = run_import(supervisor, petitions(30), "batch.csv", central)
        running = run_import(supervisor, petitions(30), "other.csv", central)
    ImportJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, started_at=timezone.now(), total_rows=30)
    api = token_client(supervisor)
    client.force_login(supervisor)

    listing = api.get("/api/v1/imports/")
    detail = api.get(f"/api/v1/imports/{running.pk}/")
    page = client.get(f"/imports/jobs/{queued.pk}/")
    upload_page = client.get("/imports/")

    assert [r.status_code for r in (listing, detail, page, upload_page)] == [200, 200, 200, 200]
    assert {job["state"] for job in listing.json()} == {"queued", "running"}
    assert detail.json()["progress"] == {"processed": 0, "total": 30, "percent": 0}


@pytest.mark.django_db
def test_an_import_runs_to_the_end_without_the_cache(supervisor, central, settings, cache_down):
    job = run_import(supervisor, petitions(30), "batch.csv", central)

    assert (job.state, job.error_code) == (JobState.DONE, "")
    assert Case.objects.count() == 30


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_through_real_processes_an_import_posted_during_an_outage_is_done_when_redis_is_back(
    tmp_path, supervisor, central, settings
):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    redis = PrivateRedis(tmp_path)  # down
    cluster = Cluster(
        directory=tmp_path, redis_url=redis.url, settings={"IMPORT_SWEEP_SECONDS": 1, "MEDIA_ROOT": settings.MEDIA_ROOT}
    )
    try:
        with broker_at(redis.url):
            answer = post_import(supervisor, central, petitions(40))
        assert answer.status_code == 202 and ImportJob.objects.get().state == JobState.QUEUED

        redis.start()
        cluster.start_worker("a")
        cluster.start_beat()
        deadline = time.monotonic() + 90
        while ImportJob.objects.get().state != JobState.DONE and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        cluster.stop_all()
        redis.stop()

    job = ImportJob.objects.get()
    assert job.state == JobState.DONE, cluster.log("a")[-3000:]
    assert job.counts()["created"] == 40 and Case.objects.count() == 40
