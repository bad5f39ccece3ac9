import orjson
from django.db import connection
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from cases.feed import read_feed

from .. import serializers as s
from ..case_json import case_json
from ..pagination import page_size
from ..representation import DETAIL_COLUMNS, CaseRenderer, values_arguments
from .base import ApiView
from .cases import ERRORS, page_params

FEED_PAGE_SIZE = 500
FEED_MAX_PAGE_SIZE = 1000


class Changes(ApiView):
    query_parameters = [
        OpenApiParameter("cursor", str, description="The `cursor` of the previous page; none to start from the beginning."),
        page_params(FEED_PAGE_SIZE, FEED_MAX_PAGE_SIZE)[0],
    ]

    @extend_schema(
        parameters=query_parameters,
        responses={200: s.FeedPageOut, 410: s.ErrorOut, **ERRORS},
        summary="The change feed: every change once, in commit order",
    )
    def get(self, request):
        size = page_size(request, default=FEED_PAGE_SIZE, maximum=FEED_MAX_PAGE_SIZE)
        if connection.vendor == "postgresql":
            # Each case arrives as JSON text written by the database.
            fields, expressions = (), {"case_json": case_json()}

            def render(row):
                return orjson.Fragment(row["case_json"])

        else:
            fields, expressions = values_arguments(DETAIL_COLUMNS)
            render = CaseRenderer()
        page = read_feed(
            user=request.user,
            cursor=request.query_params.get("cursor") or None,
            limit=size,
            fields=fields,
            expressions=expressions,
        )
        results = [
            {
                "id": item.id,
                "version": item.version,
                "deleted": item.deleted,
                "left_scope": item.left_scope,
                "case": None if item.row is None or item.deleted else render(item.row),
            }
            for item in page.items
        ]
        return Response({"results": results, "cursor": page.cursor, "has_more": page.has_more})
