"""Case querysets: the permission boundary and the deadline arithmetic.

Every view, export, task and API endpoint starts from
``Case.objects.for_user(user)`` so the boundary (cases/scope.py) cannot be
forgotten.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .constants import WITH_CITY_STATUSES, EventAction, Kind, Status
from .scope import scope_of


def local_today() -> datetime.date:
    """Today's date in Asia/Shanghai, whatever the server's or UTC's date is."""
    return timezone.localdate()


def arrived_at_level():
    """When a case awaiting acceptance arrived at the level it waits at,
    for a queryset's ``annotate``: its latest move into awaiting acceptance
    (a submission, an approval from the level below, a return from the
    level above; a rejected and resubmitted case starts again), or its last
    change where no move recorded one (a case imported already waiting)."""
    from .models import CaseEvent

    moves = CaseEvent.objects.filter(
        case=OuterRef("pk"), action=EventAction.TRANSITION, to_status=Status.PENDING_ACCEPTANCE
    ).order_by("-version")
    return Coalesce(Subquery(moves.values("created_at")[:1]), F("updated_at"))


def due_soon_horizon(today: datetime.date, days: int | None = None) -> datetime.date:
    """The first deadline that is not due soon on ``today``: due soon means
    at most ``days`` (DUE_SOON_DAYS) working days left, China's holidays and
    make-up days counted, so a deadline on the weekend after the last of
    them is due soon too."""
    from workdays.calendar import add_working_days_remembered

    days = settings.DUE_SOON_DAYS if days is None else days
    return add_working_days_remembered(today, days + 1)


class CaseQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """As ``save`` does, each case's city comes from its division."""
        objs = list(objs)
        for case in objs:
            case.derive_city()
        return super().bulk_create(objs, *args, **kwargs)

    def not_withdrawn(self):
        """Cases that have not been withdrawn."""
        return self.filter(withdrawn_at__isnull=True)

    def for_user(self, user):
        """The cases ``user`` may see: nothing for anonymous or inactive
        users, else the visible cases of the account's scope (its division's
        subtree, narrowed to its unit's cases for a unit-bound account)."""
        return self.in_scope_of(user).not_withdrawn()

    def in_scope_of(self, user):
        """``for_user`` with withdrawn cases too (the change feed reports
        them as deleted)."""
        scope = scope_of(user)
        if scope is None:
            return self.none()
        return self.filter(scope.case_q())

    def waiting_at_level(self, *levels: str):
        """Awaiting acceptance or in publicity and waiting for the review at
        one of ``levels``: the review stage every move writes
        (``workflow.moved``; the chain's migration placed the older rows)."""
        return self.filter(status__in=(Status.PENDING_ACCEPTANCE, Status.IN_PUBLICITY), review_stage__in=levels)

    def with_city(self):
        """Still with the city: assigned or in progress, not yet submitted."""
        return self.filter(status__in=WITH_CITY_STATUSES)

    def overdue(self, today: datetime.date | None = None):
        """Still with the city and past the deadline. A deadline of today is
        not overdue yet; it is from 00:00 Shanghai time the next day."""
        today = today or local_today()
        return self.filter(status__in=WITH_CITY_STATUSES, deadline__lt=today)

    def not_overdue(self, today: datetime.date | None = None):
        today = today or local_today()
        return self.exclude(status__in=WITH_CITY_STATUSES, deadline__lt=today)

    def due_soon(self, today: datetime.date | None = None, days: int | None = None):
        """Still with the city and due within the next ``days`` working days
        (DUE_SOON_DAYS; today included, see ``due_soon_horizon``)."""
        today = today or local_today()
        return self.filter(
            status__in=WITH_CITY_STATUSES, deadline__gte=today, deadline__lt=due_soon_horizon(today, days)
        )

    def by_days_overdue(self):
        """Most days overdue first (oldest deadline first), stable by id."""
        return self.order_by("deadline", "id")

    def statistics(self, today: datetime.date | None = None, group_by: str | tuple[str, ...] = "kind") -> dict:
        """One aggregate query: total, closed, overdue and awaiting
        acceptance per ``group_by`` value (per tuple of values when
        ``group_by`` is a tuple, so one scan can feed several groupings)."""
        today = today or local_today()
        fields = (group_by,) if isinstance(group_by, str) else tuple(group_by)
        rows = (
            self.order_by()
            .values(*fields)
            .annotate(
                total=Count("id"),
                closed=Count("id", filter=Q(status=Status.CLOSED)),
                overdue=Count("id", filter=Q(status__in=WITH_CITY_STATUSES, deadline__lt=today)),
                awaiting_acceptance=Count("id", filter=Q(status=Status.PENDING_ACCEPTANCE)),
                reopened=models.Sum("reopened_count"),
            )
        )
        result = {}
        for row in rows:
            values = tuple(row.pop(field) for field in fields)
            key = values[0] if isinstance(group_by, str) else values
            row["reopened"] = row["reopened"] or 0
            result[key] = row
        return result


def empty_statistics() -> dict:
    return {"total": 0, "closed": 0, "overdue": 0, "awaiting_acceptance": 0, "reopened": 0}


def kind_statistics(queryset, today=None) -> dict:
    """Per kind, every kind present even when it has no cases."""
    found = queryset.statistics(today=today, group_by="kind")
    return {kind.value: found.get(kind.value, empty_statistics()) for kind in Kind}
