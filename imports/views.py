"""The supervisor's import pages and the ledger export. Thin: parse the
request, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.errors import CaseError, InvalidInput
from cases.filters import CaseFilter
from cases.models import Campaign, Case
from cases.querysets import local_today

from . import services
from .export import ledger_response
from .forms import ImportForm
from .models import OUTCOMES, JobState

OUTCOME_LABELS = {
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "invalid": gettext_lazy("Invalid"),
}

ROWS_PER_PAGE = 100


def _ensure_may_import(request):
    if not services.may_import(request.user):
        raise PermissionDenied(_("Only provincial supervisors may import spreadsheets."))


@login_required
def upload(request):
    _ensure_may_import(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.start_import(
                    actor=request.user,
                    data=services.read_upload(upload),
                    filename=upload.name,
                    campaign_code=form.cleaned_data["campaign"].code,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except InvalidInput as error:
                for field, field_messages in error.errors.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                return redirect("imports:job", pk=job.pk)
        status = 400
    jobs = services.jobs_for(request.user)[:20]
    context = {
        "form": form,
        "jobs": jobs,
        "campaigns": Campaign.objects.all(),
        "max_megabytes": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.IMPORT_MAX_ROWS,
    }
    return render(request, "imports/upload.html", context, status=status)


@login_required
def job_detail(request, pk: int):
    _ensure_may_import(request)
    job = get_object_or_404(services.jobs_for(request.user), pk=pk)
    # A file refused for its rows shows just those rows.
    shown = "invalid" if job.state == JobState.FAILED else request.GET.get("outcome", "")
    rows = (job.report or {}).get("rows", [])
    if shown in OUTCOMES:
        rows = [row for row in rows if row["outcome"] == shown]
    elif shown != "all":
        # What needs a look first: everything but the unchanged rows.
        rows = [row for row in rows if row["outcome"] != "unchanged"]
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row["outcome_label"] = OUTCOME_LABELS[row["outcome"]]
    context = {
        "job": job,
        "page": page,
        "shown": shown,
        "summary": [(outcome, label, job.counts()[outcome]) for outcome, label in OUTCOME_LABELS.items()],
        "sheets": (job.report or {}).get("sheets", []),
        "may_apply": job.dry_run and job.state == "done" and not job.invalid_count and (job.created_count + job.updated_count) > 0,
    }
    return render(request, "imports/job.html", context)


@login_required
@require_POST
def job_apply(request, pk: int):
    _ensure_may_import(request)
    job = get_object_or_404(services.jobs_for(request.user), pk=pk)
    try:
        applied = services.apply_dry_run(actor=request.user, job=job)
    except CaseError as error:
        messages.error(request, str(error.message))
        return redirect("imports:job", pk=job.pk)
    return redirect("imports:job", pk=applied.pk)


@login_required
def ledger_export(request):
    """The ledger of the cases the viewer can see, filtered like the lists."""
    filterset = CaseFilter(request.GET, queryset=Case.objects.for_user(request.user), request=request)
    if not filterset.is_valid():
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    return ledger_response(filterset.qs, today=local_today())
