"""A year's official schedule of holidays and make-up working days (调休),
as the State Council publishes it each November. Entered here, it is the
schedule of that year, whatever the ``chinese-calendar`` package says."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Make-up working day")


class YearSchedule(models.Model):
    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("The notice the schedule comes from, e.g. its number.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("year's holiday schedule")
        verbose_name_plural = _("years' holiday schedules")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class ScheduleDay(models.Model):
    """One date that differs from Monday–Friday: a holiday (also one on a
    weekend inside a holiday period) or a make-up working day."""

    schedule = models.ForeignKey(YearSchedule, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("holiday"), max_length=40, blank=True, help_text=_("e.g. 国庆节"))

    class Meta:
        verbose_name = _("schedule day")
        verbose_name_plural = _("schedule days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=DayKind.values), name="schedule_day_kind_valid"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"

    def clean(self):
        errors = {}
        try:
            year = self.schedule.year
        except YearSchedule.DoesNotExist:
            year = None
        if self.date and year and self.date.year != year:
            errors["date"] = _("The date is not in %(year)d.") % {"year": year}
        if self.date and self.kind == DayKind.WORKDAY and self.date.weekday() < 5:
            errors["kind"] = _("%(date)s is a weekday; a make-up working day falls on a Saturday or Sunday.") % {
                "date": self.date.isoformat()
            }
        if errors:
            raise ValidationError(errors)
