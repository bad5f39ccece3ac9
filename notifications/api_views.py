"""/api/v1/notifications/: the caller's own notification centre."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.v1.pagination import page_size
from api.v1.views.base import ApiView
from api.v1.views.cases import ERRORS

from .models import Notification
from .services import mark_read


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
        child=serializers.IntegerField(), required=False,
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
        OpenApiParameter("unread", str, enum=["true"], description="Only the unread ones."),
        OpenApiParameter("before", int, description="Only notifications older than this id (the next page)."),
        OpenApiParameter("page_size", int, description="1 to 200, default 50."),
    ]

    @extend_schema(
        summary="The caller's notifications, newest first",
        operation_id="notifications_list",
        parameters=query_parameters,
        responses={200: NotificationPage, **ERRORS},
    )
    def get(self, request):
        mine = Notification.objects.for_user(request.user)
        rows = mine.unread() if request.query_params.get("unread") == "true" else mine
        before = request.query_params.get("before")
        if before not in (None, ""):
            if not before.isdigit():
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
