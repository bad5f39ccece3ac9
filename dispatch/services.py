"""Opening a round, reporting in it, urging the divisions that have not
reported, and reading who has (the per-division status, one grouped
query). Every read starts from the one boundary (Case.objects.for_user)."""

import datetime
import functools
import operator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import EventAction, Status
from cases.errors import CaseError, CaseNotVisible, ConcurrentChange, InvalidInput, RoleNotAllowed
from cases.models import Campaign, Case, CaseEvent, Division, city_code_of
from cases.scope import Scope, visible_through
from cases.services import editable_fields
from cases.validation import NOTE_TEXT, checked_text
from cases.workflow import ensure_can_write
from cases.writes import Write, write_cases
from notifications.urgings import may_urge, urge

from .models import Round, RoundCase, RoundChange

# Every status but closed: the cases a division still has to report on.
OPEN_STATUSES = [s.value for s in Status if s != Status.CLOSED]
# How many cases one request may report on (one transaction of a few
# statements however many: see report()).
MAX_REPORTS = 2000


class RoundClosed(CaseError):
    """The office closed the round: it takes no report, edit or urging."""

    code = "round_closed"
    http_status = 409

    def __init__(self, round: Round):
        at = timezone.localtime(round.closed_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(
            _("Round %(name)s was closed at %(at)s; it no longer takes reports or changes.") % {"name": round.name, "at": at},
            field="round",
        )


def ensure_may_open(actor) -> None:
    """Rounds are the provincial office's: opening, editing, closing."""
    if not (actor.is_active and actor.is_supervisor):
        raise RoleNotAllowed(_("Only the provincial office opens, edits and closes dispatch rounds."), code="dispatch_not_allowed")


def coverage_q(*, campaigns, divisions) -> Q:
    """The cases in these campaigns (any when none) and these divisions'
    subtrees (any when none), whatever their status."""
    condition = Q()
    if campaigns:
        condition &= Q(campaign__in=campaigns)
    if divisions:
        condition &= functools.reduce(operator.or_, (Scope(d.pk).division_q() for d in divisions))
    return condition


def covered_cases(*, campaigns, divisions):
    """The open cases in these campaigns (any when none) and these
    divisions' subtrees (any when none)."""
    return Case.objects.not_withdrawn().filter(status__in=OPEN_STATUSES).filter(coverage_q(campaigns=campaigns, divisions=divisions))


def _snapshot(round: Round, cases) -> int:
    """The covered cases as the round's rows, in one INSERT … SELECT; how
    many."""
    sql, params = cases.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RoundCase._meta.db_table} (round_id, case_id) SELECT %s, covered.id FROM ({sql}) covered",
            [round.pk, *params],
        )
        return cursor.rowcount


def _checked_cutoff(cutoff_at: datetime.datetime, at: datetime.datetime, message) -> None:
    if cutoff_at <= at:
        raise InvalidInput("cutoff", message)
    if cutoff_at.year > 2200:
        raise InvalidInput("cutoff", _("Give a cutoff before the year 2200."))


def _checked_name(name: str, *, round: Round | None = None) -> str:
    name = checked_text(name, field="name", limit=Round._meta.get_field("name").max_length)
    if not name:
        raise InvalidInput("name", _("Name the round, e.g. 第12期."), code="required")
    if Round.objects.filter(name=name).exclude(pk=round.pk if round else None).exists():
        raise InvalidInput("name", _("A round with this name exists already."), code="unique")
    return name


def open_round(
    *, actor, name: str, cadence: str, cutoff_at: datetime.datetime, campaigns=(), divisions=(),
    template=None, period_on: datetime.date | None = None, at: datetime.datetime | None = None,
) -> Round:  # fmt: skip
    """Open a round and snapshot the cases it covers. ``actor`` None is the
    schedule (a template's round)."""
    if actor is not None:
        ensure_may_open(actor)
    at = at or timezone.now()
    name = checked_text(name, field="name", limit=Round._meta.get_field("name").max_length)
    if not name:
        raise InvalidInput("name", _("Name the round, e.g. 第12期."), code="required")
    _checked_cutoff(cutoff_at, at, _("The cutoff must be after the round opens."))
    with transaction.atomic():
        name = _checked_name(name)
        round = Round.objects.create(
            name=name, cadence=cadence, cutoff_at=cutoff_at, template=template, period_on=period_on,
            opened_by=actor, opened_at=at,
        )  # fmt: skip
        round.campaigns.set(campaigns)
        round.divisions.set(divisions)
        cases = _snapshot(round, covered_cases(campaigns=campaigns, divisions=divisions))
        RoundChange.objects.create(round=round, actor=actor, at=at, action=RoundChange.Action.OPENED, changes={"cases": cases})
    return round


def _locked(round: Round, *, share: bool = False) -> Round:
    """The round as it is now, its row locked until the commit: an edit or
    the closing takes it for update, a report for share (reports do not
    wait for each other, but for an edit or the closing, and see it)."""
    if connection.vendor == "postgresql" and share:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {Round._meta.db_table} WHERE id = %s FOR SHARE", [round.pk])
        return Round.objects.get(pk=round.pk)
    return Round.objects.select_for_update().get(pk=round.pk)


def ensure_open(round: Round) -> None:
    if round.is_closed:
        raise RoundClosed(round)


def _codes(records) -> list[str]:
    return sorted(record.code for record in records)


def edit_round(
    *, round: Round, actor, name: str | None = None, cutoff_at: datetime.datetime | None = None,
    campaigns=None, divisions=None, at: datetime.datetime | None = None,
) -> Round:  # fmt: skip
    """Change an open round's name, cutoff or coverage (None: unchanged;
    an empty list of campaigns or divisions: all of them), recorded in its
    history. A new cutoff must be later than now (it may extend a cutoff
    that has passed: reports made since count as on time). Coverage that
    grows adds the newly covered cases open now; coverage that shrinks
    removes the cases no longer covered, unless one of them has been
    reported on: a report is never lost, so the change is refused naming
    the divisions (or campaigns) that reported. All or nothing."""
    ensure_may_open(actor)
    at = at or timezone.now()
    if cutoff_at is not None:
        _checked_cutoff(cutoff_at, at, _("The new cutoff must be later than now."))
    with transaction.atomic():
        round = _locked(round)
        ensure_open(round)
        changes = {}
        if name is not None:
            name = _checked_name(name, round=round)
            if name != round.name:
                changes["name"] = [round.name, name]
                round.name = name
        if cutoff_at is not None and cutoff_at != round.cutoff_at:
            changes["cutoff"] = [timezone.localtime(round.cutoff_at).isoformat(), timezone.localtime(cutoff_at).isoformat()]
            round.cutoff_at = cutoff_at
        old_campaigns, old_divisions = list(round.campaigns.all()), list(round.divisions.all())
        new_campaigns = old_campaigns if campaigns is None else list(campaigns)
        new_divisions = old_divisions if divisions is None else list(divisions)
        for field, old, new in (("campaigns", old_campaigns, new_campaigns), ("divisions", old_divisions, new_divisions)):
            if _codes(old) != _codes(new):
                changes[field] = {"added": sorted(set(_codes(new)) - set(_codes(old))), "removed": sorted(set(_codes(old)) - set(_codes(new)))}
        if "campaigns" in changes or "divisions" in changes:
            changes["cases"] = _change_coverage(round, old=(old_campaigns, old_divisions), new=(new_campaigns, new_divisions))
            round.campaigns.set(new_campaigns)
            round.divisions.set(new_divisions)
        if changes:
            round.save(update_fields=["name", "cutoff_at"])
            RoundChange.objects.create(round=round, actor=actor, at=at, action=RoundChange.Action.EDITED, changes=changes)
    return round


def _change_coverage(round: Round, *, old: tuple, new: tuple) -> dict:
    """Bring the round's cases to a new coverage: the ones no longer covered
    leave (refused if one was reported on), the newly covered ones open now
    join. How many of each."""
    new_q = coverage_q(campaigns=new[0], divisions=new[1])
    leaving = RoundCase.objects.filter(round=round).exclude(case__in=Case.objects.filter(new_q))
    reported = Case.objects.filter(pk__in=leaving.filter(reported_at__isnull=False).values("case_id"))
    if new[1]:
        outside = reported.exclude(coverage_q(campaigns=(), divisions=new[1]))
        names = list(dict.fromkeys(outside.order_by("division_id").values_list("division__name", flat=True)))
        if names:
            raise InvalidInput(
                "divisions",
                _("%(names)s reported in this round: a division that has reported stays covered.") % {"names": "、".join(names)},
                code="reported",
            )
    names = list(dict.fromkeys(reported.order_by("campaign__code").values_list("campaign__name", flat=True)))
    if names:
        raise InvalidInput(
            "campaigns",
            _("Cases of %(names)s were reported on in this round: a campaign with reports stays covered.") % {"names": "、".join(names)},
            code="reported",
        )
    removed, _by_model = leaving.delete()
    added = 0
    if old[0] or old[1]:  # covering everything already, a new coverage adds nothing
        joining = covered_cases(campaigns=new[0], divisions=new[1]).exclude(coverage_q(campaigns=old[0], divisions=old[1]))
        added = _snapshot(round, joining.exclude(pk__in=RoundCase.objects.filter(round=round).values("case_id")))
    return {"added": added, "removed": removed}


def close_round(*, round: Round, actor, reason: str, at: datetime.datetime | None = None) -> Round:
    """Close the round, before its cutoff or after, with a reason: it takes
    no more reports (nor edits or urgings); the cases not reported stay
    counted as missing, so that the figures the office publishes no longer
    move. Recorded in its history with how many were missing."""
    ensure_may_open(actor)
    at = at or timezone.now()
    reason = checked_text(reason, field="reason", limit=NOTE_TEXT)
    if not reason:
        raise InvalidInput("reason", _("Say why the round is closed."), code="required")
    with transaction.atomic():
        round = _locked(round)
        ensure_open(round)
        round.closed_at, round.closed_by, round.close_reason = at, actor, reason
        round.save(update_fields=["closed_at", "closed_by", "close_reason"])
        missing = RoundCase.objects.filter(round=round, reported_at__isnull=True).count()
        RoundChange.objects.create(
            round=round, actor=actor, at=at, action=RoundChange.Action.CLOSED, note=reason, changes={"missing": missing}
        )
    return round


def history(round: Round) -> list[RoundChange]:
    """The round's history, oldest first, each entry with ``lines``: what
    it did, said for a person (the divisions and campaigns by name)."""
    entries = list(round.history.select_related("actor").order_by("at", "id"))
    codes = {
        model: {code for e in entries for key in ("added", "removed") for code in e.changes.get(field, {}).get(key, [])}
        for model, field in ((Division, "divisions"), (Campaign, "campaigns"))
    }
    names = {model: dict(model.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {} for model, wanted in codes.items()}
    for entry in entries:
        entry.lines = _lines(entry, names)
    return entries


def _when(text: str) -> str:
    return timezone.localtime(datetime.datetime.fromisoformat(text)).strftime("%Y-%m-%d %H:%M")


def _lines(entry: RoundChange, names: dict) -> list[str]:
    changes, lines = entry.changes, []
    if entry.action == RoundChange.Action.OPENED:
        if "cases" in changes:
            lines.append(_("Opened; cases covered: %(cases)d.") % {"cases": changes["cases"]})
        else:
            lines.append(_("Opened."))
    if "name" in changes:
        lines.append(_("Name: %(old)s → %(new)s") % {"old": changes["name"][0], "new": changes["name"][1]})
    if "cutoff" in changes:
        lines.append(_("Cutoff: %(old)s → %(new)s") % {"old": _when(changes["cutoff"][0]), "new": _when(changes["cutoff"][1])})
    for model, field, label in (
        (Campaign, "campaigns", _("Campaigns covered")),
        (Division, "divisions", _("Divisions covered")),
    ):
        if field in changes:
            said = [
                text % {"names": "、".join(names[model].get(code, code) for code in changes[field][key])}
                for key, text in (("added", _("added %(names)s")), ("removed", _("removed %(names)s")))
                if changes[field][key]
            ]
            lines.append(_("%(label)s: %(changes)s") % {"label": label, "changes": "; ".join(said)})
    if "cases" in changes and entry.action == RoundChange.Action.EDITED:
        lines.append(_("Cases: %(added)d added, %(removed)d removed.") % changes["cases"])
    if entry.action == RoundChange.Action.CLOSED:
        lines.append(_("Closed: %(reason)s") % {"reason": entry.note})
        lines.append(_("Cases not reported, which stay missing: %(missing)d.") % {"missing": changes.get("missing", 0)})
    return lines


def round_cases(round: Round, user):
    """The round's cases ``user`` may see (the one boundary, on the joined
    case: a city's read starts from its subtree's rows, not the round's)."""
    visible = visible_through(user, "case")
    return RoundCase.objects.none() if visible is None else RoundCase.objects.filter(visible, round=round)


def visible_rounds(user):
    """The rounds with a case ``user`` may see; the office sees every one."""
    if user.is_authenticated and user.is_active and user.is_supervisor:
        return Round.objects.all()
    return Round.objects.filter(Exists(round_cases(OuterRef("pk"), user)))


def visible_round(user, pk) -> Round:
    round = visible_rounds(user).filter(pk=pk).first()
    if round is None:
        raise CaseNotVisible()
    return round


@dataclass
class Tally:
    """A division's (or a city's, rolled up) cases in a round."""

    code: str
    name: str
    cases: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0

    @property
    def status(self) -> str:
        """missing while any case is, else late if any came late, else reported."""
        return "missing" if self.missing else "late" if self.late else "reported"

    def add(self, other: "Tally") -> None:
        self.cases += other.cases
        self.on_time += other.on_time
        self.late += other.late
        self.missing += other.missing


def round_totals(rounds: list[Round], user) -> dict[int, Tally]:
    """Each round's totals over the cases ``user`` may see: one grouped query."""
    visible = visible_through(user, "case")
    if visible is None:
        return {round.pk: Tally("", "") for round in rounds}
    rows = (
        RoundCase.objects.filter(visible, round__in=rounds)
        .order_by()
        .values("round_id")
        .annotate(
            cases=Count("id"),
            on_time=Count("id", filter=Q(reported_at__lte=F("round__cutoff_at"))),
            late=Count("id", filter=Q(reported_at__gt=F("round__cutoff_at"))),
            missing=Count("id", filter=Q(reported_at__isnull=True)),
        )
    )
    found = {r["round_id"]: Tally("", "", r["cases"], r["on_time"], r["late"], r["missing"]) for r in rows}
    return {round.pk: found.get(round.pk, Tally("", "")) for round in rounds}


@dataclass
class RoundStatus:
    round: Round
    divisions: list[Tally]  # by the cases' responsible division
    cities: list[Tally]  # the same rolled up to the city (the province's own cases as the province)
    totals: Tally = field(default_factory=lambda: Tally("", ""))


def round_status(round: Round, user) -> RoundStatus:
    """Per responsible division, the cases ``user`` may see and how many
    were reported on time, late or not at all: one grouped query."""
    cutoff = round.cutoff_at
    rows = (
        round_cases(round, user)
        .order_by()
        .values("case__division_id", "case__division__name")
        .annotate(
            cases=Count("id"),
            on_time=Count("id", filter=Q(reported_at__lte=cutoff)),
            late=Count("id", filter=Q(reported_at__gt=cutoff)),
            missing=Count("id", filter=Q(reported_at__isnull=True)),
        )
        .order_by("case__division_id")
    )
    divisions = [
        Tally(r["case__division_id"], r["case__division__name"], r["cases"], r["on_time"], r["late"], r["missing"])
        for r in rows
    ]
    cities: dict[str, Tally] = {}
    totals = Tally("", "")
    for tally in divisions:
        code = city_code_of(tally.code) or tally.code
        cities.setdefault(code, Tally(code, "")).add(tally)
        totals.add(tally)
    names = dict(Division.objects.filter(code__in=cities).values_list("code", "name"))
    for code, tally in cities.items():
        tally.name = names.get(code, code)
    return RoundStatus(round, divisions, [cities[code] for code in sorted(cities)], totals)


def _writes(cases: dict, *, round: Round, actor, at, progress: dict) -> list[Write]:
    """Each case's report as its write: new progress is written to the case
    when the reporter may edit it (it still holds the case); else it is the
    event's note. "No change" changes no field."""
    writes = []
    for case_id, text in progress.items():
        case = cases[case_id]
        write = Write(case, changes={"round": {"id": round.pk, "name": round.name, "late": at > round.cutoff_at}})
        if text is not None and text != case.progress:
            if "progress" in editable_fields(case, actor):
                write.values["progress"] = text
                write.changes["progress"] = [case.progress, text]
            else:
                write.note = text
        writes.append(write)
    return writes


def report(*, round: Round, actor, items: list[dict], at: datetime.datetime | None = None) -> list[RoundCase]:
    """Record ``actor``'s reports: each item names a case of the round and
    gives its ``progress`` (text) or None for no change. A case ``actor``
    may not see is a 404; all or nothing. After the cutoff a report is
    accepted and marked late; a second report on a case is a new event
    and the latest counts, but the first decided whether it was late.

    However many cases, it is one transaction of a few statements: the
    cases' rows in one compare-and-swap UPDATE (which moves each case's
    feed position, like any write), their events in one INSERT and the
    round's rows in one UPDATE (cases.writes.write_cases)."""
    ensure_can_write(actor)
    at = at or timezone.now()
    if not items:
        raise InvalidInput("reports", _("Report on at least one case."), code="required")
    if len(items) > MAX_REPORTS:
        raise InvalidInput("reports", _("Report on at most %(max)d cases at a time.") % {"max": MAX_REPORTS})
    ids = [item["case"] for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput("reports", _("Report on each case once."))
    progress = {
        item["case"]: None
        if item.get("progress") is None
        else checked_text(item["progress"], field=f"reports.{index}.progress", limit=NOTE_TEXT)
        for index, item in enumerate(items)
    }
    if Case.objects.for_user(actor).filter(pk__in=ids).count() != len(ids):
        raise CaseNotVisible()
    rows = RoundCase.objects.filter(round=round, case_id__in=ids)
    for attempt in range(3):
        try:
            with transaction.atomic():
                # An edit or the closing of the round waits for this report,
                # or this report for it, and sees what it did.
                current = _locked(round, share=True)
                ensure_open(current)
                in_round = set(rows.values_list("case_id", flat=True))
                for index, case_id in enumerate(ids):
                    if case_id not in in_round:
                        raise InvalidInput(f"reports.{index}.case", _("This case is not in the round."), code="not_in_round")
                # Read as they are now: a report does not depend on a version
                # the reporter saw, so a concurrent writer only means reading
                # again.
                cases = Case.objects.only("id", "version", "progress", "status").in_bulk(ids)
                write_cases(_writes(cases, round=current, actor=actor, at=at, progress=progress), actor=actor, at=at, action=EventAction.REPORTED)
                # The latest event of each case is the report just written
                # (its row stays locked by the write until the commit); the
                # first report decides on time or late: only an unset time is set.
                rows.update(
                    report=Subquery(CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-version").values("pk")[:1]),
                    reported_at=Coalesce("reported_at", Value(at)),
                )
            break
        except ConcurrentChange:
            if attempt == 2:
                raise
    return list(rows.order_by("case_id"))


def ensure_may_urge(actor) -> None:
    """催报 is the provincial office's, like opening the round."""
    if not (may_urge(actor) and actor.is_supervisor):
        raise RoleNotAllowed(_("Only the provincial office urges."), code="urging_not_allowed")


def urge_missing(*, round: Round, actor, note: str = ""):
    """催报: urge the divisions with cases not yet reported in the round
    (notifications.urgings.urge, each division's cases in one urging to its
    accounts). The office's own cases (the province's) are not urged: it
    urges the divisions below it."""
    ensure_may_urge(actor)
    ensure_open(round)
    note = checked_text(note, field="note", limit=NOTE_TEXT)
    missing = list(
        round_cases(round, actor)
        .filter(reported_at__isnull=True)
        .exclude(case__division=actor.division_id)
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )
    if not missing:
        raise InvalidInput("round", _("No division has a case left to report in this round."), code="nothing_missing")
    cutoff = timezone.localtime(round.cutoff_at).strftime("%Y-%m-%d %H:%M")
    text = _("Dispatch round %(round)s: report on each of your cases by the cutoff, %(cutoff)s.") % {
        "round": round.name,
        "cutoff": cutoff,
    }
    try:
        return urge(actor=actor, case_ids=missing, note=f"{text}\n{note}" if note else text)
    except DjangoValidationError as error:
        raise InvalidInput.from_errors(error.message_dict) from None
