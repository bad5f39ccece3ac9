"""The reminder log: one row per recipient, digest kind, local date and
channel.

The row is both the claim that makes a digest go out at most once a day on
each channel (its unique constraints) and the record of what happened to
it, shown in the admin. A group's channel (a division's or a unit's) has
one row per day and kind, or per urging, with the group's first account
that got it as the recipient, or none when no account of the group got it. A recipient's own e-mail address has no Channel
row (``channel`` is empty); every configured channel (a robot, an SMS
number, another address) has its own. The in-app copy needs no claim:
writing it sends nothing out of the site, and its unique key keeps it
single (``notifications.models.Notification``)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import ChannelKind


class DigestKind(models.TextChoices):
    CITY = "city", _("City digest")
    PROVINCE = "province", _("Province digest")
    URGING = "urging", _("Urging")
    ESCALATION = "escalation", _("Urging not received")


# Messages about one urging rather than the state of a day.
ABOUT_AN_URGING = (DigestKind.URGING, DigestKind.ESCALATION)


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
    # Empty only on a group's channel that got the message on its own (no
    # account of the division or unit received it).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="reminders",
        null=True, blank=True,
    )  # fmt: skip
    kind = models.CharField(_("digest"), max_length=16, choices=DigestKind.choices)
    digest_on = models.DateField(_("date"), help_text=_("The Asia/Shanghai date the digest is for."))
    channel_kind = models.CharField(_("channel"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.EMAIL)
    channel = models.ForeignKey(
        "notifications.Channel",
        verbose_name=_("configured channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    urging = models.ForeignKey(
        "notifications.Urging", verbose_name=_("urging"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="deliveries",
    )  # fmt: skip
    state = models.CharField(_("state"), max_length=16, choices=DigestState.choices, default=DigestState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    email = models.CharField(_("sent to"), max_length=500, blank=True)
    answer = models.TextField(_("answer of the service"), blank=True)
    found_at_provider = models.BooleanField(
        _("found at the provider"),
        default=False,
        help_text=_("Sent by an earlier attempt: the SMS service listed it, so it was not sent again."),
    )
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
            models.UniqueConstraint(
                fields=["recipient", "kind", "digest_on", "channel_kind"],
                condition=Q(channel__isnull=True, urging__isnull=True),
                name="reminder_once_per_day",
            ),
            models.UniqueConstraint(
                fields=["channel", "kind", "digest_on"],
                condition=Q(channel__isnull=False, urging__isnull=True),
                name="reminder_once_per_channel_day",
            ),
            # An urging (or its escalation) once per recipient and channel.
            models.UniqueConstraint(
                fields=["recipient", "kind", "urging", "channel_kind"],
                condition=Q(channel__isnull=True, urging__isnull=False),
                name="reminder_urging_once",
            ),
            models.UniqueConstraint(
                fields=["channel", "kind", "urging"],
                condition=Q(channel__isnull=False, urging__isnull=False),
                name="reminder_urging_once_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(urging__isnull=True) | Q(kind__in=["urging", "escalation"]),
                name="reminder_urging_has_its_kind",
            ),
            models.CheckConstraint(condition=Q(channel_kind__in=ChannelKind.values), name="reminder_channel_kind_valid"),
            # Only a (group's) configured channel goes without an account.
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(channel__isnull=False), name="reminder_account_or_channel"
            ),
            # Without a Channel row it is the account's own e-mail address.
            models.CheckConstraint(
                condition=Q(channel__isnull=False) | Q(channel_kind=ChannelKind.EMAIL),
                name="reminder_own_address_is_email",
            ),
            models.CheckConstraint(condition=Q(kind__in=DigestKind.values), name="reminder_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=DigestState.values), name="reminder_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=DigestState.SENDING) | Q(claimed_at__isnull=False),
                name="reminder_sending_is_claimed",
            ),
        ]
        indexes = [models.Index(fields=["digest_on", "state"], name="reminder_day_state_idx")]

    def __str__(self):
        to = self.recipient if self.recipient_id else self.channel.owner
        return f"{self.get_kind_display()} {self.digest_on} → {to} ({self.get_channel_kind_display()})"

    def is_claimable(self, now: datetime.datetime) -> bool:
        if self.state == DigestState.SENDING:
            return self.claimed_at < stale_before(now)
        return self.state in CLAIMABLE_STATES


def stale_before(now: datetime.datetime) -> datetime.datetime:
    """Claims older than this belong to a worker that died mid-send."""
    return now - datetime.timedelta(minutes=settings.REMINDER_STALE_CLAIM_MINUTES)
