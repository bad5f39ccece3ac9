"""The case page and its action forms. Each form posts to its own URL,
calls one workflow or service function and, on an error, renders the page
again with the message next to the field (or at the top for a conflict)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import services, workflow
from cases.constants import ACCOUNTABILITY_FIELDS, EventAction, Kind, PollutionType, Status, status_label
from cases.display import change_rows
from cases.errors import CaseError, ConcurrentChange, InvalidInput
from cases.models import Attachment, Case
from cases.querysets import local_today

from ..forms import EvidenceForm, ProgressForm, TransitionForm

# Facts shown on the case page, by kind, after the common ones.
KIND_FACTS = {
    Kind.FEEDBACK_PROBLEM: ("problem_number", "target", "measures", "lead_unit", "cooperating_units"),
    Kind.PROVINCIAL_PROBLEM: ("problem_number", "target", "measures", "lead_unit", "cooperating_units"),
    Kind.PETITION: (
        "acceptance_number",
        "petition_batch",
        "transferred_on",
        "district",
        "is_key_case",
        "duplicate_of",
        "investigation",
        "veracity",
        "handling",
    ),
    Kind.WARNING_ITEM: ("film_year", "found_on"),
}


def _visible_case(request, pk: int) -> Case:
    """Another city's case is a 404, exactly like a case that does not exist."""
    queryset = Case.objects.for_user(request.user).select_related("city", "campaign", "duplicate_of")
    return get_object_or_404(queryset, pk=pk)


def _facts(case: Case) -> list[tuple[str, object]]:
    facts = []
    for name in KIND_FACTS.get(case.kind, ()):
        field = Case._meta.get_field(name)
        value = getattr(case, f"get_{name}_display")() if field.choices else getattr(case, name)
        if value not in (None, ""):
            facts.append((field.verbose_name, value))
    return facts


def _accountability(case: Case) -> list[tuple[str, object]]:
    if case.kind != Kind.PETITION:
        return []
    return [(Case._meta.get_field(name).verbose_name, getattr(case, name)) for name in ACCOUNTABILITY_FIELDS]


def _timeline(case: Case) -> list:
    """Events newest first, each headed by what happened in the case's own
    words (a petition goes 办理中 → 待审核) and listing the fields it changed
    with their labels and display values, so it reads as the audit trail."""
    events = list(case.events.select_related("actor").prefetch_related("attachments").order_by("-version", "-id"))
    for event in events:
        if event.action == EventAction.TRANSITION:
            event.heading = f"{status_label(event.from_status, case.kind)} → {status_label(event.to_status, case.kind)}"
        else:
            event.heading = event.get_action_display()
        event.changed_fields = change_rows(event.changes)
    return events


def _may_attach(case: Case, user) -> bool:
    # Mirrors services.attach_evidence, which has the last word.
    return user.may_write and (case.status != Status.CLOSED or user.is_supervisor)


def _render_case(request, case: Case, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    user = request.user
    today = local_today()
    transition_forms = [
        bound.get(f"t-{to}") or TransitionForm(case=case, to=to, rule=rule)
        for to, rule in workflow.available_transitions(case, user)
    ]
    editable = services.editable_fields(case, user)
    progress_form = None
    if editable and "progress" in editable:
        progress_form = bound.get("progress") or ProgressForm(case=case, editable=editable)
    evidence_form = None
    if _may_attach(case, user):
        evidence_form = bound.get("evidence") or EvidenceForm(case=case)
    context = {
        "case": case,
        "today": today,
        "is_overdue": case.is_overdue_on(today),
        "days_overdue": case.days_overdue_on(today),
        "is_due_soon": case.is_due_soon_on(today),
        "facts": _facts(case),
        "accountability": _accountability(case),
        "pollution_types": [PollutionType(p).label for p in case.pollution_types if p in PollutionType.values],
        "events": _timeline(case),
        "standing_return": workflow.standing_returns([case]).get(case.pk),
        "transition_forms": transition_forms,
        "progress_form": progress_form,
        "evidence_form": evidence_form,
    }
    return render(request, "web/case_detail.html", context, status=status)


@require_GET
@login_required
def case_detail(request, pk: int):
    return _render_case(request, _visible_case(request, pk))


def _refused(request, case: Case, error: CaseError, bound: dict):
    """A refusal other than bad input: say why at the top of the page. On a
    conflict the page is drawn from the current case, so the viewer sees the
    change they missed and no stale form survives."""
    messages.error(request, str(error.message))
    if isinstance(error, ConcurrentChange):
        case.refresh_from_db()
        bound = {}
    return _render_case(request, case, bound=bound, status=error.http_status)


def _stale(form, case: Case) -> ConcurrentChange | None:
    # Checked before the workflow so that a form for a status the case has
    # already left says "changed meanwhile", not "this move is not allowed".
    if form.cleaned_data["expected_version"] != case.version:
        return ConcurrentChange(case.version)
    return None


@require_POST
@login_required
def case_transition(request, pk: int):
    case = _visible_case(request, pk)
    to = request.POST.get("to", "")
    rule = workflow.rule_for(case.status, to)
    if rule is None:
        # The page offered a move the case can no longer make: someone else
        # moved it first, or the form was forged.
        messages.error(request, _("This action is no longer available: the case was changed meanwhile."))
        return _render_case(request, case, status=409)
    form = TransitionForm(request.POST, case=case, to=to, rule=rule)
    key = f"t-{to}"
    if not form.is_valid():
        return _render_case(request, case, bound={key: form}, status=400)
    error = _stale(form, case)
    if error:
        return _refused(request, case, error, {key: form})
    data = form.cleaned_data
    try:
        workflow.transition(
            case=case,
            to=to,
            actor=request.user,
            note=data["note"],
            expected_version=data["expected_version"],
            veracity=data.get("veracity") if "veracity" in form.fields else None,
            handling=data.get("handling") if "handling" in form.fields else None,
        )
    except InvalidInput as invalid:
        form.add_service_errors(invalid)
        return _render_case(request, case, bound={key: form}, status=400)
    except CaseError as refused:
        return _refused(request, case, refused, {key: form})
    messages.success(request, _("%(action)s: done.") % {"action": rule.label_for(case.kind)})
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@login_required
def case_progress(request, pk: int):
    case = _visible_case(request, pk)
    form = ProgressForm(request.POST, case=case, editable=services.editable_fields(case, request.user))
    if not form.is_valid():
        return _render_case(request, case, bound={"progress": form}, status=400)
    error = _stale(form, case)
    if error:
        return _refused(request, case, error, {"progress": form})
    version = case.version
    try:
        case = services.update_case(
            case=case,
            actor=request.user,
            data=form.changed_values(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except InvalidInput as invalid:
        form.add_service_errors(invalid)
        return _render_case(request, case, bound={"progress": form}, status=400)
    except CaseError as refused:
        return _refused(request, case, refused, {"progress": form})
    if case.version == version:
        messages.info(request, _("Nothing was changed."))
    else:
        messages.success(request, _("Progress recorded."))
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@login_required
def case_evidence(request, pk: int):
    case = _visible_case(request, pk)
    form = EvidenceForm(request.POST, request.FILES, case=case)
    if not form.is_valid():
        return _render_case(request, case, bound={"evidence": form}, status=400)
    error = _stale(form, case)
    if error:
        return _refused(request, case, error, {"evidence": form})
    try:
        attachment = services.attach_evidence(
            case=case,
            actor=request.user,
            upload=form.cleaned_data["file"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except InvalidInput as invalid:
        form.add_service_errors(invalid)
        return _render_case(request, case, bound={"evidence": form}, status=400)
    except CaseError as refused:
        return _refused(request, case, refused, {"evidence": form})
    messages.success(request, _("Evidence “%(name)s” attached.") % {"name": attachment.original_name})
    return redirect("web:case_detail", pk=case.pk)


@require_GET
@login_required
def evidence_download(request, pk: int, attachment_id: int):
    case = _visible_case(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, case=case)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
