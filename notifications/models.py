"""Where people read their reminders.

``Channel``: a way to reach an account, or a division's or a unit's group,
outside the site (an e-mail address, a DingTalk or WeCom group robot, a
mobile number for SMS); an account's own e-mail address is a channel
without a row. ``Notification``: the in-app
copy of every digest, urging and escalation, which every account gets
whatever channels it has."""

from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")
    SMS = "sms", _("SMS")


ROBOTS = (ChannelKind.DINGTALK, ChannelKind.WECOM)
# The query parameter of a robot's webhook that works as its password.
WEBHOOK_KEY = {ChannelKind.DINGTALK: "access_token", ChannelKind.WECOM: "key"}


class Channel(models.Model):
    """One way to reach one account, or a group: a division's or a unit's
    (its bureau's DingTalk or WeCom group, a shared mailbox). A group's
    channel gets what its accounts get, once for the group, not once per
    account, and as much when it has no account receiving it
    (reminders.services.route_channels).

    The webhook of a robot carries its access token (DingTalk) or key
    (WeCom) and the DingTalk robot has a signing secret: whoever holds them
    can post to the group, so neither is ever shown back (``masked``)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channels",
    )
    division = models.ForeignKey(
        "cases.Division",
        verbose_name=_("division"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channels",
        help_text=_("A division's group: it gets what the division's accounts (not bound to a unit) get, once."),
    )
    unit = models.ForeignKey(
        "cases.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channels",
        help_text=_("A unit's group: it gets what the unit's accounts get, once."),
    )
    address = models.CharField(
        _("address"),
        max_length=500,
        help_text=_("E-mail address, robot webhook URL or mobile number."),
    )
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The pacing of a robot: the earliest moment its next message may go
    # out (see notifications.pacing).
    next_slot_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChannelKind.values), name="channel_kind_valid"),
            # Exactly one owner: an account, a division or a unit.
            models.CheckConstraint(
                condition=Q(user__isnull=False, division__isnull=True, unit__isnull=True)
                | Q(user__isnull=True, division__isnull=False, unit__isnull=True)
                | Q(user__isnull=True, division__isnull=True, unit__isnull=False),
                name="channel_has_one_owner",
            ),
            models.UniqueConstraint(fields=["user", "kind", "address"], name="channel_unique_per_owner"),
            models.UniqueConstraint(fields=["division", "kind", "address"], name="channel_unique_per_division"),
            models.UniqueConstraint(fields=["unit", "kind", "address"], name="channel_unique_per_unit"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.masked}"

    @property
    def owner(self):
        return self.user or self.division or self.unit

    @property
    def is_group(self) -> bool:
        return self.user_id is None

    @property
    def masked(self) -> str:
        """The address as it may be shown: a robot's webhook without its key."""
        return mask_address(self.kind, self.address)


def mask_address(kind: str, address: str) -> str:
    if kind not in ROBOTS:
        return address
    parts = urlsplit(address)
    query = "&".join(f"{name}=***" if value else name for name, value in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")


class NotificationKind(models.TextChoices):
    DIGEST = "digest", _("Daily digest")
    URGING = "urging", _("Urging")
    ESCALATION = "escalation", _("Escalation")
    SIGN_OFF = "sign_off", _("Ready for sign-off")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Only ever one's own: anyone else's is a 404."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """The in-app copy of a message. ``key`` names what it is the copy of
    (a digest of a day, an urging), so that writing it twice keeps one."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    key = models.CharField(_("key"), max_length=100)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True, help_text=_("The list on the site it is about."))
    cases = models.JSONField(
        _("cases"), default=list, blank=True, help_text=_("The cases it lists: id, reference and title of each.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once"),
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
        ]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list_idx"),
        ]

    def __str__(self):
        return self.title


class Urging(models.Model):
    """催办: a reviewing level (the provincial office, a city bureau) presses
    a division below it to act on cases, or a city bureau the units
    responsible for its own city-level cases (``to_units``). The responsible accounts get it on
    their channels and in the site; the first receipt (签收) by any of them
    answers it. Not received by ``receipt_due_at`` (N working hours, per
    campaign), it is escalated to the level above the urged division, once
    (``escalated_at``, set by compare-and-swap)."""

    urged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("urged by"), on_delete=models.PROTECT, related_name="urgings_sent"
    )
    division = models.ForeignKey(
        "cases.Division", verbose_name=_("division urged"), on_delete=models.PROTECT, related_name="+"
    )
    cases = models.ManyToManyField("cases.Case", verbose_name=_("cases"), related_name="urgings")
    note = models.TextField(_("note"))
    to_units = models.BooleanField(
        _("to the units"),
        default=False,
        help_text=_(
            "A city bureau's urging of its own city-level cases: the cases' lead and cooperating units answer it, "
            "not the bureau."
        ),
    )
    created_at = models.DateTimeField(_("urged at"), default=timezone.now)
    receipt_due_at = models.DateTimeField(_("to be received by"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("urging")
        verbose_name_plural = _("urgings")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["receipt_due_at"], condition=Q(escalated_at__isnull=True), name="urging_to_escalate_idx"
            )
        ]

    def __str__(self):
        return f"{self.division} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def city_id(self) -> str | None:
        """The city the urged division lies in (API v1's ``city``)."""
        from cases.models import city_code_of

        return city_code_of(self.division_id)


class ReceiptWay(models.TextChoices):
    OPENED = "opened", _("Opened")
    SIGNED = "signed", _("Signed for (签收)")


class UrgingReceipt(models.Model):
    urging = models.ForeignKey(Urging, verbose_name=_("urging"), on_delete=models.CASCADE, related_name="receipts")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    way = models.CharField(_("how"), max_length=16, choices=ReceiptWay.choices)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["urging", "account"], name="urging_receipt_once")]


class CampaignReceiptHours(models.Model):
    """How many working hours a campaign's urgings may wait for a receipt
    before they are escalated (URGING_RECEIPT_WORKING_HOURS when unset)."""

    campaign = models.OneToOneField(
        "cases.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    working_hours = models.PositiveSmallIntegerField(_("working hours to receive an urging"))

    class Meta:
        verbose_name = _("receipt deadline of a campaign")
        verbose_name_plural = _("receipt deadlines of campaigns")

    def __str__(self):
        return f"{self.campaign}: {self.working_hours} h"
