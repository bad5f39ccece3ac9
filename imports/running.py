"""Running one import job: read and check the file, apply its rows through
``cases.upsert`` in one transaction, record the report. An import is all
or nothing: a file with any invalid row (a bad date, an unknown or
ambiguous division or unit name, ...) is refused whole, its report listing
every such row, and nothing of it is written. Runs in a
Celery worker (``tasks.process_import``), or in the request for a file
small enough (``services.start_import``).

A job ends done or failed, never left running: whatever goes wrong in the
run (a refused file, an error, the time limit) marks it failed with
nothing applied, and a job whose worker died outright is marked failed by
the sweep (``sweep_imports``). The rows and the job's "done" commit
together, so a job the sweep gave up on can never have applied them."""

import datetime
import logging
from collections import defaultdict

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case
from cases.upsert import MAX_ITEMS, upsert_cases
from tracker.resilience import retry_database

from . import progress
from .models import OUTCOMES, ImportJob, JobState
from .parsing import FileProblem, ParsedRow, parse_file
from .parsing.rows import creation_defaults

logger = logging.getLogger(__name__)


class GivenUp(Exception):
    """The sweep marked the job failed while it was still running."""


def _claim(job_id: int) -> datetime.datetime | None:
    """Take a queued job; returns the claim's start, None when the job is
    not queued (another run has it, or it is finished)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(state=JobState.RUNNING, started_at=now)
    return now if claimed else None


def run_import_job(*, job_id: int) -> ImportJob:
    """Read, check and (unless a dry run) apply the job's file. Safe to call
    twice: a job another run holds or has finished is left alone."""
    started = _claim(job_id)
    if started is None:
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("campaign", "importer").get(pk=job_id)
    try:
        return _run(job, started)
    except FileProblem as problem:
        return _finish_failed(job, str(problem), problem.code)
    except GivenUp:
        return ImportJob.objects.get(pk=job_id)
    except SoftTimeLimitExceeded:
        message = _("The import took longer than %(minutes)d minutes and was stopped; nothing was changed.") % {
            "minutes": settings.IMPORT_TIME_LIMIT_SECONDS // 60
        }
        return _finish_failed(job, message, "too_slow")
    except Exception:
        # Nothing was written: the rows are applied in one transaction.
        logger.exception("Import %s failed", job.pk)
        return _finish_failed(job, _("The import failed unexpectedly; nothing was changed."), "internal")
    finally:
        # Only now: until the job's row says done, pollers read the count
        # from the cache, and without it they would see 0 meanwhile.
        progress.forget(job)


def _run(job: ImportJob, started: datetime.datetime) -> ImportJob:
    with job.file.open("rb") as handle:
        data = handle.read()
    parsed = parse_file(data, job.original_name, campaign=job.campaign)
    del data
    job.total_rows = len(parsed.rows)
    mine = ImportJob.objects.filter(pk=job.pk, state=JobState.RUNNING, started_at=started)
    if not mine.update(total_rows=job.total_rows):
        raise GivenUp
    _match_problem_numbers(job, parsed.rows)
    with transaction.atomic():
        with transaction.atomic():
            # Every row goes through the upsert, so that the report names
            # every problem (unknown names are found there); then the rows
            # are kept only when all of them are valid.
            _upsert_rows(job, parsed.rows)
            report_rows = [_row_report(row) for row in parsed.rows]
            invalid = sum(1 for row in report_rows if row["outcome"] == "invalid")
            refused = invalid > 0 and not job.dry_run
            if refused:
                transaction.set_rollback(True)
        for outcome in OUTCOMES:
            setattr(job, f"{outcome}_count", sum(1 for row in report_rows if row["outcome"] == outcome))
        job.report = {"sheets": [sheet.as_dict() for sheet in parsed.sheets], "rows": report_rows}
        job.processed_rows = job.total_rows
        job.state = JobState.FAILED if refused else JobState.DONE
        if refused:
            job.error_code = "invalid_rows"
            job.error = invalid_rows_message(invalid)
        job.finished_at = timezone.now()
        fields = ["report", "processed_rows", "state", "error", "error_code", "finished_at"]
        if not mine.update(**{name: getattr(job, name) for name in fields + [f"{o}_count" for o in OUTCOMES]}):
            raise GivenUp  # rolls the rows back with it
    return job


def invalid_rows_message(count: int) -> str:
    return ngettext(
        "%(count)d row has errors (listed in the report); nothing of the file was imported. "
        "Correct it and import the file again.",
        "%(count)d rows have errors (listed in the report); nothing of the file was imported. "
        "Correct them and import the file again.",
        count,
    ) % {"count": count}


def import_note(job: ImportJob) -> str:
    """The note on every case event the import writes."""
    importer = job.importer.get_full_name() or job.importer.username
    return _("Imported from “%(file)s” by %(importer)s (import #%(job)d).") % {
        "file": job.original_name,
        "importer": importer,
        "job": job.pk,
    }


def _match_problem_numbers(job: ImportJob, rows: list[ParsedRow]) -> None:
    """A bureau's ledger knows its problems by 问题序号 only, while the
    tracker may hold them under another reference (FK-07). Such a row
    updates the case with that number (and city, where numbers restart per
    city) instead of creating a second one."""
    keyed = [row for row in rows if row.item is not None and row.keyed_by_number]
    if not keyed:
        return
    known = defaultdict(set)
    cases = Case.objects.filter(
        campaign=job.campaign, kind=keyed[0].item["kind"], problem_number__in={row.item["problem_number"] for row in keyed}
    ).values_list("problem_number", "city_id", "reference")
    for number, city, reference in cases:
        known[(number, city)].add(reference)
        known[number].add(reference)
    for row in keyed:
        number = row.item["problem_number"]
        by_city = known.get((number, row.item.get("city", "?")), set())
        candidates = by_city if len(by_city) == 1 else known.get(number, set())
        if len(candidates) == 1:
            row.reference = row.item["reference"] = next(iter(candidates))


def _upsert_rows(job: ImportJob, rows: list[ParsedRow]) -> None:
    """All rows that could be read, in batches the upsert accepts, in the
    caller's transaction; a dry run rolls each batch back."""
    valid = [row for row in rows if row.item is not None]
    note = import_note(job)
    done = len(rows) - len(valid)
    for start in range(0, len(valid), MAX_ITEMS):
        batch = valid[start : start + MAX_ITEMS]
        existing = set(
            Case.objects.filter(campaign=job.campaign, reference__in=[r.reference for r in batch]).values_list(
                "reference", flat=True
            )
        )
        items = [
            row.item if row.reference in existing else {**creation_defaults(row.item["kind"]), **row.item}
            for row in batch
        ]
        results = upsert_cases(actor=job.importer, items=items, note=note, dry_run=job.dry_run)
        for row, result in zip(batch, results, strict=True):
            row.outcome = result.outcome
            row.changed_fields = result.changed_fields
            for field_name, messages in result.errors.items():
                row.problems.extend(row.problem(field_name, message) for message in messages)
        done += len(batch)
        progress.note(job, done)


def _row_report(row: ParsedRow) -> dict:
    return {
        "sheet": row.sheet,
        "row": row.row,
        "reference": row.reference,
        "outcome": row.outcome if row.item is not None else "invalid",
        "changed_fields": row.changed_fields,
        "problems": [problem.as_dict() for problem in row.problems],
        "notes": row.notes,
    }


def _finish_failed(job: ImportJob, message: str, code: str) -> ImportJob:
    job.state = JobState.FAILED
    job.error = message
    job.error_code = code
    job.finished_at = timezone.now()
    retry_database(
        lambda: ImportJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=job.state, error=message, error_code=code, finished_at=job.finished_at
        ),
        what="recording a failed import",
    )
    return job


def stranded_jobs(*, now: datetime.datetime) -> tuple[list[int], int]:
    """What the sweep does with imports left behind: returns the queued
    jobs whose task never reached a worker (queued for more than
    IMPORT_SWEEP_SECONDS) to be handed on, and marks failed those running
    past the time limit and a margin (their worker died: killed, out of
    memory), returning how many."""
    grace = datetime.timedelta(seconds=settings.IMPORT_SWEEP_SECONDS)
    queued = list(
        ImportJob.objects.filter(state=JobState.QUEUED, created_at__lt=now - grace).order_by("pk").values_list("pk", flat=True)
    )
    dead_before = now - datetime.timedelta(seconds=settings.IMPORT_TIME_LIMIT_SECONDS) - 2 * grace
    died = ImportJob.objects.filter(state=JobState.RUNNING, started_at__lt=dead_before).update(
        state=JobState.FAILED,
        error=_("The worker running this import stopped (it may have run out of memory); nothing was changed."),
        error_code="stopped",
        finished_at=now,
    )
    return queued, died
