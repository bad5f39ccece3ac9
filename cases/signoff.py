"""How long a case has waited at the level it waits at, in China's working
days, against its campaign's review time limit (``Campaign.review_days``).

A case arrives at a level by a move that leaves it awaiting acceptance
(``cases.querysets.arrived_at_level``, which the queues and the digests
read too); its wait is the working days after that day up to today, the
way ``workdays.calendar.working_days_between`` counts a wait. For pages:
``review_waits`` answers a page of cases in one query."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from workdays.calendar import WorkCalendar

from .constants import Status
from .models import Case
from .querysets import arrived_at_level, local_today
from .workflow import waiting_at


@dataclass(frozen=True)
class ReviewWait:
    level: str  # the level the case waits at
    arrived_on: datetime.date  # the day it arrived there (Asia/Shanghai)
    working_days: int  # working days waited since, today included
    limit: int  # the campaign's review time limit, in working days

    @property
    def is_over_limit(self) -> bool:
        return self.working_days > self.limit

    @property
    def working_days_over(self) -> int:
        return max(self.working_days - self.limit, 0)


def review_waits(cases, *, today: datetime.date | None = None) -> dict[int, ReviewWait]:
    """{case id: its ReviewWait} for those of ``cases`` awaiting acceptance
    (with their campaign loaded, to read its limit), in one query for the
    arrival times; cases in other statuses are left out."""
    waiting = [case for case in cases if case.status == Status.PENDING_ACCEPTANCE]
    if not waiting:
        return {}
    today = today or local_today()
    arrivals = dict(
        Case.objects.filter(pk__in=[case.pk for case in waiting]).annotate(at=arrived_at_level()).values_list("pk", "at")
    )
    calendar = WorkCalendar()
    return {case.pk: wait_since(case, arrivals[case.pk], today=today, calendar=calendar) for case in waiting}


def wait_since(case, arrived_at: datetime.datetime, *, today: datetime.date, calendar: WorkCalendar) -> ReviewWait:
    """The wait of ``case`` at its level since it arrived there at
    ``arrived_at`` (for lists that annotate ``arrived_at_level`` already)."""
    arrived_on = timezone.localdate(arrived_at)
    return ReviewWait(
        level=waiting_at(case),
        arrived_on=arrived_on,
        working_days=max(calendar.working_days_between(arrived_on, today), 0),
        limit=case.campaign.review_days,
    )


def review_wait(case, *, today: datetime.date | None = None) -> ReviewWait | None:
    """The wait of one case awaiting acceptance at its level (None for other statuses)."""
    return review_waits([case], today=today).get(case.pk)
