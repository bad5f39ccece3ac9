"""A large import through a real Celery worker on Redis (not eager): the
API answers 202 at once and the job's progress can be followed to the
end. The worker runs in a thread of this process and sees the committed
data of this test's PostgreSQL database."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case

from .conftest import PETITION_HEADER, csv_bytes, petition_row

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # Committed data, so that the worker's connection sees it. The flush
    # afterwards takes the cities too; the fixtures put them back.
    pytest.mark.django_db(transaction=True),
]


def test_a_large_import_runs_in_the_worker_with_progress_on_the_api(redis_worker, supervisor, central, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 4096
    rows = [PETITION_HEADER] + [petition_row(n, f"X2JX20210415{n:04d}") for n in range(1, 1201)]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=supervisor).key}")

    started = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("batch.csv", csv_bytes(rows)), "campaign": central.code, "dry_run": "false"},
    )

    assert started.status_code == 202
    assert started.json()["state"] == "queued"
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/imports/{started.json()['id']}/").json()
        seen.append(body["progress"]["processed"])
        if body["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert body["state"] == "done", body.get("error")
    assert body["progress"] == {"processed": 1200, "total": 1200, "percent": 100}
    assert body["counts"]["created"] == 1200
    assert seen == sorted(seen)
    assert Case.objects.filter(campaign=central).count() == 1200
