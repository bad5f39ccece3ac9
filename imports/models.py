"""One spreadsheet import: who sent which file for which campaign, how far
it has got, and what it did to each row."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


OUTCOMES = ("created", "updated", "unchanged", "invalid")


def import_path(instance, filename):
    return f"imports/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    file = models.FileField(_("file"), upload_to=import_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    campaign = models.ForeignKey(
        "cases.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    importer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("importer"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    dry_run = models.BooleanField(_("dry run"), default=True)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    # How many rows had each outcome (OUTCOMES); the API shows them as
    # "counts": {"created": ..., ...}.
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    # {"sheets": [...], "rows": [{"sheet", "row", "reference", "outcome",
    #  "changed_fields", "problems": [{"column", "cell", "message"}], "notes"}]}
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in JobState]), name="import_job_state_valid"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def progress(self) -> int:
        """Rows processed so far. While rows are applied the count lives in
        the cache (``imports.progress``, best effort): the job's own row is
        only written after the one transaction that applies them commits."""
        if self.is_finished:
            return self.processed_rows
        from . import progress

        return max(self.processed_rows, progress.read(self))

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.progress / self.total_rows) if self.total_rows else 0

    def counts(self) -> dict:
        """Rows per outcome: {"created": 3, "updated": 0, ...}."""
        return {outcome: getattr(self, f"{outcome}_count") for outcome in OUTCOMES}
