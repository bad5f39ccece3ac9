"""The reports' pages: where the provincial office produces them, and the
printable disclosure table. The files themselves are served by the API
views (the session works there too)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Min
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.constants import Kind
from cases.errors import CaseError, page_refusal
from cases.models import Case

from . import produce
from .access import ensure_may_produce_reports
from .charts import completion_chart
from .ledger import labelled
from .models import ReportFormat
from .progress import ProgressQuery
from .progress_documents import overdue_headers, sections, title_text


def petition_batches(user) -> list[dict]:
    """Each transfer batch of petitions the user may see, with its count."""
    return list(
        Case.objects.for_user(user)
        .filter(kind=Kind.PETITION, petition_batch__isnull=False)
        .order_by()
        .values("campaign__code", "campaign__name", "petition_batch")
        .annotate(petitions=Count("id"), transferred_on=Min("transferred_on"))
        .order_by("campaign__code", "petition_batch")
    )


@require_GET
@login_required
def index(request):
    try:
        ensure_may_produce_reports(request.user)
    except CaseError as error:
        raise page_refusal(error) from error
    context = {"batches": petition_batches(request.user), "progress_form": ProgressQuery()}
    return render(request, "reports/index.html", context)


@require_GET
@login_required
def disclosure_page(request):
    """The table as a page to print (A4 landscape) or check before
    publishing; links to the same table as Word and Excel."""
    try:
        table = produce.disclosure(user=request.user, query=request.GET, format=ReportFormat.HTML)
    except CaseError as error:
        refusal = page_refusal(error)
        if refusal is not None:
            raise refusal from error
        context = {"error": error, "batches": petition_batches(request.user), "progress_form": ProgressQuery()}
        return render(request, "reports/index.html", context, status=400)
    context = {"table": table, "labelled_rows": labelled(table.headers, table.rows), "query": request.GET.urlencode()}
    return render(request, "reports/disclosure.html", context)


@require_GET
@login_required
def progress_page(request):
    """The progress report on a page, in the reader's language, with its
    ranking chart; links to the Word notice and the Excel workbook."""
    try:
        report, listed = produce.progress(user=request.user, query=request.GET, format=ReportFormat.HTML)
    except CaseError as error:
        refusal = page_refusal(error)
        if refusal is not None:
            raise refusal from error
        form = ProgressQuery(request.GET)
        form.is_valid()
        context = {"batches": petition_batches(request.user), "progress_form": form}
        return render(request, "reports/index.html", context, status=400)
    limit = settings.REPORT_NOTICE_OVERDUE_ROWS
    context = {
        "report": report,
        "title": title_text(),
        "sections": sections(report),
        "chart": completion_chart(report.ranked),
        "overdue_headers": overdue_headers(),
        "overdue_rows": listed,
        "overdue_limited": report.totals.overdue > limit,
        "limit": limit,
        "query": report.parameters(),
    }
    return render(request, "reports/progress.html", context)
