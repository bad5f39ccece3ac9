"""The province's progress report (整改进展通报) for a date: totals per
campaign and batch, the cities ranked by completion and by overdue cases
with their traffic lights, the changes since an earlier date, and the
overdue list.

A report is "as at the end of its date" (Asia/Shanghai). For today that
is the cases as they are; for an earlier day each case's status then is
read from its timeline (the status it left by its first move after that
day), so a report re-produced later says what it said on the day.
Deadlines and cities are taken as they are now.

Every figure starts from ``Case.objects.for_user`` and is computed by a
few aggregate queries, however many cases there are.
"""

import datetime
from itertools import chain
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db.models import Case as DbCase
from django.db.models import BooleanField, Count, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from cases.constants import WITH_CITY_STATUSES, EventAction, Kind, Status
from cases.models import Campaign, Case, CaseEvent
from cases.scope import scope_cities
from cases.querysets import local_today
from cases.statistics import case_statistics

from .models import Light, Measure, TrafficLightRule

DEFAULT_COMPARISON_DAYS = 7
HUNDRED = Decimal(100)


class ProgressQuery(forms.Form):
    """The report's date (today when not given) and the earlier date its
    changes are counted from (a week before when not given); or a dispatch
    round, which gives both (see dates_of_round)."""

    date = forms.DateField(label=pgettext_lazy("report", "Date"), required=False)
    since = forms.DateField(label=pgettext_lazy("report", "Compared with"), required=False)
    round = forms.IntegerField(
        label=pgettext_lazy("report", "Dispatch round"), required=False, min_value=1, max_value=2**63 - 1,
        widget=forms.HiddenInput,
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("round") is not None:
            if data.get("date") or data.get("since"):
                self.add_error("round", pgettext_lazy("report", "Give a dispatch round or dates, not both."))
            return data
        today = local_today()
        day = data.get("date") or today
        if day > today:
            self.add_error("date", pgettext_lazy("report", "The report's date cannot be in the future."))
            return data
        since = data.get("since") or day - datetime.timedelta(days=DEFAULT_COMPARISON_DAYS)
        if since >= day:
            self.add_error("since", pgettext_lazy("report", "The comparison date must be before the report's date."))
        data["date"], data["since"] = day, since
        return data


def dates_of_round(round) -> tuple[datetime.date, datetime.date]:
    """A dispatch round's report: as at its cutoff's day (today while it
    runs; the day it was closed, when the office closed it early), with the
    changes since the cutoff of the round before it (of the same template,
    else of the same cadence), or a week before."""
    from dispatch.models import Round

    day = min(timezone.localdate(round.cutoff_at), local_today())
    if round.closed_at is not None:
        day = min(day, timezone.localdate(round.closed_at))
    earlier = Round.objects.filter(cutoff_at__lt=round.cutoff_at).order_by("-cutoff_at", "-id")
    earlier = earlier.filter(template=round.template_id) if round.template_id else earlier.filter(cadence=round.cadence)
    previous = earlier.first()
    since = timezone.localdate(previous.cutoff_at) if previous else None
    if since is None or since >= day:
        since = day - datetime.timedelta(days=DEFAULT_COMPARISON_DAYS)
    return day, since


def end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in Asia/Shanghai."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def _moved_since(day: datetime.date):
    """The status changes after the end of ``day``."""
    return CaseEvent.objects.filter(action=EventAction.TRANSITION, created_at__gte=end_of(day))


def _status_before_moving(day: datetime.date):
    """The status a case's first move after ``day`` started from."""
    first_later_move = _moved_since(day).filter(case=OuterRef("pk")).order_by("version").values("from_status")[:1]
    return Coalesce(Subquery(first_later_move), F("status"))


def is_over(day: datetime.date) -> bool:
    """Whether ``day`` has ended: only then can a case have moved since."""
    return end_of(day) <= timezone.now()


def status_at_end_of(day: datetime.date):
    """An expression for a case's status at the end of ``day``: the status
    its first move after that day started from, or its status now. Only
    the cases that moved since are looked up in their timeline (the set is
    read once per query, hashed); the rest keep their status."""
    if not is_over(day):
        return F("status")
    return DbCase(When(pk__in=_moved_since(day).values("case_id"), then=_status_before_moving(day)), default=F("status"))


def completion(closed: int, total: int) -> Decimal | None:
    """Closed as a percentage of total, to two places (96.67, not 96.7:
    cities are often that close)."""
    if not total:
        return None
    return (Decimal(closed) * HUNDRED / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    total: int = 0
    closed: int = 0
    overdue: int = 0
    awaiting_acceptance: int = 0

    @property
    def completion(self) -> Decimal | None:
        return completion(self.closed, self.total)

    @property
    def open(self) -> int:
        return self.total - self.closed

    def add(self, other: "Figures") -> None:
        self.total += other.total
        self.closed += other.closed
        self.overdue += other.overdue
        self.awaiting_acceptance += other.awaiting_acceptance


@dataclass
class CampaignLine:
    campaign: Campaign
    batch: int | None  # a petition batch; None for the campaign's own line
    figures: Figures


@dataclass
class Changes:
    newly_closed: int = 0
    newly_overdue: int = 0
    reopened: int = 0


@dataclass
class CityLine:
    code: str | None  # None: province-level cases (省本级), not ranked
    name: str
    figures: Figures
    max_days_overdue: int = 0
    changes: Changes = field(default_factory=Changes)
    light: str = Light.GREEN
    reasons: list = field(default_factory=list)  # the rules that set the light
    completion_rank: int | None = None
    overdue_rank: int | None = None
    gap_to_leader: Decimal | None = None  # percentage points behind the best completion

    @property
    def light_label(self) -> str:
        return str(Light(self.light).label)

    def measure(self, measure: str) -> Decimal:
        f = self.figures
        if measure == Measure.MAX_DAYS_OVERDUE:
            return Decimal(self.max_days_overdue)
        if measure == Measure.OVERDUE_CASES:
            return Decimal(f.overdue)
        if measure == Measure.OVERDUE_PERCENT:
            return completion(f.overdue, f.total) or Decimal(0)
        return completion(f.open, f.total) or Decimal(0)


@dataclass
class ProgressReport:
    date: datetime.date
    since: datetime.date
    totals: Figures
    changes: Changes
    campaigns: list[CampaignLine]
    cities: list[CityLine]  # ranked by completion; province-level last
    overdue_cases: object  # queryset: the overdue list, most days overdue first
    rules: list[TrafficLightRule]
    round: object = None  # the dispatch round it is for, if any


    @property
    def ranked(self) -> list[CityLine]:
        return [line for line in self.cities if line.code is not None]

    @property
    def by_overdue(self) -> list[CityLine]:
        return sorted(self.ranked, key=lambda line: line.overdue_rank)

    def parameters(self) -> dict:
        found = {"date": self.date.isoformat(), "since": self.since.isoformat()}
        return found | ({"round": self.round.pk} if self.round is not None else {})

    @property
    def filename(self) -> str:
        return f"progress-{self.date:%Y%m%d}"


def _aggregate(cases, day, group_by: tuple[str, ...]) -> dict[tuple, tuple[Figures, datetime.date | None]]:
    """Per ``group_by`` values: the figures at the end of ``day`` and the
    deadline of the most overdue case. The rows are grouped by their
    status then and whether their deadline has passed, and folded here: so
    each case's status then is worked out once, however many figures use
    it (for an earlier day it may need a look into the case's timeline)."""
    past_deadline = DbCase(When(deadline__lt=day, then=Value(True)), default=Value(False), output_field=BooleanField())

    def grouped(queryset):
        return (
            queryset.annotate(past_deadline=past_deadline)
            .order_by()
            .values(*group_by, "status_then", "past_deadline")
            .annotate(n=Count("id"), oldest=Min("deadline"))
        )

    if is_over(day):
        # Two reads, so that the planner sees a plain status column for the
        # many cases that did not move since (a hashed grouping of a million
        # rows) and looks into the timelines of only those that did.
        moved = _moved_since(day).values("case_id")
        rows = chain(
            grouped(cases.exclude(pk__in=moved).annotate(status_then=F("status"))),
            grouped(cases.filter(pk__in=moved).annotate(status_then=_status_before_moving(day))),
        )
    else:
        rows = grouped(cases.annotate(status_then=F("status")))
    found: dict[tuple, tuple[Figures, datetime.date | None]] = {}
    for row in rows:
        key = tuple(row[field] for field in group_by)
        figures, oldest = found.get(key, (Figures(), None))
        status, n = row["status_then"], row["n"]
        overdue = status in WITH_CITY_STATUSES and row["past_deadline"]
        figures.add(
            Figures(
                total=n,
                closed=n if status == Status.CLOSED else 0,
                overdue=n if overdue else 0,
                awaiting_acceptance=n if status == Status.PENDING_ACCEPTANCE else 0,
            )
        )
        if overdue and (oldest is None or row["oldest"] < oldest):
            oldest = row["oldest"]
        found[key] = (figures, oldest)
    return found


def _count_with_status(cases, statuses) -> dict[str | None, int]:
    """Per city, the cases whose status then is one of ``statuses``."""
    counts: dict[str | None, int] = {}
    for row in cases.order_by().values("city_id", "status_then").annotate(n=Count("id")):
        if row["status_then"] in statuses:
            counts[row["city_id"]] = counts.get(row["city_id"], 0) + row["n"]
    return counts


def cases_existing_at_end_of(*, user, day: datetime.date):
    """The cases ``user`` may see that existed at the end of ``day``."""
    return Case.objects.for_user(user).filter(created_at__lt=end_of(day))


def cases_at_end_of(*, user, day: datetime.date):
    """The same, each with ``status_then``."""
    return cases_existing_at_end_of(user=user, day=day).annotate(status_then=status_at_end_of(day))


OVERDUE_FIELDS = ("reference", "title", "city__name", "lead_unit__name", "deadline_type", "deadline")


def overdue_at_end_of(*, user, day: datetime.date):
    """The overdue list of ``day``, most days overdue first, as rows of
    OVERDUE_FIELDS (tens of thousands at national scale: no model objects)."""
    return (
        cases_at_end_of(user=user, day=day)
        .filter(status_then__in=WITH_CITY_STATUSES, deadline__lt=day)
        .order_by("deadline", "id")
        .values_list(*OVERDUE_FIELDS, named=True)
    )


def _changes_by_city(*, user, day: datetime.date, since: datetime.date) -> dict[str | None, Changes]:
    """Per city: cases closed since ``since`` and still closed on ``day``;
    cases whose deadline passed in between while they stayed with the city;
    cases reopened in between (反弹回潮)."""
    window = Q(created_at__gte=end_of(since), created_at__lt=end_of(day))
    visible = Case.objects.for_user(user)
    changes: dict[str | None, Changes] = {}
    moves = CaseEvent.objects.filter(window, action=EventAction.TRANSITION, case__in=visible)
    closed_ids = moves.filter(to_status=Status.CLOSED).values("case_id")
    newly_closed = _count_with_status(cases_at_end_of(user=user, day=day).filter(id__in=closed_ids), (Status.CLOSED,))
    for city, n in newly_closed.items():
        changes.setdefault(city, Changes()).newly_closed = n
    reopened = (
        moves.filter(from_status=Status.CLOSED, to_status=Status.IN_PROGRESS)
        .order_by()
        .values("case__city_id")
        .annotate(n=Count("case_id", distinct=True))
    )
    for row in reopened:
        changes.setdefault(row["case__city_id"], Changes()).reopened = row["n"]
    passed_meanwhile = cases_at_end_of(user=user, day=day).filter(deadline__gte=since, deadline__lt=day)
    for city, n in _count_with_status(passed_meanwhile, WITH_CITY_STATUSES).items():
        changes.setdefault(city, Changes()).newly_overdue = n
    return changes


def _campaign_lines(*, user, day) -> list[CampaignLine]:
    found = _aggregate(cases_existing_at_end_of(user=user, day=day), day, ("campaign_id", "kind", "petition_batch"))
    campaigns = {c.pk: c for c in Campaign.objects.all()}
    own: dict[int, Figures] = {}
    batches: dict[int, dict[int, Figures]] = {}
    for (campaign_id, kind, batch), (figures, _oldest) in found.items():
        own.setdefault(campaign_id, Figures()).add(figures)
        if kind == Kind.PETITION and batch is not None:
            batches.setdefault(campaign_id, {}).setdefault(batch, Figures()).add(figures)
    lines = []
    for campaign_id in sorted(own, key=lambda pk: campaigns[pk].code):
        lines.append(CampaignLine(campaigns[campaign_id], None, own[campaign_id]))
        for batch, figures in sorted(batches.get(campaign_id, {}).items()):
            lines.append(CampaignLine(campaigns[campaign_id], batch, figures))
    return lines


def city_figures(
    *, user, day: datetime.date, statistics: dict | None = None
) -> dict[str | None, tuple[Figures, datetime.date | None]]:
    """Per city code (None: province-level): its figures at the end of
    ``day`` and the deadline of its most overdue case. For today from the
    kept counts (cases/statistics.py) and the open cases' index; for an
    earlier day by reading every case with its status then. A caller that
    has today's ``case_statistics`` already passes them."""
    if day == local_today():
        found: dict[str | None, Figures] = {}
        if statistics is None:
            statistics = case_statistics(user=user, today=day)
        for (_kind, code), stats in statistics.items():
            found.setdefault(code, Figures()).add(
                Figures(stats["total"], stats["closed"], stats["overdue"], stats["awaiting_acceptance"])
            )
        oldest = dict(
            Case.objects.for_user(user).overdue(day).order_by().values_list("city_id").annotate(Min("deadline"))
        )
        return {code: (figures, oldest.get(code)) for code, figures in found.items()}
    return scanned_city_figures(user=user, day=day)


def scanned_city_figures(*, user, day: datetime.date) -> dict[str | None, tuple[Figures, datetime.date | None]]:
    """``city_figures`` read from every case (the slow path, any day)."""
    found = _aggregate(cases_existing_at_end_of(user=user, day=day), day, ("city_id",))
    return {city: figures for (city,), figures in found.items()}


def city_ranking(
    *, user, day: datetime.date, since: datetime.date | None = None, statistics: dict | None = None
) -> list[CityLine]:
    """Every city the user may see, ranked, with its traffic light (and its
    changes since ``since`` when given); province-level cases last."""
    found = city_figures(user=user, day=day, statistics=statistics)
    changes = _changes_by_city(user=user, day=day, since=since) if since else {}
    cities = scope_cities(user)
    lines = []
    for code, name in [(c.code, c.name) for c in cities] + [(None, "")]:
        figures, oldest = found.get(code, (Figures(), None))
        if code is None and not figures.total:
            continue
        line = CityLine(code, name, figures, changes=changes.get(code, Changes()))
        if oldest:
            line.max_days_overdue = (day - oldest).days
        lines.append(line)
    lines = _rank(lines)
    apply_lights(lines, list(TrafficLightRule.objects.filter(active=True)))
    return lines


def _rank(lines: list[CityLine]) -> list[CityLine]:
    """Completion rank (ties: fewer overdue, then code) with the gap to
    the leader; overdue rank (most overdue cases first, ties: the oldest
    overdue case, then code). Cities with no cases come last."""
    ranked = [line for line in lines if line.code is not None]
    no_cases = Decimal(-1)
    ranked.sort(key=lambda l: (-(l.figures.completion if l.figures.total else no_cases), l.figures.overdue, l.code))
    leader = ranked[0].figures.completion if ranked else None
    for rank, line in enumerate(ranked, start=1):
        line.completion_rank = rank
        if leader is not None and line.figures.completion is not None:
            line.gap_to_leader = leader - line.figures.completion
    for rank, line in enumerate(
        sorted(ranked, key=lambda l: (-l.figures.overdue, -l.max_days_overdue, l.code)), start=1
    ):
        line.overdue_rank = rank
    return ranked + [line for line in lines if line.code is None]


def apply_lights(lines: list[CityLine], rules: list[TrafficLightRule]) -> None:
    for line in lines:
        for light in (Light.RED, Light.YELLOW):
            held = [rule for rule in rules if rule.light == light and line.measure(rule.measure) > rule.threshold]
            if held:
                line.light, line.reasons = light, held
                break


def progress_report(*, user, day: datetime.date, since: datetime.date, round=None) -> ProgressReport:
    cities = city_ranking(user=user, day=day, since=since)
    totals, changes = Figures(), Changes()
    for line in cities:
        totals.add(line.figures)
        changes.newly_closed += line.changes.newly_closed
        changes.newly_overdue += line.changes.newly_overdue
        changes.reopened += line.changes.reopened
    return ProgressReport(
        date=day,
        since=since,
        totals=totals,
        changes=changes,
        campaigns=_campaign_lines(user=user, day=day),
        cities=cities,
        overdue_cases=overdue_at_end_of(user=user, day=day),
        rules=list(TrafficLightRule.objects.filter(active=True)),
        round=round,
    )
