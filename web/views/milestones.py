"""The case page's milestone forms (阶段性目标): add a yearly target, mark
one met or not met, delete one set by mistake. Each calls one service of cases.milestones, which
keeps the case's deadline at the earliest unmet target."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import milestones
from cases.errors import CaseError, InvalidInput

from ..forms import MilestoneDeleteForm, MilestoneForm, MilestoneMetForm
from .case import _refused, _render_case, _stale, _visible_case


@require_POST
@login_required
def case_milestone_add(request, pk: int):
    case = _visible_case(request, pk)
    form = MilestoneForm(request.POST, case=case)
    if not form.is_valid():
        return _render_case(request, case, bound={"milestone": form}, status=400)

    def build(data, current):
        return MilestoneForm(data, case=current)

    error = _stale(form, case)
    if error:
        return _refused(request, case, error, "milestone", form, build)
    data = form.cleaned_data
    try:
        milestones.add_milestone(
            case=case, actor=request.user, due_on=data["due_on"], target=data["target"], expected_version=data["expected_version"]
        )
    except InvalidInput as invalid:
        form.add_service_errors(invalid)
        return _render_case(request, case, bound={"milestone": form}, status=400)
    except CaseError as refused:
        return _refused(request, case, refused, "milestone", form, build)
    messages.success(request, _("Milestone added."))
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@login_required
def case_milestone_met(request, pk: int, mid: int):
    """Marks the target met on the day given (today when none), or not met
    again when the form says ``undo``."""
    case = _visible_case(request, pk)
    form = MilestoneMetForm(request.POST)
    error = None if form.is_valid() else InvalidInput("met_on", _("Enter a date as YYYY-MM-DD."))
    if error is None:
        error = _stale(form, case)
    if error is None:
        undo = request.POST.get("undo") == "1"
        try:
            milestones.edit_milestone(
                case=case,
                actor=request.user,
                milestone_id=mid,
                data={"met_on": None if undo else form.cleaned_data["met_on"] or milestones.local_today()},
                expected_version=form.cleaned_data["expected_version"],
            )
        except CaseError as refused:
            error = refused
    if error is not None:
        return _case_page_with_error(request, case, error)
    messages.success(request, _("Milestone marked not met.") if undo else _("Milestone marked met."))
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@login_required
def case_milestone_delete(request, pk: int, mid: int):
    """Deletes a target; the timeline keeps what it was."""
    case = _visible_case(request, pk)
    form = MilestoneDeleteForm(request.POST)
    error = None if form.is_valid() else InvalidInput("expected_version", _("Reload the page and try again."))
    if error is None:
        error = _stale(form, case)
    if error is None:
        try:
            milestones.delete_milestone(
                case=case, actor=request.user, milestone_id=mid, expected_version=form.cleaned_data["expected_version"]
            )
        except CaseError as refused:
            error = refused
    if error is not None:
        return _case_page_with_error(request, case, error)
    messages.success(request, _("Milestone deleted."))
    return redirect("web:case_detail", pk=case.pk)


def _case_page_with_error(request, case, error):
    """The case page again, as it is now, with why the change was refused."""
    messages.error(request, str(error.message))
    case.refresh_from_db()
    return _render_case(request, case, status=error.http_status)
