"""imports 0002 renames ImportJob's row counts (created -> created_count,
...): every existing job keeps its figures, and the API still calls them
"created", "updated", "unchanged" and "invalid"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("imports", "0001_initial")]
LATEST = [("imports", "0002_counts_named_as_counts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def jobs_before_the_rename(supervisor, central):
    old = migrate(BEFORE)
    Job = old.get_model("imports", "ImportJob")
    made = [
        Job.objects.create(
            file=f"imports/2024/03/{n}.xlsx", original_name=f"{n}.xlsx", campaign_id=central.pk,
            importer_id=supervisor.pk, dry_run=False, state="done", total_rows=10 + n, processed_rows=10 + n,
            created=n, updated=2 * n, unchanged=3, invalid=10 - 2 * n,
        )  # fmt: skip
        for n in range(1, 4)
    ]
    yield {job.pk: (job.created, job.updated, job.unchanged, job.invalid) for job in made}
    migrate(LATEST)


def test_every_jobs_counts_survive_the_rename_and_the_api_keeps_its_names(jobs_before_the_rename, supervisor):
    migrate(LATEST)
    from imports.models import ImportJob

    after = {
        job.pk: (job.created_count, job.updated_count, job.unchanged_count, job.invalid_count)
        for job in ImportJob.objects.all()
    }
    assert after == jobs_before_the_rename

    listed = token_client(supervisor).get("/api/v1/imports/").json()
    assert {job["id"]: job["counts"] for job in listed} == {
        pk: dict(zip(("created", "updated", "unchanged", "invalid"), counts, strict=True))
        for pk, counts in jobs_before_the_rename.items()
    }
