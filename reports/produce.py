"""Producing a report, whichever way it is asked for (API or page): check
who asks, parse the query, build the document, record the production.
The views only turn the outcome into a response."""

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from django.utils.translation import pgettext_lazy

from cases.errors import CaseError, InvalidInput
from cases.spreadsheet import XLSX_CONTENT_TYPE

from .access import ensure_may_produce_reports, record_production
from .disclosure import DisclosureQuery, disclosure_docx, disclosure_table, disclosure_xlsx
from .models import ReportFormat, ReportKind
from .progress import ProgressQuery, dates_of_round, progress_report
from .progress_documents import overdue_rows, progress_docx, progress_xlsx

CONTENT_TYPES = {
    ReportFormat.XLSX: XLSX_CONTENT_TYPE,
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class NothingToReport(CaseError):
    """The query is well-formed but selects nothing the caller may see."""

    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Produced:
    file: object  # positioned at its start
    filename: str
    content_type: str


@contextlib.contextmanager
def one_snapshot():
    """The queries of one report read one snapshot of the database
    (REPEATABLE READ on PostgreSQL), so that its tables add up while the
    cities keep writing. PostgreSQL's JIT compiler is off for them: their
    aggregates carry many filtered counts, and compiling those costs
    seconds, more than it saves on a few hundred thousand rows."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL enable_incremental_sort = off")
        yield


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
    For the page (``format`` html) the report and the first rows of its
    overdue list; otherwise the file."""
    ensure_may_produce_reports(user)
    wanted = _parse(ProgressQuery, query)
    round = None
    if wanted["round"] is not None:
        from dispatch.models import Round

        round = Round.objects.filter(pk=wanted["round"]).first()
        if round is None:
            raise NothingToReport(pgettext_lazy("report", "There is no such dispatch round."), field="round")
        wanted["date"], wanted["since"] = dates_of_round(round)
    with one_snapshot():
        report = progress_report(user=user, day=wanted["date"], since=wanted["since"], round=round)
        if format == ReportFormat.HTML:
            content = list(overdue_rows(report, limit=settings.REPORT_NOTICE_OVERDUE_ROWS))
        else:
            write = progress_xlsx if format == ReportFormat.XLSX else progress_docx
            content = write(report)
    record_production(
        user=user, kind=ReportKind.PROGRESS, format=format, parameters=report.parameters(), rows=len(report.cities)
    )
    if format == ReportFormat.HTML:
        return report, content
    return Produced(content, f"{report.filename}.{format}", CONTENT_TYPES[format])
