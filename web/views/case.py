"""The case page and its action forms. Each form posts to its own URL,
calls one workflow or service function and, on an error, renders the page
again with the message next to the field (or at the top for a conflict)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import milestones, services, workflow
from cases.constants import ACCOUNTABILITY_FIELDS, DeadlineType, EventAction, Kind, PollutionType, Status, status_label
from cases.display import change_rows, report_heading, value_label
from cases.errors import CaseError, ConcurrentChange, InvalidInput
from cases.models import Attachment, Case
from cases.querysets import local_today

from notifications.urgings import may_urge, urging_entries
from reports.documents import document_file

from ..forms import EvidenceForm, MilestoneForm, ProgressForm, TransitionForm
from ..signoff import FORM_TITLE, approval_document, form_facts, opinions, sign_off

# Facts shown on the case page, by kind, after the common ones.
KIND_FACTS = {
    Kind.FEEDBACK_PROBLEM: ("problem_number", "target", "measures"),
    Kind.PROVINCIAL_PROBLEM: ("problem_number", "target", "measures"),
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
    queryset = Case.objects.for_user(request.user).select_related(
        "city", "division", "lead_unit", "campaign", "duplicate_of"
    )
    return get_object_or_404(queryset, pk=pk)


# Every case has a lead unit and cooperating units (责任单位 of a ledger).
COMMON_FACTS = ("lead_unit", "cooperating_units")


def _facts(case: Case) -> list[tuple[str, object]]:
    facts = []
    for name in COMMON_FACTS + KIND_FACTS.get(case.kind, ()):
        field = Case._meta.get_field(name)
        if field.many_to_many:
            value = "、".join(str(related) for related in getattr(case, name).all())
        else:
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
        elif event.action == EventAction.REPORTED:
            event.heading = report_heading(event.changes, event.note)
        else:
            event.heading = event.get_action_display()
        # A creation lists every first value; the facts above already show them.
        event.changed_fields = [] if event.action == EventAction.CREATED else change_rows(event.changes, case.kind)
    # Urgings and their receipts are not changes of the case (no version):
    # they come from the urgings, merged in by time.
    return sorted(events + urging_entries(case), key=lambda entry: entry.created_at, reverse=True)


def _may_attach(case: Case, user) -> bool:
    # Mirrors services.attach_evidence, which has the last word.
    return user.may_write and (case.status != Status.CLOSED or user.is_supervisor)


def _evidence_count(case: Case) -> int:
    return case.attachments.count()


def _transition_form(case: Case, user, to: str, data=None, *, rule=None) -> TransitionForm | None:
    """The form for moving ``case`` to ``to``, or None when the viewer may
    not make that move now."""
    if rule is None:
        rule = next((r for r in workflow.available_moves(case, user) if r.target == to), None)
        if rule is None:
            return None
    # Only signing off says how much evidence there is.
    evidence_count = _evidence_count(case) if rule.name == "close" else 0
    return TransitionForm(data, case=case, to=to, rule=rule, evidence_count=evidence_count)


def _progress_form(case: Case, user, data=None) -> ProgressForm | None:
    editable = services.editable_fields(case, user)
    return ProgressForm(data, case=case, editable=editable) if "progress" in editable else None


def _evidence_form(case: Case, user, data=None, files=None) -> EvidenceForm | None:
    return EvidenceForm(data, files, case=case) if _may_attach(case, user) else None


def _actions(case: Case, user, bound: dict) -> list[tuple[str, object]]:
    """The viewer's forms in the order of the work: start, record progress,
    attach evidence, then submit (or, once the city has handed the case in,
    the supervisor's decision first)."""
    moves = [
        bound.get(f"t-{rule.target}") or _transition_form(case, user, rule.target, rule=rule)
        for rule in workflow.available_moves(case, user)
    ]
    first = [("move", form) for form in moves if form.action == "start"]
    later = [("move", form) for form in moves if form.action != "start"]
    edits = []
    progress = bound.get("progress") or _progress_form(case, user)
    if progress is not None:
        edits.append(("progress", progress))
    evidence = bound.get("evidence") or _evidence_form(case, user)
    if evidence is not None:
        edits.append(("evidence", evidence))
    if case.is_with_city:
        return first + edits + later
    return first + later + edits


def _render_case(request, case: Case, *, bound: dict | None = None, status: int = 200):
    today = local_today()
    actions = _actions(case, request.user, bound or {})
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
        "signoff": sign_off(case, today=today),
        "may_urge": may_urge(request.user, case),
        "standing_return": workflow.standing_returns([case]).get(case.pk),
        "actions": actions,
        "transition_forms": [form for name, form in actions if name == "move"],
        "progress_form": next((form for name, form in actions if name == "progress"), None),
        "evidence_form": next((form for name, form in actions if name == "evidence"), None),
        **_milestones(case, request.user, today, bound or {}),
    }
    return render(request, "web/case_detail.html", context, status=status)


def _milestones(case: Case, user, today, bound: dict) -> dict:
    """The 阶段性目标 section: each target with its state (met, missed,
    coming) and, for who may set them, the form to add one."""
    if case.deadline_type != DeadlineType.LONG_TERM:
        return {"milestones": None}
    rows = list(case.milestones.select_related("met_by"))
    for milestone in rows:
        milestone.state = "met" if milestone.met_on else "missed" if milestone.due_on < today else "coming"
    may_set = milestones.may_set_milestones(case, user)
    return {
        "milestones": rows,
        "may_set_milestones": may_set,
        "milestone_form": bound.get("milestone") or (MilestoneForm(case=case) if may_set else None),
    }


@require_GET
@login_required
def case_detail(request, pk: int):
    return _render_case(request, _visible_case(request, pk))


@require_GET
@login_required
def case_sign_off_form(request, pk: int, docx: bool = False):
    """The case's 验收销号审批表, to print (A4) or as a Word document: its
    facts, the evidence standards ticked, each level's opinion, signer and
    date, and lines to sign. Outside the viewer's scope, a 404."""
    case = _visible_case(request, pk)
    signoff = sign_off(case)
    if docx:
        document = document_file(approval_document(case, signoff))
        return FileResponse(document, as_attachment=True, filename=f"{case.reference}-验收销号审批表.docx")
    context = {
        "case": case,
        "title": FORM_TITLE,
        "facts": form_facts(case),
        "signoff": signoff,
        "opinions": opinions(case, signoff),
        "today": local_today(),
    }
    return render(request, "web/sign_off_form.html", context)


def _rebased(form, case: Case, build):
    """The person's form again, drawn against the case as it is now: what
    they typed is kept, the version is the current one (so sending it again
    knowingly replaces what they now see), and each field someone else
    changed since the version they saw shows its saved value beside it.
    None when the form no longer applies (the case has moved on to a status
    where it is not offered)."""
    data = form.data.copy()
    data[form.add_prefix("expected_version")] = str(case.version)
    rebased = build(data, case)
    if rebased is None:
        return None
    changed = set()
    for changes in case.events.filter(version__gt=form.cleaned_data["expected_version"]).values_list("changes", flat=True):
        changed.update(changes or {})
    rebased.saved_meanwhile = {}
    if rebased.is_valid():
        for name, typed in rebased.cleaned_data.items():
            if name in changed and typed != getattr(case, name):
                rebased.saved_meanwhile[name] = value_label(name, getattr(case, name), case.kind)
    return rebased


def _refused(request, case: Case, error: CaseError, key: str, form, build):
    """A refusal other than bad input: say why at the top of the page. On a
    conflict the page is drawn from the current case, with the person's own
    form kept beside what was saved meanwhile, ready to send again."""
    messages.error(request, str(error.message))
    bound = {key: form}
    if isinstance(error, ConcurrentChange):
        case.refresh_from_db()
        rebased = _rebased(form, case, build)
        bound = {key: rebased} if rebased is not None else {}
        if rebased is not None:
            messages.info(request, _("What you typed is kept below, with what was saved meanwhile beside it; check it and send it again."))
        else:
            _keep_typed_note(request, form.data.get(form.add_prefix("note")))
    return _render_case(request, case, bound=bound, status=error.http_status)


def _keep_typed_note(request, note: str | None) -> None:
    # The move is gone from the page, and with it the box the note was in.
    note = (note or "").strip()
    if note:
        messages.warning(request, _("Your note was not sent; copy it if you still need it: %(note)s") % {"note": note})


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
    # The form names its move; a bare target status is what older pages
    # posted. Approving and returning from a higher level keep the status,
    # so only the action can name them.
    action = request.POST.get("action") or None
    if action is not None:
        rule = workflow.MOVES.get(action)
        rule = rule if rule is not None and case.status in rule.sources else None
        to = rule.target if rule is not None else ""
    else:
        to = request.POST.get("to", "")
        rule = workflow.rule_for(case.status, to)
    key = f"t-{to}"
    if rule is None:
        # The page offered a move the case can no longer make: someone else
        # moved it first, or the form was forged.
        messages.error(request, _("This action is no longer available: the case was changed meanwhile."))
        _keep_typed_note(request, request.POST.get(f"{key}-note"))
        return _render_case(request, case, status=409)
    form = _transition_form(case, request.user, to, request.POST, rule=rule)
    if not form.is_valid():
        return _render_case(request, case, bound={key: form}, status=400)

    def build(data, current):
        return _transition_form(current, request.user, to, data)

    error = _stale(form, case)
    if error:
        return _refused(request, case, error, key, form, build)
    data = form.cleaned_data
    try:
        workflow.transition(
            case=case,
            to=to,
            action=action,
            actor=request.user,
            note=data["note"],
            expected_version=data["expected_version"],
            veracity=data.get("veracity") if "veracity" in form.fields else None,
            handling=data.get("handling") if "handling" in form.fields else None,
            received_on=data.get("received_on"),
            channel=data.get("channel"),
            standards=data.get("standards") if "standards" in form.fields else None,
        )
    except InvalidInput as invalid:
        form.add_service_errors(invalid)
        return _render_case(request, case, bound={key: form}, status=400)
    except CaseError as refused:
        return _refused(request, case, refused, key, form, build)
    messages.success(request, _("%(action)s: done.") % {"action": form.label})
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@login_required
def case_progress(request, pk: int):
    case = _visible_case(request, pk)
    form = ProgressForm(request.POST, case=case, editable=services.editable_fields(case, request.user))
    if not form.is_valid():
        return _render_case(request, case, bound={"progress": form}, status=400)

    def build(data, current):
        return _progress_form(current, request.user, data)

    error = _stale(form, case)
    if error:
        return _refused(request, case, error, "progress", form, build)
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
        return _refused(request, case, refused, "progress", form, build)
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

    def build(data, current):
        # A browser never re-sends a file: the description is kept, the
        # file must be chosen again.
        return _evidence_form(current, request.user, data)

    # No version check before the service: a file sent again after an error
    # (the page sends the version it was loaded with) is found there first
    # and answered with the attachment already made.
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
        return _refused(request, case, refused, "evidence", form, build)
    if attachment.is_new:
        messages.success(request, _("Evidence “%(name)s” attached.") % {"name": attachment.original_name})
    else:
        messages.info(request, _("You had already attached this file (“%(name)s”).") % {"name": attachment.original_name})
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
