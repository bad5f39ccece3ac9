"""China's working days: official holidays and make-up working days (调休)
counted, for deadlines, publicity periods and review time limits.

A year's schedule comes from, in order: the table an administrator keeps
in the admin (``YearSchedule``; the State Council publishes each year's
schedule in November, before a package release may carry it), the
maintained ``chinese-calendar`` package, and otherwise plain
Monday–Friday, which is logged as a warning and shown in the admin.

``WorkCalendar`` reads each year's schedule once; keep one for a loop.
The module functions use a fresh one per call."""

import datetime
import logging
import time
from dataclasses import dataclass

import chinese_calendar

from .models import DayKind, ScheduleDay, YearSchedule

logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)
# The package names holidays in English; the schedule is kept in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


class Source:
    ADMIN = "admin"
    PACKAGE = "package"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class Schedule:
    year: int
    holidays: frozenset
    workdays: frozenset  # make-up working days, on weekends
    source: str


def package_days(year: int) -> dict:
    """The ``chinese-calendar`` package's days of ``year`` that differ
    from Monday–Friday: date -> (DayKind, the holiday's name in Chinese),
    empty when the package does not know the year."""
    if not package_knows(year):
        return {}
    days = {}
    for kind, table in ((DayKind.HOLIDAY, chinese_calendar.holidays), (DayKind.WORKDAY, chinese_calendar.workdays)):
        for day, holiday in table.items():
            if day.year == year:
                name = getattr(holiday, "value", holiday) or ""
                days[day] = (kind, HOLIDAY_NAMES.get(name, name))
    return days


def package_schedule(year: int) -> Schedule | None:
    """The package's schedule of ``year``, or None when it does not know
    the year."""
    if not package_knows(year):
        return None
    days = package_days(year)
    return Schedule(
        year,
        frozenset(d for d, (kind, _name) in days.items() if kind == DayKind.HOLIDAY),
        frozenset(d for d, (kind, _name) in days.items() if kind == DayKind.WORKDAY),
        Source.PACKAGE,
    )


PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def package_knows(year: int) -> bool:
    return year in PACKAGE_YEARS


def unknown_years(years) -> list[int]:
    """Those of ``years`` neither the admin's table nor the package knows."""
    entered = set(YearSchedule.objects.filter(year__in=list(years)).values_list("year", flat=True))
    return [year for year in years if year not in entered and not package_knows(year)]


_warned: set[int] = set()


class WorkCalendar:
    def __init__(self):
        self._schedules: dict[int, Schedule] = {}

    def schedule(self, year: int) -> Schedule:
        if year not in self._schedules:
            self._schedules[year] = self._load(year)
        return self._schedules[year]

    @staticmethod
    def _load(year: int) -> Schedule:
        if YearSchedule.objects.filter(year=year).exists():
            days = ScheduleDay.objects.filter(schedule__year=year).values_list("date", "kind")
            return Schedule(
                year,
                frozenset(d for d, kind in days if kind == DayKind.HOLIDAY),
                frozenset(d for d, kind in days if kind == DayKind.WORKDAY),
                Source.ADMIN,
            )
        known = package_schedule(year)
        if known is not None:
            return known
        if year not in _warned:
            _warned.add(year)
            logger.warning(
                "No official holiday schedule for %d (neither entered in the admin nor in chinese-calendar %s): "
                "counting Monday to Friday as working days.",
                year,
                chinese_calendar.__version__,
            )
        return Schedule(year, frozenset(), frozenset(), Source.WEEKDAYS)

    def is_working_day(self, day: datetime.date) -> bool:
        schedule = self.schedule(day.year)
        if day in schedule.workdays:
            return True
        if day in schedule.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, day: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``day`` (before it when ``n`` is
        negative; ``day`` itself when 0). Five working days from a Friday
        before a holiday week end after the holiday."""
        step = ONE_DAY if n >= 0 else -ONE_DAY
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """How many working days after ``start`` up to and including
        ``end`` (negative when ``end`` comes first): the working days a
        case submitted on ``start`` has waited on ``end``. The inverse of
        ``add_working_days``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count


def is_working_day(day: datetime.date) -> bool:
    return WorkCalendar().is_working_day(day)


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    return WorkCalendar().add_working_days(day, n)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    return WorkCalendar().working_days_between(start, end)


# Lists ask the same question once per row (a due-soon mark, a deadline in
# working days): the answers are kept for a minute per process, and
# forgotten at once when this process changes a schedule (workdays.apps).
REMEMBER_SECONDS = 60
_remembered: dict = {}


def add_working_days_remembered(day: datetime.date, n: int) -> datetime.date:
    """``add_working_days``, answered from memory when asked within the last minute."""
    key, now = (day, n), time.monotonic()
    hit = _remembered.get(key)
    if hit is None or now - hit[1] > REMEMBER_SECONDS:
        if len(_remembered) > 1024:
            _remembered.clear()
        hit = _remembered[key] = (remembered_calendar().add_working_days(day, n), now)
    return hit[0]


def remembered_calendar() -> WorkCalendar:
    """One calendar shared for a minute, its years read once: for code that
    counts many waits (a run of digests)."""
    now = time.monotonic()
    hit = _remembered.get(WorkCalendar)
    if hit is None or now - hit[1] > REMEMBER_SECONDS:
        hit = _remembered[WorkCalendar] = (WorkCalendar(), now)
    return hit[0]


def forget_remembered(**kwargs) -> None:
    _remembered.clear()
