"""Reference data and figures: divisions, units, cities, campaigns,
statistics."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from cases.constants import CampaignKind, DivisionLevel, Kind
from cases.divisions import CODE_PATTERN, subtree_bounds
from cases.models import Campaign, City, Division, Unit
from cases.querysets import empty_statistics, local_today
from cases.scope import scope_cities, scope_of
from cases.statistics import case_statistics, drill_down

from .. import serializers as s
from .base import ApiView
from .cases import ERRORS, _or_empty


class Cities(ApiView):
    @extend_schema(responses={200: s.CityOut(many=True), **ERRORS}, summary="The 11 cities (GB/T 2260)")
    def get(self, request):
        return Response(list(City.objects.order_by("code").values("code", "name", "name_en", "slug")))


def division_param(request, name: str = "division", *, in_scope: bool = False) -> Division | None:
    """The division a query parameter names by code; 400 naming the
    parameter when unknown (or, with ``in_scope``, outside the caller's)."""
    code = request.query_params.get(name)
    if code in (None, ""):
        return None
    division = Division.objects.filter(code=code).first() if CODE_PATTERN.match(code) else None
    if division is None:
        raise exceptions.ValidationError({name: [_("Unknown division code “%(value)s”.") % {"value": code}]})
    scope = scope_of(request.user)
    if in_scope and (scope is None or not scope.contains_division(division.code)):
        raise exceptions.ValidationError({name: [_("The division %(value)s is outside your division.") % {"value": code}]})
    return division


class Divisions(ApiView):
    query_parameters = [
        OpenApiParameter("parent", str, description="Only this division's children (GB/T 2260 code)."),
        OpenApiParameter(
            "level", _or_empty({"type": "string", "enum": DivisionLevel.values}), description="Empty: every level."
        ),
    ]

    @extend_schema(
        parameters=query_parameters,
        responses={200: s.DivisionOut(many=True), **ERRORS},
        summary="The administrative divisions (GB/T 2260), province to county",
    )
    def get(self, request):
        divisions = Division.objects.order_by("code")
        parent = division_param(request, "parent")
        if parent is not None:
            divisions = divisions.filter(parent=parent)
        level = request.query_params.get("level")
        if level:
            if level not in DivisionLevel.values:
                raise exceptions.ValidationError(
                    {"level": [_("Unknown level “%(value)s”. Known: %(known)s.") % {"value": level, "known": ", ".join(DivisionLevel.values)}]}
                )
            divisions = divisions.filter(level=level)
        return Response(list(divisions.values("code", "name", "level", "kind", "parent")))


class Units(ApiView):
    query_parameters = [
        OpenApiParameter("division", str, description="Units of this division's subtree (GB/T 2260 code).")
    ]

    @extend_schema(
        parameters=query_parameters,
        responses={200: s.UnitOut(many=True), **ERRORS},
        summary="The responsible units",
    )
    def get(self, request):
        units = Unit.objects.order_by("division_id", "name")
        division = division_param(request)
        if division is not None:
            units = units.filter(division__pk__range=subtree_bounds(division.code))
        return Response(list(units.values("id", "name", "division", "kind")))


class Campaigns(ApiView):
    @extend_schema(responses={200: s.CampaignOut(many=True), **ERRORS}, summary="Inspections and warning films")
    def get(self, request):
        kinds = {k.value: str(k.label) for k in CampaignKind}
        campaigns = Campaign.objects.order_by("code").prefetch_related("cities")
        return Response(
            [
                {
                    "code": c.code,
                    "kind": c.kind,
                    "kind_label": kinds[c.kind],
                    "name": c.name,
                    "name_en": c.name_en,
                    "round": c.round,
                    "batch": c.batch,
                    "year": c.year,
                    "started_on": c.started_on,
                    "cities": [city.code for city in c.cities.all()],
                }
                for c in campaigns
            ]
        )


def _add(total: dict, counts: dict) -> None:
    for name, value in counts.items():
        total[name] += value


class Stats(ApiView):
    query_parameters = [
        OpenApiParameter(
            "division",
            str,
            description="Drill down: this division's figures and its children's (GB/T 2260 code in your division).",
        )
    ]

    @extend_schema(
        parameters=query_parameters,
        responses={200: s.StatsOut, **ERRORS},
        summary="Totals per kind and per city, and per child of a division",
    )
    def get(self, request):
        today = local_today()
        division = division_param(request, in_scope=True)
        by_kind = {kind.value: empty_statistics() for kind in Kind}
        by_city: dict[str | None, dict] = {}
        # Kept counts plus the open cases' overdue count: no scan of every case.
        for (kind, city), counts in case_statistics(user=request.user, today=today).items():
            _add(by_kind[kind], counts)
            _add(by_city.setdefault(city, empty_statistics()), counts)
        cities = scope_cities(request.user).order_by("code")
        city_rows = [
            {"city": city.code, "city_name": city.name, **by_city.get(city.code, empty_statistics())} for city in cities
        ]
        if request.user.sees_whole_province:
            city_rows.append({"city": None, "city_name": _("Province-level"), **by_city.get(None, empty_statistics())})
        kinds = {k.value: str(k.label) for k in Kind}
        body = {
            "today": today,
            "by_kind": [{"kind": kind, "kind_label": kinds[kind], **row} for kind, row in by_kind.items()],
            "by_city": city_rows,
        }
        if division is not None:
            body |= division_figures(request.user, division, today)
        return Response(body)


def division_figures(user, division: Division, today) -> dict:
    """The drill-down: the division's figures and one row per child (every
    child, with nothing or not), plus the division's own cases when it has
    any; the rows add up to the division's figures exactly."""
    total, children = drill_down(user=user, division=division, today=today)
    rows = [
        {"division": child.code, "division_name": child.name, "level": child.level, "own": False}
        | children.get(child.code, empty_statistics())
        for child in division.children.order_by("code")
    ]
    if division.code in children:
        rows.append(
            {"division": division.code, "division_name": division.name, "level": division.level, "own": True}
            | children[division.code]
        )
    head = {"division": division.code, "division_name": division.name, "level": division.level, "own": False}
    return {"division": head | total, "children": rows}
