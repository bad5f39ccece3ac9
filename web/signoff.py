"""One case's sign-off chain as people read it, on the case page and on
the printable 验收销号审批表: the submission, then each level of
``workflow.review_chain`` with the reviews it signed (who, what opinion,
which result, when, the evidence standards ticked), the level the case
waits at now, and the publicity period with its objections. A handful of
queries per case, whatever its history."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import workflow
from cases.constants import LEVELS_UP, EventAction, Kind, Level, Status
from cases.models import CaseEvent, Division, EvidenceStandard
from workdays.calendar import WorkCalendar


@dataclass
class ChainLevel:
    level: str
    label: str  # 市级审核 ...
    body: str  # the division acting at the level: 九江市
    reviews: list = field(default_factory=list)  # Review rows, oldest first, each with .standard_labels
    waiting: bool = False  # the case waits at this level now
    accepting: bool = False  # the level that accepts (closes or publicizes)


@dataclass
class Publicity:
    starts_on: datetime.date
    ends_on: datetime.date
    working_days: int
    running: bool


@dataclass
class SignOff:
    submission: CaseEvent | None  # the latest submission (the self-check), or None
    submitted_by: str  # the division that submitted: 浔阳区
    levels: list[ChainLevel]
    waiting_level: str  # the label of the level the case waits at now, or ""
    publicity: Publicity | None
    objections: list
    # The evidence standards of the campaign's kind, as (label, ticked by
    # the acceptance) pairs in the checklist's order.
    standards: list


def level_bodies(case) -> dict[str, str]:
    """The name of the division acting at each level for ``case``."""
    province = case.division if case.division.level == "province" else None
    if province is None:
        province = Division.objects.filter(code=case.division_id[:2] + "0000").first()
    return {
        Level.COUNTY: case.division.name if case.division.level == "county" else "",
        Level.CITY: case.city.name if case.city_id else "",
        Level.PROVINCE: province.name if province else "",
    }


def sign_off(case, *, today: datetime.date | None = None) -> SignOff:
    """``case`` (with its division, city and campaign) as its chain reads."""
    today = today or timezone.localdate()
    chain = workflow.review_chain(case)
    stage = workflow.waiting_at(case, chain)
    reviews = list(case.reviews.select_related("reviewer").order_by("version"))
    kind_standards = list(EvidenceStandard.objects.filter(campaign_kind=case.campaign.kind))
    names = {s.code: s.label for s in kind_standards}
    for review in reviews:
        review.standard_labels = [names.get(code, code) for code in review.standards]
    bodies = level_bodies(case)
    reviewed = {review.level for review in reviews}
    levels = [
        ChainLevel(
            level=level,
            label=Level(level).label,
            body=bodies.get(level, ""),
            reviews=[review for review in reviews if review.level == level],
            waiting=level == stage,
            accepting=level == chain[-1],
        )
        for level in LEVELS_UP
        if level in chain or level in reviewed
    ]
    submission = (
        CaseEvent.objects.filter(case=case, action=EventAction.TRANSITION, from_status=Status.IN_PROGRESS, to_status=Status.PENDING_ACCEPTANCE)
        .select_related("actor")
        .order_by("-version")
        .first()
    )
    publicity = None
    if case.publicity_starts_on and case.publicity_ends_on:
        publicity = Publicity(
            starts_on=case.publicity_starts_on,
            ends_on=case.publicity_ends_on,
            working_days=WorkCalendar().working_days_between(case.publicity_starts_on, case.publicity_ends_on),
            running=workflow.publicity_running(case, today),
        )
    ticked = next((set(r.standards) for r in reversed(reviews) if r.standards), set())
    return SignOff(
        submission=submission,
        submitted_by=case.division.name,
        levels=levels,
        waiting_level=Level(stage).label if stage else "",
        publicity=publicity,
        objections=list(case.objections.select_related("recorded_by").order_by("version")),
        standards=[(s.label, s.code in ticked) for s in kind_standards if s.active or s.code in ticked],
    )


# --- the printable 验收销号审批表 ---------------------------------------------

FORM_TITLE = gettext_lazy("Acceptance and sign-off approval form")


@dataclass
class Opinion:
    """One signed block of the form: who gives the opinion (the
    submission's self-check, then each level), what they said, who signed
    and when (blank where nobody has signed yet)."""

    heading: str
    body: str  # the division
    text: str
    signer: str
    signed_at: datetime.datetime | None


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def form_facts(case) -> list[tuple[str, str]]:
    """The case's facts the form carries, as (label, text)."""
    field = case._meta.get_field
    division = case.division.name if case.city_id is None or case.division_id == case.city_id else f"{case.city.name} {case.division.name}"
    deadline = case.get_deadline_type_display() + (f" · {case.deadline:%Y-%m-%d}" if case.deadline else "")
    facts = [
        (_("Reference"), case.reference),
        (_("Title"), case.title),
        (_("Campaign"), case.campaign.name),
        (_("Responsible division"), division),
        (field("lead_unit").verbose_name, case.lead_unit.name if case.lead_unit_id else ""),
        (_("Deadline"), deadline),
    ]
    handled = ("target", "measures", "progress") if case.kind != Kind.PETITION else ("investigation", "handling", "progress")
    facts += [(field(name).verbose_name, getattr(case, name)) for name in handled]
    return [(str(label)[:1].upper() + str(label)[1:], value or "—") for label, value in facts]


def opinions(case, signoff: SignOff) -> list[Opinion]:
    """The form's signed blocks in the order of the chain, bottom up: the
    submission, then every level with all its reviews (a return, then the
    approval after the resubmission, ...), the latest signer signing."""
    submission = signoff.submission
    blocks = [
        Opinion(
            heading=_("Self-check and submission"),
            body=signoff.submitted_by,
            text=submission.note if submission else "",
            signer=_name(submission.actor) if submission else "",
            signed_at=submission.created_at if submission else None,
        )
    ]
    for step in signoff.levels:
        latest = step.reviews[-1] if step.reviews else None
        text = "\n".join(
            f"{timezone.localtime(r.created_at):%Y-%m-%d} {r.get_result_display()}" + (f"：{r.opinion}" if r.opinion else "")
            for r in step.reviews
        )
        blocks.append(
            Opinion(
                heading=_("Opinion at %(level)s") % {"level": step.label},
                body=step.body,
                text=text,
                signer=_name(latest.reviewer) if latest else "",
                signed_at=latest.created_at if latest else None,
            )
        )
    return blocks


def approval_document(case, signoff: SignOff):
    """The form as a Word document (A4 portrait, the report's fonts): the
    same facts, standards and signed blocks as the print page."""
    from reports.documents import new_document, table, title

    document = new_document()
    title(document, FORM_TITLE)
    rows = [list(row) for row in form_facts(case)]
    rows.append([_("Evidence standards"), "\n".join(f"{'☑' if ticked else '☐'} {label}" for label, ticked in signoff.standards) or "—"])
    for block in opinions(case, signoff):
        signed = f"{timezone.localtime(block.signed_at):%Y-%m-%d}" if block.signed_at else ""
        signature = _("Signature: %(signer)s    Date: %(date)s") % {"signer": block.signer or "________", "date": signed or "____-__-__"}
        rows.append([f"{block.heading}\n{block.body}", f"{block.text or ''}\n\n{signature}"])
    if signoff.publicity:
        rows.append([_("Publicity"), publicity_text(signoff)])
    table(document, [_("Item"), _("Content")], rows, widths_cm=[4.2, 11.4])
    return document


def publicity_text(signoff: SignOff) -> str:
    publicity = signoff.publicity
    lines = [
        _("From %(starts)s to %(ends)s (%(days)s working days)")
        % {"starts": f"{publicity.starts_on:%Y-%m-%d}", "ends": f"{publicity.ends_on:%Y-%m-%d}", "days": publicity.working_days}
    ]
    for objection in signoff.objections:
        lines.append(
            _("Objection received on %(date)s (%(channel)s): %(content)s")
            % {"date": f"{objection.received_on:%Y-%m-%d}", "channel": objection.channel, "content": objection.content}
        )
    if not signoff.objections:
        lines.append(_("No objection received."))
    return "\n".join(lines)

