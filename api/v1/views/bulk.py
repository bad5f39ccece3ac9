from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from cases.upsert import upsert_cases

from .. import serializers as s
from ..idempotency import idempotent
from ..parsers import StrictJSONParser
from .base import ApiView
from .cases import ERRORS


class BulkUpsert(ApiView):
    parser_classes = [StrictJSONParser]
    @extend_schema(
        request=s.BulkInput,
        responses={200: s.BulkOut, **ERRORS},
        summary="Create or update up to 500 cases by campaign and reference",
    )
    @idempotent
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object with a “cases” list.")]})
        form = s.BulkInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        results = upsert_cases(actor=request.user, items=data["cases"], note=data["note"], dry_run=data["dry_run"])
        summary = {outcome: 0 for outcome in ("created", "updated", "unchanged", "invalid")}
        for result in results:
            summary[result.outcome] += 1
        return Response(
            {"dry_run": data["dry_run"], "summary": summary, "results": [result.as_dict() for result in results]}
        )
