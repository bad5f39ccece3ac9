"""Spreadsheet bombs: a small .xlsx that unpacks to millions of cells or
one enormous cell is refused by the worker before its data is read, with
the limit named; the request only stores the file; a job that dies ends
failed, never "running". (Peak memory for the largest files the limits
admit: ``python -m bench.import_memory``.)"""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case
from imports import running
from imports.models import ImportJob, JobState
from imports.tasks import sweep_imports

from . import bombs
from .conftest import LEDGER_HEADER, ledger_row, run_import, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_process(settings):
    """The background task runs in this process (as with no REDIS_URL)."""
    from tracker.celery import app

    saved = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = saved


def imported(supervisor, campaign, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(supervisor, data, "bomb.xlsx", campaign)
    job.refresh_from_db()
    return job


def test_three_million_cells_in_a_small_file_are_refused_before_they_are_read(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # the dimension refuses it, not the size
    data = bombs.cells_bomb(1_000_000, 3)  # 3,000,000 cells, dimension A1:C1000000
    assert len(data) < 400 * 1024

    job = imported(supervisor, central, data, django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "too_many_rows")
    assert f"more than {settings.IMPORT_MAX_ROWS} rows" in job.error
    assert not Case.objects.exists()


def test_a_bomb_that_states_no_dimension_is_stopped_at_the_row_limit(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 1000
    data = bombs.cells_bomb(100_000, 3, dimension=None)  # states no dimension

    job = imported(supervisor, central, data, django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "too_many_rows")


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_by_its_zip_directory(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    data = bombs.cells_bomb(200_000, 3, dimension=None)  # about 10 MB of XML

    job = imported(supervisor, central, data, django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "too_large")
    assert "unpacks to 10 MB" in job.error and "at most 5 MB" in job.error


def test_a_dimension_beyond_the_row_limit_is_refused_without_reading_the_rows(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 100
    # The rows after the dimension are cut off mid-tag: reading them would
    # say the workbook is damaged. The refusal comes from the dimension.
    data = bombs.workbook(['<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r='], dimension="A1:C5000")

    job = imported(supervisor, central, data, django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "too_many_rows")
    assert "more than 100 rows" in job.error


def test_too_many_columns_are_refused_from_the_dimension_and_while_reading(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_COLUMNS = 20
    stated = bombs.workbook(["<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r="], dimension="A1:AD10")
    unstated = bombs.cells_bomb(3, 25, dimension=None)  # 25 columns, not stated

    first = imported(supervisor, central, stated, django_capture_on_commit_callbacks)
    second = imported(supervisor, central, unstated, django_capture_on_commit_callbacks)

    assert (first.error_code, second.error_code) == ("too_many_columns", "too_many_columns")
    assert "more than 20 columns" in first.error
    assert "cell U1" in second.error  # the 21st column of the first row


def test_one_enormous_cell_is_refused_by_the_unpacked_size(
    supervisor, central, in_process, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * 1024 * 1024
    data = bombs.one_cell_bomb(20 * 1024 * 1024)  # 20 MB in one cell
    assert len(data) < 100 * 1024

    job = imported(supervisor, central, data, django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "too_large")


def test_a_cell_longer_than_the_limit_is_named(supervisor, central, in_process, django_capture_on_commit_callbacks):
    job = imported(supervisor, central, bombs.inline_cell(40_000), django_capture_on_commit_callbacks)

    assert (job.state, job.error_code) == (JobState.FAILED, "cell_too_long")
    assert "40000 characters" in job.error and "at most 32767" in job.error and "cell A1" in job.error


def test_a_long_cell_in_a_csv_is_named_too(supervisor, central, settings):
    settings.IMPORT_MAX_CELL_CHARS = 50
    data = ",".join(LEDGER_HEADER).encode() + b"\n1," + b"x" * 60 + b"\n"

    job = run_import(supervisor, data, "ledger.csv", central)

    assert (job.state, job.error_code) == (JobState.FAILED, "cell_too_long")
    assert "row 2, column B" in job.error


def test_the_request_only_stores_a_small_file_that_unpacks_to_much(
    supervisor, central, settings, django_capture_on_commit_callbacks
):
    data = bombs.cells_bomb(20_000, 3)  # 60,000 cells, about 1.2 MB unpacked
    assert len(data) < settings.IMPORT_INLINE_MAX_BYTES

    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = run_import(supervisor, data, "bomb.xlsx", central)

    assert job.state == JobState.QUEUED and len(queued) == 1  # parsed by the worker, not here
    assert ImportJob.objects.get().file.read() == data


def test_a_small_plain_file_is_still_imported_at_once(supervisor, central):
    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(1)])), "ledger.xlsx", central)

    assert job.state == JobState.DONE and job.counts()["created"] == 1


def test_an_error_in_the_run_marks_the_job_failed(supervisor, central, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(running, "parse_file", out_of_memory)

    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(1)])), "ledger.xlsx", central)

    job.refresh_from_db()
    assert (job.state, job.error_code) == (JobState.FAILED, "internal")


def test_a_job_whose_worker_died_is_marked_failed_by_the_sweep(supervisor, central, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_TIME_LIMIT_SECONDS = 600
    settings.IMPORT_SWEEP_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=False):
        dead = run_import(supervisor, bombs.cells_bomb(20_000, 3), "a.xlsx", central)
        alive = run_import(supervisor, bombs.cells_bomb(20_000, 3), "b.xlsx", central)
    now = timezone.now()
    # Both claimed by a worker; the first one's worker was killed 13 minutes ago.
    ImportJob.objects.filter(pk=dead.pk).update(state=JobState.RUNNING, started_at=now - datetime.timedelta(minutes=13))
    ImportJob.objects.filter(pk=alive.pk).update(state=JobState.RUNNING, started_at=now - datetime.timedelta(minutes=9))

    result = sweep_imports.apply().get()

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert result["marked_failed"] == 1
    assert (dead.state, dead.error_code) == (JobState.FAILED, "stopped")
    assert alive.state == JobState.RUNNING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_given_up_by_the_sweep_applies_nothing_when_its_worker_comes_back(supervisor, central, monkeypatch):
    real = running.upsert_cases

    def sweep_elsewhere():
        ImportJob.objects.update(state=JobState.FAILED, error_code="stopped")
        connection.close()

    def slow_worker(**kwargs):
        results = real(**kwargs)
        # Meanwhile the sweep, in its own transaction, decided this worker was dead.
        sweep = threading.Thread(target=sweep_elsewhere)
        sweep.start()
        sweep.join()
        return results

    monkeypatch.setattr(running, "upsert_cases", slow_worker)

    job = run_import(supervisor, xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(1)])), "ledger.xlsx", central)

    assert (job.state, job.error_code) == (JobState.FAILED, "stopped")
    assert not Case.objects.exists()
