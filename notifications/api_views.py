"""/api/v1/notifications/: the caller's own notification centre."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from api.v1.pagination import MAX_PAGE_SIZE, page_size
from api.v1.parsers import StrictJSONParser
from api.v1.serializers import PlainText, StrictInteger
from api.v1.views.base import ApiView
from api.v1.views.cases import ERRORS, _or_empty

# The largest id the database stores (bigint).
MAX_ID = 2**63 - 1

from cases.models import Division
from cases.validation import NOTE_TEXT
from cases.querysets import local_today

from .models import Notification, ReceiptWay
from .services import mark_read
from .urgings import receive, urge, urge_overdue, visible_urging


class CaseLink(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    section = serializers.CharField(required=False)
    url = serializers.CharField(help_text="The case's page on the site.")


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="digest (每日提醒), urging (催办) or escalation (上报升级).")
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField(help_text="The list on the site it is about (a path).")
    cases = CaseLink(many=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPage(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many of the caller's notifications are unread.")
    results = NotificationOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next page, older notifications; null at the end.")


class ReadIn(serializers.Serializer):
    ids = serializers.ListField(
        child=StrictInteger(max_value=MAX_ID), required=False,
        help_text="The notifications to mark read; all unread ones when left out.",
    )  # fmt: skip


class ReadOut(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


def as_json(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "cases": [case | {"url": f"/cases/{case['id']}/"} for case in notification.cases],
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


class NotificationList(ApiView):
    query_parameters = [
        OpenApiParameter("unread", _or_empty({"type": "string", "enum": ["true"]}), description="Only the unread ones."),
        OpenApiParameter(
            "before",
            _or_empty({"type": "integer", "minimum": 0, "maximum": MAX_ID}),
            description="Only notifications older than this id (the next page).",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            description=f"1 to {MAX_PAGE_SIZE} (default 50).",
        ),
    ]

    @extend_schema(
        summary="The caller's notifications, newest first",
        operation_id="notifications_list",
        parameters=query_parameters,
        responses={200: NotificationPage, **ERRORS},
    )
    def get(self, request):
        mine = Notification.objects.for_user(request.user)
        unread = request.query_params.get("unread", "")
        if unread not in ("", "true"):
            raise ValidationError({"unread": [_("Leave it out, or say true.")]})
        rows = mine.unread() if unread == "true" else mine
        before = request.query_params.get("before")
        if before not in (None, ""):
            if not (before.isascii() and before.isdigit()) or int(before) > MAX_ID:
                raise ValidationError({"before": [_("Enter a notification id.")]})
            rows = rows.filter(pk__lt=int(before))
        size = page_size(request)
        page = list(rows.order_by("-id")[: size + 1])
        more = len(page) > size
        page = page[:size]
        next_url = None
        if more:
            params = request.query_params.copy()
            params["before"] = str(page[-1].pk)
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(
            {"unread": mine.unread().count(), "results": [as_json(n) for n in page], "next": next_url}
        )


class NotificationRead(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Mark notifications read",
        operation_id="notifications_read",
        request=ReadIn,
        responses={200: ReadOut, **ERRORS},
    )
    def post(self, request):
        data = ReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        marked = mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked": marked, "unread": Notification.objects.for_user(request.user).unread().count()})


class NotificationDetail(ApiView):
    @extend_schema(
        summary="One of the caller's notifications; another account's is a 404",
        operation_id="notifications_retrieve",
        responses={200: NotificationOut, **ERRORS},
    )
    def get(self, request, pk: int):
        return Response(as_json(get_object_or_404(Notification.objects.for_user(request.user), pk=pk)))


class UrgeIn(serializers.Serializer):
    cases = serializers.ListField(
        child=StrictInteger(max_value=MAX_ID), required=False,
        help_text="The case ids to urge (one urging per responsible division).",
    )  # fmt: skip
    division = PlainText(
        max_length=6, required=False,
        help_text="Or: urge every overdue case of this division's subtree (GB/T 2260 code), "
        "one urging per responsible division below the caller's own.",
    )  # fmt: skip
    city = PlainText(max_length=6, required=False, help_text="The same as division (kept for v1 clients).")
    note = PlainText(required=True, allow_blank=False, max_length=NOTE_TEXT, help_text="What is expected; sent with the urging.")

    def validate(self, data):
        given = [name for name in ("cases", "division", "city") if data.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError({"cases": [_("Give one of cases, division or city.")]})
        return data


class ReceiptOut(serializers.Serializer):
    account = serializers.CharField()
    way = serializers.CharField(help_text="opened or signed (签收).")
    received_at = serializers.DateTimeField()


class UrgingOut(serializers.Serializer):
    id = serializers.IntegerField()
    division = serializers.CharField(help_text="The division urged (GB/T 2260 code).")
    city = serializers.CharField(allow_null=True, help_text="The city the division urged lies in (v1 clients).")
    to_units = serializers.BooleanField(
        help_text="A city bureau's urging of its own city-level cases: their lead and cooperating units answer it, "
        "not the bureau; escalated to the province."
    )
    note = serializers.CharField()
    cases = serializers.ListField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()
    receipt_due_at = serializers.DateTimeField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    receipts = ReceiptOut(many=True)


def urging_json(urging) -> dict:
    return {
        "id": urging.pk,
        "division": urging.division_id,
        "city": urging.city_id,
        "to_units": urging.to_units,
        "note": urging.note,
        "cases": sorted(urging.cases.values_list("pk", flat=True)),
        "created_at": urging.created_at,
        "receipt_due_at": urging.receipt_due_at,
        "escalated_at": urging.escalated_at,
        "receipts": [
            {"account": r.account.username, "way": r.way, "received_at": r.received_at}
            for r in urging.receipts.select_related("account")
        ],
    }


class UrgingList(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Urge cases (催办): a reviewing level, the divisions below it (a city bureau also its own cases' units)",
        operation_id="urgings_create",
        request=UrgeIn,
        responses={201: UrgingOut(many=True), **ERRORS},
    )
    def post(self, request):
        data = UrgeIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            code = data.validated_data.get("division") or data.validated_data.get("city")
            if code:
                division = get_object_or_404(Division, pk=code)
                urgings = urge_overdue(actor=request.user, division=division, note=data.validated_data["note"], today=local_today())
            else:
                urgings = urge(actor=request.user, case_ids=data.validated_data["cases"], note=data.validated_data["note"])
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response([urging_json(u) for u in urgings], status=201)


class UrgingDetail(ApiView):
    @extend_schema(summary="An urging and its receipts", operation_id="urgings_retrieve", responses={200: UrgingOut, **ERRORS})
    def get(self, request, pk: int):
        return Response(urging_json(visible_urging(user=request.user, pk=pk)))


class UrgingReceiptView(ApiView):
    @extend_schema(
        summary="Sign for an urging (签收): its responsible accounts",
        operation_id="urgings_receipt",
        request=None,
        responses={200: UrgingOut, **ERRORS},
    )
    def post(self, request, pk: int):
        urging = visible_urging(user=request.user, pk=pk)
        if not receive(urging=urging, account=request.user, way=ReceiptWay.SIGNED) and not urging.receipts.filter(
            account=request.user
        ).exists():
            raise PermissionDenied(_("Only the urged division's responsible accounts sign for an urging."))
        return Response(urging_json(urging))
