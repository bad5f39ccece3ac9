"""Importing a spreadsheet: who may, and starting a job. The page, the API
and the management command all come through here; ``running`` runs the
job (in the request for a small file, else in a Celery worker)."""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.errors import InvalidInput, RoleNotAllowed
from cases.models import Campaign
from tracker.resilience import publish

from .models import ImportJob, JobState
from .parsing.reader import MACRO_SUFFIXES, content_size
from .running import invalid_rows_message, run_import_job
from .tasks import process_import

logger = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".xlsx", ".csv")


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
        # What decides is the content to read, not the upload's size: a
        # small .xlsx can hold a great deal (a "bomb"); it goes to the
        # worker, which checks the limits before reading any cell.
        background = content_size(data, name) > settings.IMPORT_INLINE_MAX_BYTES
    if not background:
        return run_import_job(job_id=job.pk)
    # After commit, so that the worker finds the job. With the broker
    # unreachable the job stays queued, recorded, and the sweep hands it on
    # once the broker is back.
    transaction.on_commit(lambda: publish(process_import, job.pk))
    return job


def apply_dry_run(*, actor, job: ImportJob) -> ImportJob:
    """Apply the file a finished dry run checked, as a new job."""
    if not job.dry_run or job.state != JobState.DONE:
        raise InvalidInput("job", _("Only a finished dry run can be applied."), code="not_a_dry_run")
    if job.invalid_count:
        # An import is all or nothing: applying would be refused.
        raise InvalidInput("job", invalid_rows_message(job.invalid_count), code="invalid_rows")
    with job.file.open("rb") as handle:
        data = handle.read()
    return start_import(
        actor=actor, data=data, filename=job.original_name, campaign_code=job.campaign.code, dry_run=False
    )


