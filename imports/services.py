"""Importing a spreadsheet: start a job, run it (in the request or in a
Celery worker), and apply its valid rows through ``cases.upsert`` in one
transaction. The page, the API and the management command all come
through here."""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.errors import InvalidInput, RoleNotAllowed
from cases.models import Campaign, Case
from cases.upsert import MAX_ITEMS, upsert_cases

from .models import OUTCOMES, ImportJob, JobState
from .parsing import FileProblem, ParsedRow, parse_file
from .parsing.reader import MACRO_SUFFIXES
from .parsing.rows import creation_defaults

logger = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".xlsx", ".csv")
# A job whose worker died mid-run (its transaction rolled back) may be
# taken over by the redelivered task after this long.
STALE_RUN = datetime.timedelta(minutes=30)


def may_import(user) -> bool:
    """Supervisors and the province-wide read-write machine account import;
    city officers and city-bound clients do not."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.may_write
        and user.sees_whole_province
        and user.role in (Role.SUPERVISOR, Role.API_CLIENT)
    )


def ensure_may_import(user) -> None:
    if not may_import(user):
        raise RoleNotAllowed(_("Only provincial supervisors may import spreadsheets."), code="import_not_allowed")


def jobs_for(user):
    """The imports ``user`` may look at: every import, for those who may
    import at all (they are province-wide)."""
    if not may_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("campaign", "importer")


def _too_large(size: int) -> str:
    return _(
        "The file is %(size).1f MB; at most %(limit)d MB can be imported at once. Split it into smaller files."
    ) % {"size": size / 1024 / 1024, "limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)}


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refusing an oversized one before
    reading it into memory."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise InvalidInput("file", _too_large(upload.size), code="too_large")
    return upload.read()


def start_import(
    *, actor, data: bytes, filename: str, campaign_code: str, dry_run: bool, background: bool | None = None
) -> ImportJob:
    """Record an import of ``data`` and run it: at once for a small file, in
    a Celery worker for a large one (the job shows its progress), unless
    ``background`` says which.

    Raises RoleNotAllowed for an actor who may not import and InvalidInput
    (field "campaign" or "file") for what can be told before reading."""
    ensure_may_import(actor)
    errors = {}
    campaign = Campaign.objects.filter(code=(campaign_code or "").strip()).first()
    if campaign is None:
        errors["campaign"] = [
            _("Unknown campaign “%(value)s”.") % {"value": campaign_code}
            if campaign_code
            else _("Choose the campaign the cases belong to.")
        ]
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    if not name.lower().endswith(ACCEPTED_SUFFIXES + MACRO_SUFFIXES + (".xls",)):
        errors["file"] = [_("Only .xlsx and .csv files can be imported.")]
    elif len(data) > settings.IMPORT_MAX_BYTES:
        errors["file"] = [_too_large(len(data))]
    if errors:
        raise InvalidInput.from_errors(errors)
    job = ImportJob(original_name=name, campaign=campaign, importer=actor, dry_run=dry_run)
    job.file.save(name, ContentFile(data), save=False)
    job.save()
    if background is None:
        background = len(data) > settings.IMPORT_INLINE_MAX_BYTES
    if not background:
        return run_import_job(job_id=job.pk)
    from .tasks import process_import

    transaction.on_commit(lambda: process_import.delay(job.pk))
    return job


def apply_dry_run(*, actor, job: ImportJob) -> ImportJob:
    """Apply the file a finished dry run checked, as a new job."""
    if not job.dry_run or job.state != JobState.DONE:
        raise InvalidInput("job", _("Only a finished dry run can be applied."), code="not_a_dry_run")
    with job.file.open("rb") as handle:
        data = handle.read()
    return start_import(
        actor=actor, data=data, filename=job.original_name, campaign_code=job.campaign.code, dry_run=False
    )


def _claim(job_id: int) -> bool:
    now = timezone.now()
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, started_at__lt=now - STALE_RUN)
    return ImportJob.objects.filter(claimable, pk=job_id).update(state=JobState.RUNNING, started_at=now) == 1


def run_import_job(*, job_id: int) -> ImportJob:
    """Read, check and (unless a dry run) apply the job's file. Safe to call
    twice: a job another run holds or has finished is left alone."""
    if not _claim(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("campaign", "importer").get(pk=job_id)
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        parsed = parse_file(data, job.original_name, campaign=job.campaign)
    except FileProblem as problem:
        return _finish_failed(job, str(problem), problem.code)
    job.total_rows = len(parsed.rows)
    job.save(update_fields=["total_rows"])
    _match_problem_numbers(job, parsed.rows)
    try:
        _upsert_rows(job, parsed.rows)
    except Exception:
        # Nothing was written: the rows are applied in one transaction.
        logger.exception("Import %s failed", job.pk)
        job = _finish_failed(job, _("The import failed unexpectedly; nothing was changed."), "internal")
        cache.delete(job.progress_key)
        return job
    report_rows = [_row_report(row) for row in parsed.rows]
    for outcome in OUTCOMES:
        setattr(job, outcome, sum(1 for row in report_rows if row["outcome"] == outcome))
    job.report = {"sheets": [sheet.as_dict() for sheet in parsed.sheets], "rows": report_rows}
    job.processed_rows = job.total_rows
    job.state = JobState.DONE
    job.finished_at = timezone.now()
    job.save()
    # Only now: until the job's row says done, pollers read the count from
    # the cache, and without it they would see 0 while the report is built.
    cache.delete(job.progress_key)
    return job


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
    """All valid rows in one transaction, in batches the upsert accepts;
    a dry run rolls each batch back."""
    valid = [row for row in rows if row.item is not None]
    note = import_note(job)
    done = len(rows) - len(valid)
    with transaction.atomic():
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
            cache.set(job.progress_key, done, timeout=3600)


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
    job.save(update_fields=["state", "error", "error_code", "finished_at"])
    return job
