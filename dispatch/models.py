"""Dispatch rounds (调度): the provincial office asks every responsible
division to report on each of its open cases by a cutoff.

A ``Round`` snapshots, when it opens, the cases it covers as
``RoundCase`` rows, so that "missing" means exactly the cases that were
open then and have no report yet. A report is an event on the case
(cases/writes.py); its ``RoundCase`` row keeps when the first report came
(on time or late) and the latest report's event, which is the one that
counts. A ``RoundTemplate`` opens a round per period (beat,
dispatch/tasks.py); (template, period) is unique, so a second run opens
nothing."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.validation import NOTE_TEXT, bounded_text, plain_text


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    AD_HOC = "ad_hoc", _("Ad hoc")


# A template repeats; an ad hoc round is opened by hand.
RECURRING = (Cadence.WEEKLY, Cadence.MONTHLY, Cadence.QUARTERLY)


class Coverage(models.Model):
    """What a round (or a template's rounds) covers."""

    campaigns = models.ManyToManyField(
        "cases.Campaign", verbose_name=_("campaigns covered"), blank=True, related_name="+", help_text=_("None: every campaign.")
    )
    divisions = models.ManyToManyField(
        "cases.Division", verbose_name=_("divisions covered"), blank=True, related_name="+",
        help_text=_("Each with its whole subtree. None: every division."),
    )  # fmt: skip

    class Meta:
        abstract = True


class RoundTemplate(Coverage):
    """A recurring round: opened on ``weekday`` of each week or
    ``day_of_month`` of each month (of the first month of each quarter),
    with its cutoff ``cutoff_days`` later at ``cutoff_time``
    (Asia/Shanghai), named by ``name_pattern`` with its number."""

    name_pattern = models.CharField(
        _("name pattern"), max_length=64, validators=[plain_text], help_text=_("{n} is replaced by the round's number, e.g. 第{n}期.")
    )
    cadence = models.CharField(_("cadence"), max_length=16, choices=[(c.value, c.label) for c in RECURRING])
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        default=0,
        validators=[MaxValueValidator(6)],
        choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))],
        help_text=_("Weekly rounds open on this day."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Monthly rounds open on this day of each month, quarterly ones of each quarter's first month."),
    )
    cutoff_days = models.PositiveSmallIntegerField(
        _("days to the cutoff"), default=3, validators=[MaxValueValidator(60)], help_text=_("Days from opening to the cutoff.")
    )
    cutoff_time = models.TimeField(_("cutoff time"), default="17:00", help_text=_("Asia/Shanghai."))
    next_number = models.PositiveIntegerField(_("next number"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("round template")
        verbose_name_plural = _("round templates")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(cadence__in=[c.value for c in RECURRING]), name="round_template_cadence_valid"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="round_template_weekday_valid"),
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="round_template_day_valid"),
        ]

    def __str__(self):
        return self.name_pattern

    def name_for(self, number: int) -> str:
        return self.name_pattern.replace("{n}", str(number))


class Round(Coverage):
    name = models.CharField(_("name"), max_length=64, unique=True, validators=[plain_text], help_text=_("e.g. 第12期"))
    cadence = models.CharField(_("cadence"), max_length=16, choices=Cadence.choices)
    cutoff_at = models.DateTimeField(_("cutoff"))
    template = models.ForeignKey(
        RoundTemplate, verbose_name=_("template"), on_delete=models.PROTECT, null=True, blank=True, related_name="rounds"
    )
    # The template's period this round is for (its opening day).
    period_on = models.DateField(_("period"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("Empty for a round the schedule opened."),
    )  # fmt: skip
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # Closed by the office (before or after the cutoff): no report is taken
    # after, and the cases not reported stay missing.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.TextField(_("reason for closing"), blank=True, **bounded_text(NOTE_TEXT))

    class Meta:
        verbose_name = _("dispatch round")
        verbose_name_plural = _("dispatch rounds")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="round_cadence_valid"),
            models.CheckConstraint(condition=Q(cutoff_at__gt=models.F("opened_at")), name="round_cutoff_after_opening"),
            models.UniqueConstraint(fields=["template", "period_on"], name="round_one_per_template_period"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, close_reason="") | Q(closed_at__isnull=False) & ~Q(close_reason=""),
                name="round_closed_with_a_reason",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class RoundChange(models.Model):
    """One entry of a round's history, which the office and the divisions
    read on the round's page: opened, edited (each field changed, from and
    to; the cases added and removed), closed (with the reason). Rows are
    only inserted."""

    class Action(models.TextChoices):
        OPENED = "opened", pgettext_lazy("dispatch round", "Opened")
        EDITED = "edited", pgettext_lazy("dispatch round", "Edited")
        CLOSED = "closed", pgettext_lazy("dispatch round", "Closed")

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Empty for the schedule."),
    )  # fmt: skip
    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True, **bounded_text(NOTE_TEXT))

    class Meta:
        verbose_name = _("round history entry")
        verbose_name_plural = _("round history")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=Q(action__in=["opened", "edited", "closed"]), name="round_change_action_valid")]

    def __str__(self):
        return f"{self.round_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RoundCase(models.Model):
    """A case the round covers: open, in its campaigns and divisions, when
    the round opened."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="cases")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    # The first report: on time when at or before the cutoff, else late.
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    # The latest report's event on the case: the one that counts.
    report = models.ForeignKey(
        "cases.CaseEvent", verbose_name=_("latest report"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("case in a round")
        verbose_name_plural = _("cases in a round")
        constraints = [models.UniqueConstraint(fields=["round", "case"], name="round_case_once")]

    def __str__(self):
        return f"{self.round_id}:{self.case_id}"
