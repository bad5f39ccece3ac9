"""Reads for the reminder run: who gets a digest today, and what is in it.

Everything is computed from the cases' current state on the given date, so
a day the job did not run loses nothing. The overdue and due-soon rules are
the case querysets' own (``.overdue(today)``, ``.due_soon(today)``).

Query counts do not grow with the number of cases: planning a run is four
queries in all, the digests of any number of officers two, a province
digest five to seven, whatever the number of cases. A reviewing account's
digest (a city bureau's, the supervisors') also says what waits for the
review at its level (``review_queues``).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Role, User
from cases.constants import DeadlineType, Level, Status
from cases.models import Case, City, Milestone
from cases.querysets import arrived_at_level, due_soon_horizon
from cases.workflow import review_level
from workdays.calendar import add_working_days, remembered_calendar

from .models import DigestKind

CASE_LINE_FIELDS = ("id", "reference", "title", "kind", "status", "deadline", "city_id", "deadline_type")


@dataclass(frozen=True)
class PlannedDigest:
    """One recipient's digest as the run sees it before sending: an
    account's, or a group's (``group``: ("division", code) or ("unit", id))
    that has no account receiving it, which goes out on the group's
    channels only."""

    recipient_id: int | None
    username: str
    email: str
    kind: str
    overdue: int
    due_soon: int
    group: tuple | None = None


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as a digest lists it: plain values, not a model instance (a
    national run lists tens of thousands, and building instances would
    cost more than the query)."""

    id: int
    reference: str
    title: str
    kind: str
    status: str
    deadline: datetime.date | None
    city_id: str | None
    deadline_type: str
    awaiting_since: datetime.datetime | None = None  # in the acceptance queue
    missed: "MissedTarget | None" = None  # overdue by a milestone not met (``with_missed_targets``)


@dataclass(frozen=True, slots=True)
class MissedTarget:
    """The earliest milestone (阶段性目标) of an overdue long-term case
    whose date passed unmet, and how many have."""

    due_on: datetime.date
    target: str
    count: int = 1


@dataclass(frozen=True)
class CaseList:
    """The first ``settings.REMINDER_LIST_LIMIT`` cases of a section and
    how many there are in all."""

    cases: list[CaseRow]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.cases)


@dataclass(frozen=True)
class ReviewQueue:
    """The cases waiting for the review at a recipient's level: how many,
    and the one waiting longest, with its working days waiting."""

    level: str = ""
    total: int = 0
    oldest: CaseRow | None = None
    oldest_days: int = 0  # working days since it arrived at the level


NO_QUEUE = ReviewQueue()


@dataclass(frozen=True)
class CityDigest:
    today: datetime.date
    city: City
    overdue: CaseList
    due_soon: CaseList
    review_queue: ReviewQueue = NO_QUEUE  # a city bureau's: what waits at its city review

    kind = DigestKind.CITY

    @property
    def key(self) -> tuple:
        return (self.kind, self.city.pk)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue.total or self.due_soon.total or self.review_queue.total)


@dataclass(frozen=True)
class CityRow:
    city: City | None  # None: province-level cases (全省)
    overdue: int = 0
    due_soon: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class ProvinceDigest:
    today: datetime.date
    cities: list[CityRow]
    escalations: CaseList
    acceptance_queue: CaseList
    overdue_total: int = 0
    due_soon_total: int = 0
    escalation_days: int = field(default_factory=lambda: settings.ESCALATION_DAYS)
    queue_days: int = field(default_factory=lambda: settings.ACCEPTANCE_QUEUE_DAYS)
    review_queue: ReviewQueue = NO_QUEUE  # what waits at the province's review

    kind = DigestKind.PROVINCE

    @property
    def key(self) -> tuple:
        return (self.kind,)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_total or self.due_soon_total or self.acceptance_queue.total or self.review_queue.total)


def _cases():
    return Case.objects.not_withdrawn()


def counts_by_city(*, today: datetime.date) -> dict[str | None, CityRow]:
    """Overdue, escalated and due-soon counts per city (None: province-level)
    in one scan.

    The scan is the overdue rule seen from the end of the due-soon window:
    every case overdue or due soon today, and nothing else. Within it the
    deadline alone splits the three counts exactly as ``.overdue(today)``,
    ``escalations`` and ``.due_soon(today)`` would, at a third of the cost
    of running them one by one (the tests hold the two ways together)."""
    horizon = due_soon_horizon(today)
    escalation_day = today - datetime.timedelta(days=settings.ESCALATION_DAYS)
    rows = (
        _cases()
        .overdue(horizon)
        .order_by()
        .values("city_id")
        .annotate(
            overdue=Count("id", filter=Q(deadline__lt=today)),
            escalated=Count("id", filter=Q(deadline__lt=escalation_day)),
            due_soon=Count("id", filter=Q(deadline__gte=today)),
        )
    )
    return {row.pop("city_id"): row for row in rows}


def _first(queryset, *extra_fields: str) -> CaseList:
    limit = settings.REMINDER_LIST_LIMIT
    cases = [CaseRow(*row) for row in queryset.values_list(*CASE_LINE_FIELDS, *extra_fields)[:limit]]
    total = len(cases) if len(cases) < limit else queryset.count()
    return CaseList(cases=cases, total=total)


def acceptance_queue(*, today: datetime.date):
    """Cases awaiting acceptance for more than ACCEPTANCE_QUEUE_DAYS working
    days (China's calendar, as the review queues count), longest waiting
    first, annotated with ``awaiting_since``.

    The wait starts at the case's last move into pending_acceptance (a
    rejected and resubmitted case starts again); a case imported already
    waiting has no such event and counts from its last update. A case that
    arrived before the (N+1)-th working day counting back from today (today
    included) has waited more than N (``working_days_between``)."""
    first_day_too_recent = add_working_days(today + datetime.timedelta(days=1), -(settings.ACCEPTANCE_QUEUE_DAYS + 1))
    cutoff = datetime.datetime.combine(first_day_too_recent, datetime.time.min, tzinfo=timezone.get_current_timezone())
    return (
        _cases()
        .filter(status=Status.PENDING_ACCEPTANCE)
        .annotate(awaiting_since=arrived_at_level())
        .filter(awaiting_since__lt=cutoff)
        .order_by("awaiting_since", "id")
    )


def review_queues(*, level: str, today: datetime.date, cities: Iterable[str] | None = None) -> dict:
    """{city code (None for the province): ReviewQueue} of the cases waiting
    for the review at ``level`` (``Case.objects.waiting_at_level``), per
    city for the city level (of ``cities``), as one for the province. One
    query whatever the number of cities and cases: a window counts each
    city's cases and numbers them by arrival, and only each city's longest
    waiting leaves the database."""
    cases = _cases().waiting_at_level(level)
    per_city = level == Level.CITY
    if per_city:
        cities = list(cities or [])
        if not cities:
            return {}
        cases = cases.filter(city_id__in=cities)
    partition = [F("city_id")] if per_city else []
    rows = (
        cases.annotate(awaiting_since=arrived_at_level())
        .annotate(
            position=Window(RowNumber(), partition_by=partition, order_by=[F("awaiting_since").asc(), F("id").asc()]),
            waiting=Window(Count("id"), partition_by=partition),
        )
        .filter(position=1)
        .values_list(*CASE_LINE_FIELDS, "awaiting_since", "waiting")
    )
    calendar = remembered_calendar()
    queues = {}
    for *fields, waiting in rows:
        oldest = CaseRow(*fields)
        days = calendar.working_days_between(timezone.localdate(oldest.awaiting_since), today)
        queues[oldest.city_id if per_city else None] = ReviewQueue(level, waiting, oldest, max(days, 0))
    return queues


def waiting_counts() -> dict[tuple[str, str | None], int]:
    """{(level, city code): cases waiting there} for the city and province
    reviews, in one query (planning a run reads it)."""
    rows = (
        _cases()
        .waiting_at_level(Level.CITY, Level.PROVINCE)
        .order_by()
        .values_list("review_stage", "city_id")
        .annotate(n=Count("id"))
    )
    counts = {}
    for level, city_id, n in rows:
        key = (level, city_id if level == Level.CITY else None)
        counts[key] = counts.get(key, 0) + n
    return counts


def escalations(*, today: datetime.date):
    """Overdue by more than ESCALATION_DAYS days: the same rule as overdue,
    seen from that many days ago."""
    return _cases().overdue(today - datetime.timedelta(days=settings.ESCALATION_DAYS))


def recipients():
    """Active officers (bound to a city or below) and supervisors, in a
    stable order."""
    return (
        User.objects.filter(is_active=True, role__in=[Role.OFFICER, Role.SUPERVISOR])
        .exclude(role=Role.OFFICER, city__isnull=True)
        .order_by("role", "city_id", "username")
    )


def covers_its_city(user) -> bool:
    """Whether an officer's scope is its whole city (the shared city digest
    is then exactly its cases); a county bureau or a unit account gets a
    digest of its own scope instead."""
    return user.unit_id is None and user.division_id is not None and user.division_id == user.city_id


def scope_digest(*, user, today: datetime.date) -> "CityDigest":
    """The digest of a county bureau or a unit account: its own cases
    (``Case.objects.for_user``), two lists in four queries."""
    cases = Case.objects.for_user(user)
    return CityDigest(
        today=today,
        city=user.unit or user.division,
        overdue=_first(cases.overdue(today).by_days_overdue()),
        due_soon=_first(cases.due_soon(today).order_by("deadline", "id")),
    )


class _Planner:
    """The counts a day's planning reads once (two queries, and the
    acceptance queue's count when a supervisor's digest needs it), and the
    decision for one reader: an account, or a group's stand-in."""

    def __init__(self, today: datetime.date):
        self.today = today
        counts = counts_by_city(today=today)
        self.overdue = {city: row["overdue"] for city, row in counts.items()}
        self.due_soon = {city: row["due_soon"] for city, row in counts.items()}
        self.waiting = waiting_counts()
        self._queue = None

    def queue(self) -> int:
        if self._queue is None:
            self._queue = acceptance_queue(today=self.today).count()
        return self._queue

    def plan(self, person, *, username: str, email: str, group: tuple | None = None) -> PlannedDigest | None:
        level = review_level(person)
        city_id = person.city_id
        to_review = self.waiting.get((level, city_id if level == Level.CITY else None), 0) if level else 0
        if person.role == Role.SUPERVISOR:
            kind, n_overdue, n_due_soon = DigestKind.PROVINCE, sum(self.overdue.values()), sum(self.due_soon.values())
            if not (n_overdue or n_due_soon or to_review or self.queue()):
                return None
        else:
            kind, n_overdue, n_due_soon = DigestKind.CITY, self.overdue.get(city_id, 0), self.due_soon.get(city_id, 0)
            if (n_overdue or n_due_soon or city_id is None) and not covers_its_city(person):
                # Narrower than its city: its own counts (two queries).
                cases = Case.objects.for_user(person)
                n_overdue, n_due_soon = cases.overdue(self.today).count(), cases.due_soon(self.today).count()
            if not (n_overdue or n_due_soon or to_review):
                return None
        return PlannedDigest(person.pk, username, email, kind, n_overdue, n_due_soon, group)


def plan_digests(*, today: datetime.date) -> list[PlannedDigest]:
    """Who gets a digest on ``today``: officers whose city has overdue or
    due-soon cases, and every supervisor while the province has any of
    those or a stale acceptance queue; a reviewing account (a city bureau,
    the supervisors) also while cases wait at its review level. Four
    queries."""
    planner = _Planner(today)
    people = list(recipients().values_list("id", "username", "email", "role", "city_id", "division_id", "unit_id"))
    planned = []
    for user_id, username, email, role, city_id, division_id, unit_id in people:
        person = User(pk=user_id, role=role, city_id=city_id, division_id=division_id, unit_id=unit_id)
        digest = planner.plan(person, username=username, email=email)
        if digest is not None:
            planned.append(digest)
    return planned


def group_reader(*, division=None, unit=None) -> User:
    """A stand-in account for a division's or a unit's group that no
    account of it receives today: it reads what the group's accounts would
    (a division's officers bound to no unit, the supervisors for a
    province, a unit's accounts), in the site's language, and is greeted by
    the group's name. Never saved."""
    from cases.models import city_code_of

    if unit is not None:
        code, name, role = unit.division_id, unit.name, Role.OFFICER
    else:
        code, name = division.pk, division.name
        role = Role.SUPERVISOR if city_code_of(code) is None else Role.OFFICER
    reader = User(
        username=name, role=role, division_id=code, city_id=city_code_of(code), is_active=True,
        language=settings.LANGUAGE_CODE,
    )  # fmt: skip
    if unit is not None:
        reader.unit = unit
    else:
        reader.division = division
    return reader


def plan_group_digests(*, today: datetime.date, readers: dict[tuple, User]) -> list[PlannedDigest]:
    """The digests of groups that no account of theirs receives today
    (``readers``: {group: its stand-in}, ``group_reader``): what their
    accounts would get, when there is anything. Nothing to read for no
    group; else two queries, and two per group narrower than its city."""
    if not readers:
        return []
    planner = _Planner(today)
    planned = []
    for group, reader in readers.items():
        digest = planner.plan(reader, username=reader.username, email="", group=group)
        if digest is not None:
            planned.append(digest)
    return planned


def with_missed_targets(digests: dict, *, today: datetime.date) -> dict:
    """The same digests ({key: digest}), each overdue long-term case listed
    (an officer's overdue list, the province's escalations) with the
    milestone whose date passed unmet: one query for all of them, none
    when no such case is listed."""
    def overdue_lists(digest):
        if isinstance(digest, CityDigest):
            return {"overdue": digest.overdue}
        if isinstance(digest, ProvinceDigest):
            return {"escalations": digest.escalations}
        return {}

    ids = {
        case.id
        for digest in digests.values()
        for case_list in overdue_lists(digest).values()
        for case in case_list.cases
        if case.deadline_type == DeadlineType.LONG_TERM and case.deadline is not None and case.deadline < today
    }
    if not ids:
        return digests
    missed = {}
    unmet = Milestone.objects.filter(case_id__in=ids, met_on__isnull=True, due_on__lt=today)
    for case_id, due_on, target in unmet.order_by("case_id", "due_on", "id").values_list("case_id", "due_on", "target"):
        first = missed.get(case_id)
        missed[case_id] = MissedTarget(due_on, target) if first is None else replace(first, count=first.count + 1)
    changed = {}  # one new digest per digest object, however many keys share it
    for key, digest in digests.items():
        if id(digest) not in changed:
            lists = {
                name: replace(case_list, cases=[replace(c, missed=missed.get(c.id)) for c in case_list.cases])
                for name, case_list in overdue_lists(digest).items()
            }
            changed[id(digest)] = replace(digest, **lists) if lists else digest
    return {key: changed[id(digest)] for key, digest in digests.items()}


def city_digests(*, cities: Iterable[City], today: datetime.date) -> dict[str, CityDigest]:
    """The officers' digests of these cities, in one query whatever their
    number: each city's overdue cases, most days overdue first, then the
    cases due within DUE_SOON_DAYS working days, soonest first.

    An officer sees exactly their own city's visible cases (that is what
    ``Case.objects.for_user`` gives an officer), so one scan of the open
    cases through the (city, deadline) partial index serves every officer:
    a window numbers each city's two lists and counts them in full, and
    only the first REMINDER_LIST_LIMIT of each list leave the database."""
    cities = {city.pk: city for city in cities}
    if not cities:
        return {}
    horizon = due_soon_horizon(today)
    section = [F("city_id"), ExpressionWrapper(Q(deadline__lt=today), output_field=BooleanField())]
    rows = (
        _cases()
        .overdue(horizon)
        .filter(city_id__in=cities)
        .annotate(
            position=Window(RowNumber(), partition_by=section, order_by=[F("deadline").asc(), F("id").asc()]),
            section_total=Window(Count("id"), partition_by=section),
        )
        .filter(position__lte=settings.REMINDER_LIST_LIMIT)
        .order_by("city_id", "deadline", "id")
        .values_list(*CASE_LINE_FIELDS, "section_total")
    )
    lists = {code: ([], [], {}) for code in cities}  # overdue, due soon, totals
    for *fields, section_total in rows:
        case = CaseRow(*fields)
        overdue, due_soon, totals = lists[case.city_id]
        late = case.deadline < today
        (overdue if late else due_soon).append(case)
        totals[late] = section_total
    # The officers of a city-wide digest are its city bureau: they review
    # at the city (``workflow.review_level``).
    queues = review_queues(level=Level.CITY, today=today, cities=cities)
    return {
        code: CityDigest(
            today=today,
            city=cities[code],
            overdue=CaseList(cases=overdue, total=totals.get(True, 0)),
            due_soon=CaseList(cases=due_soon, total=totals.get(False, 0)),
            review_queue=queues.get(code, NO_QUEUE),
        )
        for code, (overdue, due_soon, totals) in lists.items()
    }


def province_digest(*, today: datetime.date) -> ProvinceDigest:
    counts = counts_by_city(today=today)
    none = {"overdue": 0, "due_soon": 0, "escalated": 0}
    rows = [CityRow(city=city, **counts.get(city.pk, none)) for city in City.objects.all()]
    if None in counts:  # province-level cases get a row only when there are some
        rows.append(CityRow(city=None, **counts[None]))
    return ProvinceDigest(
        today=today,
        cities=rows,
        overdue_total=sum(row.overdue for row in rows),
        due_soon_total=sum(row.due_soon for row in rows),
        escalations=_first(escalations(today=today).by_days_overdue()),
        acceptance_queue=_first(acceptance_queue(today=today), "awaiting_since"),
        review_queue=review_queues(level=Level.PROVINCE, today=today).get(None, NO_QUEUE),
    )
