"""The pages' case filter: the shared CaseFilter plus what only a page
needs (the dashboard's "reopened" figure links to the list it counts)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseFilter


class PageCaseFilter(CaseFilter):
    reopened = django_filters.ChoiceFilter(
        choices=[("true", _("Reopened at least once"))], method="filter_reopened", label=_("Reopened")
    )

    def filter_reopened(self, queryset, name, value):
        return queryset.filter(reopened_count__gt=0)
