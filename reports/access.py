"""Who may produce the reports, and the record of each production."""

from django.utils.translation import pgettext_lazy

from cases.errors import RoleNotAllowed

from .models import ReportProduction


def ensure_may_produce_reports(user) -> None:
    """The reports are the provincial office's: its progress report ranks
    every city and its disclosure table is published. Refused before any
    parameter is looked at, so the refusal says nothing about the data."""
    if not (user.is_authenticated and user.is_active and user.is_supervisor):
        raise RoleNotAllowed(
            pgettext_lazy("report", "Only the provincial rectification office produces reports."), code="reports_not_allowed"
        )


def record_production(*, user, kind: str, format: str, parameters: dict, rows: int) -> ReportProduction:
    return ReportProduction.objects.create(
        produced_by=user, kind=kind, format=format, parameters=parameters, rows=rows
    )
