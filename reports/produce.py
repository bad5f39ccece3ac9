"""Producing a report, whichever way it is asked for (API or page): check
who asks, parse the query, build the document, record the production.
The views only turn the outcome into a response."""

from dataclasses import dataclass

from django.utils.translation import pgettext_lazy

from cases.errors import CaseError, InvalidInput

from .access import ensure_may_produce_reports, record_production
from .disclosure import DisclosureQuery, disclosure_docx, disclosure_table, disclosure_xlsx
from .models import ReportFormat, ReportKind
from .progress import ProgressQuery, progress_report
from .progress_documents import progress_docx, progress_xlsx

CONTENT_TYPES = {
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class NothingToReport(CaseError):
    """The query is well-formed but selects nothing the caller may see."""

    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Produced:
    content: bytes
    filename: str
    content_type: str


def _parse(form_class, query) -> dict:
    form = form_class(query)
    if not form.is_valid():
        raise InvalidInput.from_errors(form.errors)
    return form.cleaned_data


def disclosure(*, user, query, format: str):
    """The disclosure table of the batch ``query`` names. For the printable
    page (``format`` html) the table itself; otherwise the file."""
    ensure_may_produce_reports(user)
    wanted = _parse(DisclosureQuery, query)
    table = disclosure_table(user=user, campaign=wanted["campaign"], batch=wanted["batch"])
    if table is None:
        raise NothingToReport(pgettext_lazy("report", "This campaign has no petitions in that batch."), field="batch")
    record_production(
        user=user, kind=ReportKind.DISCLOSURE, format=format, parameters=table.parameters(), rows=len(table.rows)
    )
    if format == ReportFormat.HTML:
        return table
    write = disclosure_xlsx if format == ReportFormat.XLSX else disclosure_docx
    return Produced(write(table), f"{table.filename}.{format}", CONTENT_TYPES[format])


def progress(*, user, query, format: str):
    """The progress report for the date ``query`` names (today by default).
    For the page (``format`` html) the report itself; otherwise the file."""
    ensure_may_produce_reports(user)
    wanted = _parse(ProgressQuery, query)
    report = progress_report(user=user, day=wanted["date"], since=wanted["since"])
    record_production(
        user=user, kind=ReportKind.PROGRESS, format=format, parameters=report.parameters(), rows=len(report.cities)
    )
    if format == ReportFormat.HTML:
        return report
    write = progress_xlsx if format == ReportFormat.XLSX else progress_docx
    return Produced(write(report), f"{report.filename}.{format}", CONTENT_TYPES[format])
