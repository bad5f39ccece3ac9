"""What the reports keep: who produced which document (the published
disclosure tables above all), and the traffic-light rules of the
progress report, which the provincial office sets in the admin."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class ReportKind(models.TextChoices):
    DISCLOSURE = "disclosure", pgettext_lazy("report", "Disclosure table")
    PROGRESS = "progress", pgettext_lazy("report", "Progress report")


class ReportFormat(models.TextChoices):
    DOCX = "docx", pgettext_lazy("report", "Word")
    XLSX = "xlsx", pgettext_lazy("report", "Excel")
    HTML = "html", pgettext_lazy("report", "Printable page")


class ReportProduction(models.Model):
    """One production of a report: who, when, what (its parameters and how
    many rows it held). Only ever inserted."""

    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("report", "produced by"), on_delete=models.PROTECT, related_name="+"
    )
    produced_at = models.DateTimeField(pgettext_lazy("report", "produced at"), default=timezone.now)
    kind = models.CharField(pgettext_lazy("report", "report"), max_length=16, choices=ReportKind.choices)
    format = models.CharField(pgettext_lazy("report", "format"), max_length=8, choices=ReportFormat.choices)
    parameters = models.JSONField(pgettext_lazy("report", "parameters"), default=dict)
    rows = models.PositiveIntegerField(pgettext_lazy("report", "rows"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("report", "report production")
        verbose_name_plural = pgettext_lazy("report", "report productions")
        ordering = ["-produced_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_valid"),
            models.CheckConstraint(condition=Q(format__in=ReportFormat.values), name="report_format_valid"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_format_display()} {self.produced_at:%Y-%m-%d %H:%M}"


class Light(models.TextChoices):
    RED = "red", pgettext_lazy("report", "Red")
    YELLOW = "yellow", pgettext_lazy("report", "Yellow")
    GREEN = "green", pgettext_lazy("report", "Green")


class Measure(models.TextChoices):
    """What a rule looks at, per city, on the report's date."""

    MAX_DAYS_OVERDUE = "max_days_overdue", pgettext_lazy("report", "Days overdue of its most overdue case")
    OVERDUE_CASES = "overdue_cases", pgettext_lazy("report", "Number of overdue cases")
    OVERDUE_PERCENT = "overdue_percent", pgettext_lazy("report", "Overdue cases as a percentage of all its cases")
    OPEN_PERCENT = "open_percent", pgettext_lazy("report", "Cases not closed as a percentage of all its cases")


class TrafficLightRule(models.Model):
    """A city is red when any active red rule holds, else yellow when any
    active yellow rule holds, else green. A rule holds when the city's
    measure is greater than the threshold."""

    light = models.CharField(
        pgettext_lazy("report", "light"), max_length=8, choices=[(Light.RED, Light.RED.label), (Light.YELLOW, Light.YELLOW.label)]
    )
    measure = models.CharField(pgettext_lazy("report", "measure"), max_length=24, choices=Measure.choices)
    threshold = models.DecimalField(pgettext_lazy("report", "greater than"), max_digits=8, decimal_places=2)
    active = models.BooleanField(pgettext_lazy("report", "active"), default=True)

    class Meta:
        verbose_name = pgettext_lazy("report", "traffic-light rule")
        verbose_name_plural = pgettext_lazy("report", "traffic-light rules")
        ordering = ["light", "measure", "threshold"]
        constraints = [
            models.CheckConstraint(condition=Q(light__in=[Light.RED, Light.YELLOW]), name="rule_light_valid"),
            models.CheckConstraint(condition=Q(measure__in=Measure.values), name="rule_measure_valid"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="rule_threshold_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_light_display()}: {self.get_measure_display()} > {self.threshold.normalize():f}"
