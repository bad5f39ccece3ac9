"""The dispatch pages: the rounds, one round's per-division status with
催报, and a division's report on its cases. Each calls the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cases.errors import CaseError, page_refusal

from . import services
from .forms import CloseForm, ReportForm, RoundEditForm, RoundForm

# The cases a reporter sees on the round's page at once, the missing first.
LISTED_CASES = 200


def _index(request, form, status=200):
    rounds = list(services.visible_rounds(request.user).select_related("opened_by"))
    totals = services.round_totals(rounds, request.user)
    context = {
        "rounds": [(r, totals[r.pk]) for r in rounds],
        "form": form if request.user.is_supervisor else None,
    }
    return render(request, "dispatch/index.html", context, status=status)


@require_GET
@login_required
def index(request):
    return _index(request, RoundForm())


@require_POST
@login_required
def open_round(request):
    try:
        services.ensure_may_open(request.user)
    except CaseError as error:
        raise page_refusal(error) from error
    form = RoundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            round = services.open_round(
                actor=request.user, name=data["name"], cadence=data["cadence"], cutoff_at=data["cutoff"],
                campaigns=list(data["campaigns"]), divisions=list(data["divisions"]),
            )  # fmt: skip
        except CaseError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Round %(name)s opened.") % {"name": round.name})
            return redirect("dispatch:round", pk=round.pk)
    return _index(request, form, status=400)


def _round(request, pk: int):
    try:
        return services.visible_round(request.user, pk)
    except CaseError as error:
        raise page_refusal(error) from error


def report_form(case_id: int, data=None) -> ReportForm:
    """A case's row form, its fields' ids told apart by the case."""
    return ReportForm(data, initial={"case": case_id}, auto_id=f"id_%s_{case_id}")


def _round_page(request, round, *, failed: dict | None = None, edit_form=None, close_form=None, status=200):
    listed = (
        services.round_cases(round, request.user)
        .select_related("case", "case__division", "report")
        .order_by("reported_at", "case__division_id", "case_id")[:LISTED_CASES]
    )
    failed = failed or {}
    rows = [(row, failed.get(row.case_id) or report_form(row.case_id)) for row in listed]
    office = request.user.is_supervisor
    context = {
        "round": round,
        "status": services.round_status(round, request.user),
        "rows": rows,
        "listed_limit": LISTED_CASES,
        "may_report": request.user.may_write and not round.is_closed,
        "may_urge": office,
        "may_edit": office and not round.is_closed,
        "edit_form": edit_form or (RoundEditForm.of(round) if office else None),
        "close_form": close_form or CloseForm(auto_id="id_close_%s"),
        "history": services.history(round),
        "late": round.cutoff_at < timezone.now(),
    }
    return render(request, "dispatch/round.html", context, status=status)


@require_GET
@login_required
def round_page(request, pk: int):
    return _round_page(request, _round(request, pk))


@require_POST
@login_required
def report(request, pk: int):
    """One case's report from the round's page."""
    round = _round(request, pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        case_id = form.cleaned_data.get("case")
        if case_id:
            form = report_form(case_id, request.POST)
            form.is_valid()
        return _round_page(request, round, failed={case_id: form} if case_id else {}, status=400)
    data = form.cleaned_data
    progress = None if data["no_change"] else data["progress"]
    try:
        services.report(round=round, actor=request.user, items=[{"case": data["case"], "progress": progress}])
    except services.RoundClosed as error:
        return _refused(request, round, error)  # the page no longer has the case's form to say it on
    except CaseError as error:
        refusal = page_refusal(error)
        if refusal is not None:
            raise refusal from error
        form.add_error("progress", str(error.message))
        return _round_page(request, round, failed={data["case"]: form}, status=400)
    messages.success(request, _("Reported."))
    return redirect("dispatch:round", pk=round.pk)


def _refused(request, round, error: CaseError):
    """A refusal of a batch on the round's page: a 404 or 403 as such,
    anything else said at the top of the page."""
    refusal = page_refusal(error)
    if refusal is not None:
        raise refusal from error
    messages.error(request, str(error.message))
    return redirect("dispatch:round", pk=round.pk)


@require_POST
@login_required
def report_no_change(request, pk: int):
    """"No change" on every ticked case of the round at once (a county with
    fifty unchanged cases sends one form, not fifty), or on all the caller's
    cases not yet reported; all or nothing, one transaction."""
    round = _round(request, pk)
    if request.POST.get("all_missing"):
        # Every case of the caller's not yet reported (a county whose many
        # cases did not change), however many fit in one report.
        ids = list(
            services.round_cases(round, request.user)
            .filter(reported_at__isnull=True)
            .order_by("case_id")
            .values_list("case_id", flat=True)[: services.MAX_REPORTS]
        )
        if not ids:
            messages.error(request, _("Every case of yours in this round has been reported on."))
            return redirect("dispatch:round", pk=round.pk)
    else:
        # A malformed value (only a forged form sends one) ticks nothing.
        ids = [int(value) for value in request.POST.getlist("case") if value.isdigit() and len(value) < 19]
    if not ids:
        messages.error(request, _("Tick the cases that have not changed."))
        return redirect("dispatch:round", pk=round.pk)
    try:
        reported = services.report(
            round=round, actor=request.user, items=[{"case": value, "progress": None} for value in dict.fromkeys(ids)]
        )
    except CaseError as error:
        return _refused(request, round, error)
    messages.success(
        request,
        ngettext("Reported no change on %(count)d case.", "Reported no change on %(count)d cases.", len(reported))
        % {"count": len(reported)},
    )
    return redirect("dispatch:round", pk=round.pk)


@require_POST
@login_required
def urge(request, pk: int):
    round = _round(request, pk)
    try:
        urgings = services.urge_missing(round=round, actor=request.user, note=request.POST.get("note", ""))
    except CaseError as error:
        return _refused(request, round, error)
    messages.success(
        request,
        ngettext("Urged %(count)d division.", "Urged %(count)d divisions.", len(urgings)) % {"count": len(urgings)},
    )
    return redirect("dispatch:round", pk=round.pk)


def _office_round(request, pk: int):
    """The round, for the office only: 404 outside the caller's rounds, 403
    for anyone else who sees it."""
    round = _round(request, pk)
    try:
        services.ensure_may_open(request.user)
    except CaseError as error:
        raise page_refusal(error) from error
    return round


def _form_refusal(request, round, form, error: CaseError, **page):
    """A refusal of an edit or the closing: a 404 or 403 as such, anything
    else said on the form it came from (its field's error when it names one)."""
    refusal = page_refusal(error)
    if refusal is not None:
        raise refusal from error
    form.add_error(error.field if error.field in form.fields else None, str(error.message))
    return _round_page(request, round, status=error.http_status, **page)


@require_POST
@login_required
def edit_round(request, pk: int):
    round = _office_round(request, pk)
    form = RoundEditForm(request.POST, auto_id="id_edit_%s")
    if not form.is_valid():
        return _round_page(request, round, edit_form=form, status=400)
    data = form.cleaned_data
    entries = round.history.count()
    try:
        round = services.edit_round(
            round=round, actor=request.user, name=data["name"], cutoff_at=data["cutoff"],
            campaigns=list(data["campaigns"]), divisions=list(data["divisions"]),
        )  # fmt: skip
    except CaseError as error:
        return _form_refusal(request, round, form, error, edit_form=form)
    if round.history.count() == entries:
        messages.info(request, _("Nothing was changed."))
    else:
        messages.success(request, _("Round %(name)s changed.") % {"name": round.name})
    return redirect("dispatch:round", pk=round.pk)


@require_POST
@login_required
def close_round(request, pk: int):
    round = _office_round(request, pk)
    form = CloseForm(request.POST, auto_id="id_close_%s")
    if not form.is_valid():
        return _round_page(request, round, close_form=form, status=400)
    try:
        round = services.close_round(round=round, actor=request.user, reason=form.cleaned_data["reason"])
    except CaseError as error:
        return _form_refusal(request, round, form, error, close_form=form)
    messages.success(request, _("Round %(name)s closed.") % {"name": round.name})
    return redirect("dispatch:round", pk=round.pk)
