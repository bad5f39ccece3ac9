"""The pages' case filters: the shared CaseFilter plus what only a page
needs (the dashboard's "reopened" figure links to the list it counts; the
acceptance queue sorts by waiting time, evidence, city and status)."""

import django_filters
from django.db.models import Case as DbCase
from django.db.models import Count, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.constants import Status
from cases.filters import ORDERINGS, CaseFilter
from cases.models import Attachment
from cases.querysets import arrived_at_level


class PageCaseFilter(CaseFilter):
    reopened = django_filters.ChoiceFilter(
        choices=[("true", _("Reopened at least once"))], method="filter_reopened", label=_("Reopened")
    )

    def filter_reopened(self, queryset, name, value):
        return queryset.filter(reopened_count__gt=0)


# The acceptance queue sorts by what its reader weighs: how long a case has
# waited, how much evidence it has, its city, its status and how far past
# its deadline it is. Ascending means fewest days / files first.
QUEUE_ORDERINGS = {
    "days_waiting": (F("submitted_at").desc(),),
    "evidence": (F("evidence_count").asc(),),
    "city": (F("city_id").asc(nulls_first=True),),
    "status": (DbCase(*(When(status=s, then=Value(i)) for i, s in enumerate(Status.values))).asc(),),
    "days_overdue": (F("deadline").desc(nulls_first=True),),
}


def _reversed(keys: tuple) -> tuple:
    return tuple(key.copy().reverse_ordering() if hasattr(key, "reverse_ordering") else key for key in keys)


class AcceptanceQueueFilter(PageCaseFilter):
    """Bind to a queryset annotated by ``annotate_queue``."""

    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS]
        + [(f"{sign}{key}", f"{sign}{key}") for key in QUEUE_ORDERINGS for sign in ("", "-")],
        method="order",
        label=_("Order by"),
    )

    def order(self, queryset, name, value):
        key = value.lstrip("-")
        if key not in QUEUE_ORDERINGS:
            return super().order(queryset, name, value)
        keys = QUEUE_ORDERINGS[key]
        if value.startswith("-"):
            return queryset.order_by(*_reversed(keys), "-id")
        return queryset.order_by(*keys, "id")


def annotate_queue(queryset):
    """Each case with when it arrived at the level it waits at
    (``submitted_at``, see ``arrived_at_level``) and how many evidence
    files it has."""
    files = Attachment.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk"))
    return queryset.annotate(
        submitted_at=arrived_at_level(),
        evidence_count=Coalesce(Subquery(files.values("n")[:1]), Value(0)),
    )
