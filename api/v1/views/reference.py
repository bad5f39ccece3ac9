"""Reference data and figures: cities, campaigns, statistics."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from cases.constants import CampaignKind, Kind
from cases.models import Campaign, City
from cases.querysets import empty_statistics, local_today
from cases.scope import scope_cities
from cases.statistics import case_statistics

from .. import serializers as s
from .base import ApiView
from .cases import ERRORS


class Cities(ApiView):
    @extend_schema(responses={200: s.CityOut(many=True), **ERRORS}, summary="The 11 cities (GB/T 2260)")
    def get(self, request):
        return Response(list(City.objects.order_by("code").values("code", "name", "name_en", "slug")))


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
    @extend_schema(responses={200: s.StatsOut, **ERRORS}, summary="Totals per kind and per city")
    def get(self, request):
        today = local_today()
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
        return Response(
            {
                "today": today,
                "by_kind": [{"kind": kind, "kind_label": kinds[kind], **row} for kind, row in by_kind.items()],
                "by_city": city_rows,
            }
        )
