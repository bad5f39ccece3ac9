"""Case lists: all cases and the overdue list (the acceptance queue, in
acceptance.py, is one too), each filtered by the shared CaseFilter,
sortable, paginated and exportable."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from cases import workflow
from cases.constants import WITH_CITY_STATUSES, Kind, Status, status_choices
from cases.filters import ORDERINGS
from cases.models import Campaign, Case
from cases.querysets import local_today
from cases.scope import scope_cities
from imports.export import ledger_response
from reports.ledger import PRINT_LABEL, printable_ledger

from ..export import case_list_response
from ..filters import PageCaseFilter
from ..paging import CountingPaginator
from ..urgency import by_page_ordering, by_urgency

PAGE_SIZE = 50


class CaseListView(LoginRequiredMixin, View):
    template_name = "web/case_list.html"
    title = _("Cases")
    url_name = "web:case_list"
    export_url_name = "web:case_list_export"
    ledger_url_name = "web:case_list_ledger"
    export_filename = "cases"
    # None: the page; "xlsx": the list as a spreadsheet; "ledger": the list
    # as the rectification ledger (one sheet per kind, import layouts);
    # "print": the list as a ledger to print (reports.ledger). Each holds
    # exactly the rows the page lists, in its order.
    export = None
    filterset_class = PageCaseFilter
    show_days_overdue = False
    # Only choices that can list something on this page are offered.
    statuses = tuple(Status)
    offers_overdue = True

    def base_queryset(self, today):
        return Case.objects.for_user(self.request.user)

    def default_order(self, queryset, today):
        return by_urgency(queryset, today)

    def check_access(self):
        pass

    def get(self, request):
        return self.render_list(request)

    def rows(self, cases: list, today) -> list:
        """The cases of one page, marked with what their rows show."""
        return _marked_returns(cases)

    def render_list(self, request, *, extra: dict | None = None, status: int | None = None):
        self.check_access()
        today = local_today()
        filterset = self.filterset_class(request.GET, queryset=self.base_queryset(today), request=request)
        valid = filterset.is_valid()
        cases = filterset.qs if valid else Case.objects.none()
        cases = cases.select_related("city", "campaign", "lead_unit")
        if valid:
            ordering = filterset.form.cleaned_data.get("ordering")
            cases = by_page_ordering(cases, ordering) if ordering else self.default_order(cases, today)
        if self.export == "xlsx" and valid:
            return case_list_response(cases, today=today, filename=self.export_filename)
        if self.export == "ledger" and valid:
            return ledger_response(cases, today=today)
        if self.export == "print" and valid:
            return printable_ledger(request, cases, today=today, title=self.title, filterset=filterset)
        number = request.GET.get("page")
        page = CountingPaginator(cases, PAGE_SIZE, number=number).get_page(number)
        page.object_list = self.rows(list(page.object_list), today)
        context = {
            "title": self.title,
            "filterset": filterset,
            "page": page,
            "today": today,
            "show_days_overdue": self.show_days_overdue,
            "ordering": filterset.form.cleaned_data.get("ordering", "") if valid else "",
            "sortable": {key for key in ORDERINGS if not key.startswith("-") and key != "id"},
            "list_url_name": self.url_name,
            "export_url_name": self.export_url_name,
            "ledger_url_name": self.ledger_url_name,
            "print_url_name": self.url_name + "_print",
            "print_label": PRINT_LABEL,
            "choices": self.filter_choices(),
            **(extra or {}),
        }
        return render(request, self.template_name, context, status=status or (200 if valid else 400))

    def filter_choices(self) -> dict:
        """Options for the filter form's selects, limited to what the
        viewer can see (an officer is offered only their own city)."""
        user = self.request.user
        cities = scope_cities(user)
        kind = self.request.GET.get("kind")
        return {
            "kinds": Kind.choices,
            # In the words of the chosen kind (a petition is 办理中, not 整改中).
            "statuses": status_choices(kind if kind in Kind.values else None, self.statuses),
            "overdue": self.offers_overdue,
            "cities": [(c.code, c.name) for c in cities],
            "province": user.sees_whole_province,
            "campaigns": list(Campaign.objects.values_list("code", "name")),
        }


def _marked_returns(cases: list) -> list:
    """Each case the supervisor returned and the city has not resubmitted
    carries the return (``standing_return``), so its row says 已退回 and why."""
    returns = workflow.standing_returns(cases)
    for case in cases:
        case.standing_return = returns.get(case.pk)
    return cases


class OverdueListView(CaseListView):
    title = _("Overdue cases")
    url_name = "web:overdue"
    export_url_name = "web:overdue_export"
    ledger_url_name = "web:overdue_ledger"
    export_filename = "overdue"
    show_days_overdue = True
    statuses = WITH_CITY_STATUSES
    offers_overdue = False

    def base_queryset(self, today):
        return super().base_queryset(today).overdue(today)

    def default_order(self, queryset, today):
        return queryset.by_days_overdue()
