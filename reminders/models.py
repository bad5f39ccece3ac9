"""The reminder log: one row per recipient, digest kind and local date.

The row is both the claim that makes a digest go out at most once a day
(its unique constraint) and the record of what happened to it, shown in
the admin."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DigestKind(models.TextChoices):
    CITY = "city", _("City digest")
    PROVINCE = "province", _("Province digest")


class DigestState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Waiting to retry")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


# States from which a worker may claim a digest and send it.
CLAIMABLE_STATES = (DigestState.QUEUED, DigestState.RETRYING)
FINAL_STATES = (DigestState.SENT, DigestState.SKIPPED, DigestState.FAILED)


class ReminderLog(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(_("digest"), max_length=16, choices=DigestKind.choices)
    digest_on = models.DateField(_("date"), help_text=_("The Asia/Shanghai date the digest is for."))
    state = models.CharField(_("state"), max_length=16, choices=DigestState.choices, default=DigestState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    email = models.EmailField(_("sent to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    overdue_count = models.PositiveIntegerField(_("overdue"), default=0)
    due_soon_count = models.PositiveIntegerField(_("due soon"), default=0)
    escalated_count = models.PositiveIntegerField(_("escalated"), default=0)
    acceptance_queue_count = models.PositiveIntegerField(_("waiting for acceptance"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-digest_on", "kind", "recipient_id"]
        constraints = [
            # The exactly-once guarantee: a second run's INSERT finds this row.
            models.UniqueConstraint(fields=["recipient", "kind", "digest_on"], name="reminder_once_per_day"),
            models.CheckConstraint(condition=Q(kind__in=DigestKind.values), name="reminder_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=DigestState.values), name="reminder_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=DigestState.SENDING) | Q(claimed_at__isnull=False),
                name="reminder_sending_is_claimed",
            ),
        ]
        indexes = [models.Index(fields=["digest_on", "state"], name="reminder_day_state_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.digest_on} → {self.recipient}"

    def is_claimable(self, now: datetime.datetime) -> bool:
        if self.state == DigestState.SENDING:
            return self.claimed_at < stale_before(now)
        return self.state in CLAIMABLE_STATES


def stale_before(now: datetime.datetime) -> datetime.datetime:
    """Claims older than this belong to a worker that died mid-send."""
    return now - datetime.timedelta(minutes=settings.REMINDER_STALE_CLAIM_MINUTES)
