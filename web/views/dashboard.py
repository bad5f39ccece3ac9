"""The landing page and the supervisors' dashboard."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from cases.constants import Kind, Status
from cases.models import Division
from cases.querysets import empty_statistics, local_today
from cases.scope import scope_cities, scope_of
from cases.statistics import case_statistics, drill_down
from reports.charts import completion_chart
from reports.ledger import CAMPAIGNS_LINK_LABEL
from reports.progress import city_ranking


@require_GET
@login_required
def home(request):
    """Supervisors start from the province's figures, a city bureau from its
    own cases (the list puts overdue ones first)."""
    if request.user.sees_whole_province:
        return redirect("web:dashboard")
    return redirect("web:case_list")


def _list_url(name: str, **params) -> str:
    path = _paths.get(name) or _paths.setdefault(name, reverse(name))
    return f"{path}?{urlencode(params)}" if params else path


# The list paths, reversed once per process: the city table links each of
# hundreds of cities five times (1,500 reverse() calls a page).
_paths: dict[str, str] = {}


def _add(total: dict, stats: dict) -> None:
    for key in total:
        total[key] += stats[key]


def _completion(stats: dict) -> float | None:
    return round(100 * stats["closed"] / stats["total"], 1) if stats["total"] else None


def _drilled_division(request) -> Division | None:
    """The division whose children the table shows (``?division=``), inside
    the viewer's scope; none asked: the cities."""
    code = request.GET.get("division")
    if not code:
        return None
    scope = scope_of(request.user)
    division = Division.objects.filter(code=code).first()
    if division is None or scope is None or not scope.contains_division(division.code):
        raise Http404()
    return division


@require_GET
@login_required
def dashboard(request):
    """Per kind and per city, over the cases the viewer may see (an officer
    sees their own city's figures), from the kept counts: no scan of every
    case however many there are."""
    user = request.user
    today = local_today()

    # Figures per (kind, city); both tables are sums of those few rows.
    by_kind, by_city = {}, {}
    statistics = case_statistics(user=user, today=today)
    for (kind, city), stats in statistics.items():
        for totals, key in ((by_kind, kind), (by_city, city)):
            _add(totals.setdefault(key, empty_statistics()), stats)

    cards = []
    for kind in Kind:
        stats = by_kind.get(kind.value, empty_statistics())
        cards.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "stats": stats,
                "completion": _completion(stats),
                "urls": {
                    "total": _list_url("web:case_list", kind=kind.value),
                    "closed": _list_url("web:case_list", kind=kind.value, status=Status.CLOSED),
                    "overdue": _list_url("web:overdue", kind=kind.value),
                },
            }
        )

    drilled = _drilled_division(request)
    if drilled is None:
        # Per city; a click on a city opens its counties, where the viewer
        # may see the whole city (a county bureau's row of its city does
        # not lead to a page that would refuse it).
        scope = scope_of(user)
        rows = [
            ("city", city.code, city.name, city.code if scope is not None and scope.contains_division(city.code) else None)
            for city in scope_cities(user)
        ]
        if None in by_city:
            rows.append(("city", "province", None, None))
        figures = by_city
    else:
        # Per child of the division, and the division's own cases.
        _total, figures = drill_down(user=user, division=drilled, today=today)
        rows = [("division", c.code, c.name, c.code if c.level != "county" else None) for c in drilled.children.all()]
        if drilled.code in figures:
            rows.append(("division", drilled.code, drilled.name, None))
    ranking = {line.code: line for line in city_ranking(user=user, day=today, statistics=statistics)}
    city_rows = []
    for param_name, param, name, drill in rows:
        code = None if param == "province" else param
        stats = figures.get(code, empty_statistics())
        scoped = {param_name: param}
        # All the cases awaiting acceptance, at whatever level they wait (a
        # review queue holds only those waiting at the viewer's level).
        awaiting = _list_url("web:case_list", **scoped, status=Status.PENDING_ACCEPTANCE)
        city_rows.append(
            {
                "code": code,
                "name": name,
                "stats": stats,
                "completion": _completion(stats),
                "ranking": ranking.get(code) if drilled is None else None,
                "drill_url": _list_url("web:dashboard", division=drill) if drill else None,
                "urls": {
                    "total": _list_url("web:case_list", **scoped),
                    "closed": _list_url("web:case_list", **scoped, status=Status.CLOSED),
                    "overdue": _list_url("web:overdue", **scoped),
                    "awaiting_acceptance": awaiting,
                    "reopened": _list_url("web:case_list", **scoped, reopened="true"),
                },
            }
        )
    totals = empty_statistics()
    for stats in by_kind.values():
        _add(totals, stats)
    context = {
        "today": today,
        "drilled": drilled,
        "cards": cards,
        "city_rows": city_rows,
        "chart": completion_chart(
            [line for line in ranking.values() if line.code],
            urls={row["code"]: row["urls"]["closed"] for row in city_rows},
        ),
        "totals": totals,
        "total_completion": _completion(totals),
        "campaigns_link_label": CAMPAIGNS_LINK_LABEL,
    }
    return render(request, "web/dashboard.html", context)
