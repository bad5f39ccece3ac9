"""Each reviewing level's queue: the cases waiting for the viewer's review
level (a city bureau sees its counties' cases waiting at its city review,
the province what waits at the province), with how many working days each
has waited there and how much evidence it has, and batch decision (pass up
or accept, or return) of the selected ones, each through the workflow."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from cases import workflow
from cases.constants import Level, Status
from cases.errors import CaseError
from cases.models import Campaign, Case
from cases.signoff import wait_since
from workdays.calendar import WorkCalendar

from ..filters import AcceptanceQueueFilter, annotate_queue
from .lists import CaseListView

# The batch decisions. Accepting at the case's accepting level closes it;
# below it, the level approves and passes it up.
DECISIONS = ("accept", "reject")
AWAITING = (Status.PENDING_ACCEPTANCE, Status.IN_PUBLICITY)


def decided_action(case, decision: str) -> str:
    """The workflow action a batch decision makes on ``case``."""
    if decision == "reject":
        return "return"
    chain = workflow.review_chain(case)
    return "close" if workflow.waiting_at(case, chain) == chain[-1] else "approve"


def waiting_for(user, queryset):
    """The cases of ``queryset`` waiting for ``user``'s review level (none
    when the account reviews at no level), as ``workflow.waiting_at`` says.
    Set-based: the level a case waits at is the review stage the workflow
    writes on every move (``workflow.moved``; the chain's migration placed
    older rows). A row written without one (only outside the workflow)
    waits at its chain's first level: those few are placed one by one."""
    level = workflow.review_level(user)
    if level is None:
        return queryset.none()
    waiting = queryset.filter(status__in=AWAITING)
    unplaced = waiting.filter(review_stage__isnull=True).select_related("campaign")
    placed_here = [case.pk for case in unplaced if workflow.waiting_at(case) == level]
    return waiting.filter(Q(review_stage=level) | Q(pk__in=placed_here))


@dataclass
class Outcome:
    reference: str
    case_id: int | None
    done: bool
    message: str


class AcceptanceQueueView(CaseListView):
    """The cases waiting for the viewer's review level, longest waiting
    first. Only reviewing levels (a city bureau, the provincial office) have
    a queue: a county bureau submits and never reviews, so it has none (the
    page is refused and not linked)."""

    template_name = "web/acceptance_queue.html"
    title = gettext_lazy("Acceptance queue")
    url_name = "web:acceptance"
    export_url_name = "web:acceptance_export"
    ledger_url_name = "web:acceptance_ledger"
    export_filename = "acceptance"
    filterset_class = AcceptanceQueueFilter
    statuses = AWAITING
    offers_overdue = False  # a submitted case is never the city's delay

    def check_access(self):
        if workflow.review_level(self.request.user) is None:
            raise PermissionDenied(
                gettext_lazy("Only reviewing levels (a city bureau, the provincial office) have a review queue.")
            )

    def base_queryset(self, today):
        queryset = waiting_for(self.request.user, super().base_queryset(today))
        return annotate_queue(queryset.select_related("division"))

    def default_order(self, queryset, today):
        return queryset.order_by("submitted_at", "id")

    def rows(self, cases: list, today) -> list:
        calendar = WorkCalendar()
        for case in cases:
            wait = wait_since(case, case.submitted_at, today=today, calendar=calendar)
            case.days_waiting = wait.working_days
            case.past_review_limit = case.status == Status.PENDING_ACCEPTANCE and wait.is_over_limit
            case.days_past_deadline = max((today - case.deadline).days, 0) if case.deadline else 0
        return super().rows(cases, today)

    def render_list(self, request, *, extra: dict | None = None, status: int | None = None):
        """The list, with the level it is the queue of and the evidence
        standards the batch form offers (and those ticked, when the form
        comes back)."""
        level = workflow.review_level(request.user)
        context = {
            "level_label": Level(level).label if level else "",
            "accepts_here": level == Level.PROVINCE,
            "standards": workflow.offered_standards(queue_campaigns(request.user)),
            "ticked_standards": request.POST.getlist("standard"),
        }
        return super().render_list(request, extra={**context, **(extra or {})}, status=status)

    def post(self, request):
        """Batch 验收 / 退回: each selected case through
        ``workflow.transition`` on its own, so one refusal (a case changed
        meanwhile, one already decided) stops nothing else; every case gets
        its own result."""
        if self.export:
            return HttpResponseNotAllowed(["GET"])
        self.check_access()
        decision = request.POST.get("decision", "")
        note = (request.POST.get("note") or "").strip()
        selected = _selected(request.POST.getlist("case"))
        error = None
        if decision not in DECISIONS:
            error = _("Choose to accept or to return the selected cases.")
        elif not selected:
            error = _("Select at least one case.")
        elif decision == "reject" and not note:
            error = _("Give the reason for returning the selected cases.")
        elif decision == "accept" and request.POST.get("confirm") != "on":
            error = _("Tick the box to confirm the sign-off of the selected cases.")
        if error:
            return self.render_list(request, extra={"batch_error": error, "batch": request.POST}, status=400)
        standards = request.POST.getlist("standard") if decision == "accept" else None
        outcomes = _decide(request.user, selected, decision, note, standards)
        return self.render_list(request, extra={"outcomes": outcomes, "outcome_summary": _summary(outcomes), "batch": request.POST}, status=200)


def _selected(values: list[str]) -> list[tuple[int, int]]:
    """(case id, version seen) from the checkboxes' "id:version" values;
    anything malformed is left out (a forged form gains nothing)."""
    selected = []
    for value in values:
        case_id, _sep, version = value.partition(":")
        if case_id.isdigit() and version.isdigit():
            selected.append((int(case_id), int(version)))
    return selected


def queue_campaigns(user) -> list[Campaign]:
    """The campaigns of the cases waiting in ``user``'s queue: the batch form
    offers their evidence standards, once per code."""
    waiting = waiting_for(user, Case.objects.for_user(user)).values("campaign_id")
    return list(Campaign.objects.filter(pk__in=waiting))


def _decide(user, selected: list[tuple[int, int]], decision: str, note: str, standards=None) -> list[Outcome]:
    # The boundary decides what the supervisor may touch, as everywhere.
    cases = Case.objects.for_user(user).select_related("city", "campaign").in_bulk([case_id for case_id, _v in selected])
    evidence = dict(Case.objects.filter(pk__in=list(cases)).annotate(n=Count("attachments")).values_list("pk", "n"))
    outcomes = []
    for case_id, version in selected:
        case = cases.get(case_id)
        if case is None:
            outcomes.append(Outcome("—", None, False, _("No such case.")))
            continue
        action = decided_action(case, decision)
        label = workflow.MOVES[action].label_for(case.kind)
        try:
            ticked = workflow.ticked_for(case.campaign, standards) if standards is not None else None
            workflow.transition(
                case=case, action=action, actor=user, note=note, expected_version=version, standards=ticked
            )
        except CaseError as refused:
            outcomes.append(Outcome(case.reference, case.pk, False, str(refused.message)))
            continue
        message = _("%(action)s: done.") % {"action": label}
        if action == "close" and not evidence.get(case.pk):
            message += " " + _("It had no evidence.")
        outcomes.append(Outcome(case.reference, case.pk, True, message))
    return outcomes


def _summary(outcomes: list[Outcome]) -> str:
    done = sum(outcome.done for outcome in outcomes)
    return ngettext("%(done)d of %(total)d case done.", "%(done)d of %(total)d cases done.", len(outcomes)) % {
        "done": done,
        "total": len(outcomes),
    }
