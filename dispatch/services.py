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
from cases.errors import CaseNotVisible, ConcurrentChange, InvalidInput, RoleNotAllowed
from cases.models import Case, CaseEvent, Division, city_code_of
from cases.scope import Scope
from cases.services import editable_fields
from cases.validation import NOTE_TEXT, checked_text
from cases.workflow import ensure_can_write
from cases.writes import Write, write_cases
from notifications.urgings import may_urge, urge

from .models import Round, RoundCase

# Every status but closed: the cases a division still has to report on.
OPEN_STATUSES = [s.value for s in Status if s != Status.CLOSED]
# How many cases one request may report on (one transaction of a few
# statements however many: see report()).
MAX_REPORTS = 2000


def ensure_may_open(actor) -> None:
    """Rounds are the provincial office's."""
    if not (actor.is_active and actor.is_supervisor):
        raise RoleNotAllowed(_("Only the provincial office opens dispatch rounds."), code="dispatch_not_allowed")


def covered_cases(*, campaigns, divisions):
    """The open cases in these campaigns (any when none) and these
    divisions' subtrees (any when none)."""
    cases = Case.objects.not_withdrawn().filter(status__in=OPEN_STATUSES)
    if campaigns:
        cases = cases.filter(campaign__in=campaigns)
    if divisions:
        cases = cases.filter(functools.reduce(operator.or_, (Scope(d.pk).division_q() for d in divisions)))
    return cases


def _snapshot(round: Round, cases) -> None:
    """The covered cases as the round's rows, in one INSERT … SELECT."""
    sql, params = cases.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RoundCase._meta.db_table} (round_id, case_id) SELECT %s, covered.id FROM ({sql}) covered",
            [round.pk, *params],
        )


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
    if cutoff_at <= at:
        raise InvalidInput("cutoff", _("The cutoff must be after the round opens."))
    if cutoff_at.year > 2200:
        raise InvalidInput("cutoff", _("Give a cutoff before the year 2200."))
    with transaction.atomic():
        if Round.objects.filter(name=name).exists():
            raise InvalidInput("name", _("A round with this name exists already."), code="unique")
        round = Round.objects.create(
            name=name, cadence=cadence, cutoff_at=cutoff_at, template=template, period_on=period_on,
            opened_by=actor, opened_at=at,
        )  # fmt: skip
        round.campaigns.set(campaigns)
        round.divisions.set(divisions)
        _snapshot(round, covered_cases(campaigns=campaigns, divisions=divisions))
    return round


def round_cases(round: Round, user):
    """The round's cases ``user`` may see (the one boundary)."""
    return RoundCase.objects.filter(round=round, case__in=Case.objects.for_user(user))


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
    rows = (
        RoundCase.objects.filter(round__in=rounds, case__in=Case.objects.for_user(user))
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
    in_round = set(RoundCase.objects.filter(round=round, case_id__in=ids).values_list("case_id", flat=True))
    for index, case_id in enumerate(ids):
        if case_id not in in_round:
            raise InvalidInput(f"reports.{index}.case", _("This case is not in the round."), code="not_in_round")
    rows = RoundCase.objects.filter(round=round, case_id__in=ids)
    for attempt in range(3):
        try:
            with transaction.atomic():
                # Read as they are now: a report does not depend on a version
                # the reporter saw, so a concurrent writer only means reading
                # again.
                cases = Case.objects.only("id", "version", "progress", "status").in_bulk(ids)
                write_cases(_writes(cases, round=round, actor=actor, at=at, progress=progress), actor=actor, at=at, action=EventAction.REPORTED)
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
