"""Case endpoints: list, overdue list, detail, edit, transition, timeline,
evidence. Each parses, calls one selector or service, and renders."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cases import workflow
from cases.constants import EventAction, Kind, ReviewResult, Status, status_label
from cases.errors import ConcurrentChange
from cases.filters import (
    DEFAULT_ORDERING,
    ORDERINGS,
    SIMPLE_FILTERS,
    CaseFilter,
    apply_simple_filters,
    order_cases,
    simple_filters,
)
from cases.models import Attachment, Case, CaseEvent
from cases.querysets import local_today
from cases.reference import CITIES
from cases.services import attach_evidence, update_case
from cases.signoff import review_wait
from cases.validation import is_list_of_text
from cases.workflow import transition

from .. import serializers as s
from ..compiled import list_queries
from ..idempotency import idempotent
from ..parsers import StrictJSONParser
from ..pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, KeysetPage, page_size
from ..representation import DETAIL_COLUMNS, LIST_COLUMNS, CaseRenderer, select
from .base import ApiView, etag, expected_version, stale, visible_case

ERRORS = {code: OpenApiResponse(s.ErrorOut) for code in (400, 401, 403, 404)}
STATUS_LIST = "(" + "|".join(Status.values) + ")"


def _or_empty(schema: dict) -> dict:
    """A query parameter's schema: ``schema``, or empty (no filter), as
    the pages' forms send it."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


FILTER_PARAMS = [
    OpenApiParameter("kind", _or_empty({"type": "string", "enum": Kind.values})),
    OpenApiParameter(
        "status",
        # As the filter reads it: items split at commas, spaces around them and empty items ignored.
        {"type": "string", "pattern": rf"^[\s,]*({STATUS_LIST}(\s*,[\s,]*{STATUS_LIST})*)?[\s,]*$"},
        description="One or more of " + ", ".join(Status.values) + ", comma-separated.",
    ),
    OpenApiParameter(
        "city",
        _or_empty({"type": "string", "enum": [code for code, *_names in CITIES] + ["province"]}),
        description="GB/T 2260 city code, or `province` for province-level cases.",
    ),
    OpenApiParameter(
        "division",
        _or_empty({"type": "string", "pattern": "^[0-9]{6}$"}),
        description="GB/T 2260 division code: that division's whole subtree.",
    ),
    OpenApiParameter("campaign", str, description="Campaign code."),
    OpenApiParameter("overdue", _or_empty({"type": "string", "enum": ["true", "false"]})),
    OpenApiParameter("due_before", _or_empty({"type": "string", "format": "date"}), description="Deadline on or before."),
    OpenApiParameter("due_after", _or_empty({"type": "string", "format": "date"}), description="Deadline on or after."),
    OpenApiParameter(
        "updated_since",
        _or_empty({"type": "string", "format": "date-time"}),
        description="ISO 8601 with offset, between the years 1 and 9999 in UTC.",
    ),
    OpenApiParameter("q", {"type": "string", "pattern": "^[^\\x00]*$"}, description="Reference or title contains."),
    OpenApiParameter("ordering", _or_empty({"type": "string", "enum": list(ORDERINGS)})),
]


def page_params(default: int, maximum: int) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": maximum},
            description=f"1 to {maximum} (default {default}).",
        ),
        OpenApiParameter("cursor", str, description="From the previous page's `next`."),
    ]


PAGE_PARAMS = page_params(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def if_match(required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        "If-Match",
        {"type": "string", "pattern": r'^(\*|(W/)?"?[0-9]+"?)$'},
        location=OpenApiParameter.HEADER,
        required=required,
        description="The case's ETag (its version), as read; 412 if the case has changed since.",
    )


def filtered_cases(request) -> tuple[QuerySet, str]:
    """The caller's cases, filtered by the query string (400 on a bad
    value), and the ordering asked for."""
    filters = simple_filters(request.query_params)
    if filters is not None:
        return apply_simple_filters(Case.objects.for_user(request.user), filters), DEFAULT_ORDERING
    return filterset_cases(request)


def filterset_cases(request) -> tuple[QuerySet, str]:
    """``filtered_cases`` through the FilterSet, which words every error."""
    filterset = CaseFilter(request.query_params, queryset=Case.objects.for_user(request.user), request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs, filterset.ordering_key


def simple_list_rows(user, filters: dict, page: KeysetPage) -> list[dict]:
    """The rows of a list page asked for with simple filters only (the
    commonest request), through a query compiled once per shape: the same
    boundary, filters and keyset condition as any list, written by the ORM
    with placeholders, then run with this request's values."""
    bound = user.division_id is not None
    unit_bound = user.unit_id is not None
    # Which filter values are parameters and which change the SQL is the
    # filters' own knowledge (cases.filters.SIMPLE_FILTERS).
    varying = {name: value for name, value in filters.items() if not SIMPLE_FILTERS[name].variant(value)}
    values = {
        "caller": user,
        "user_division": user.division_id,
        "user_unit": user.unit_id,
        "today": local_today(),
        "after_id": page.after[1] if page.after else None,
        **varying,
    }
    # What changes the SQL: the caller's columns that for_user can read (the
    # token's user has no others), which filters in which variant, the page.
    shape = (
        "cases",
        user.role,
        user.is_active,
        user.can_write,
        bound,
        unit_bound,
        tuple((name, SIMPLE_FILTERS[name].variant(value)) for name, value in filters.items()),
        page.after is not None,
        page.size,
    )

    def build(values: dict):
        visible = Case.objects.for_user(values["caller"])
        chosen = {name: values.get(name, value) for name, value in filters.items()}
        queryset = order_cases(apply_simple_filters(visible, chosen, today=values["today"]), DEFAULT_ORDERING)
        # Ordered by id, the cursor's value is the id itself.
        after = None if values["after_id"] is None else (values["after_id"], values["after_id"])
        return page.query(queryset, LIST_COLUMNS, after=after)

    def placeholder_values(placeholders) -> dict:
        user_division = placeholders.division("user_division") if bound else None
        user_unit = placeholders.integer("user_unit") if unit_bound else None
        # A new user with only the shape's columns: if for_user ever read
        # anything else (the id, the name), the SQL compiled from it would
        # differ from the real caller's and the shape would stay on the ORM.
        probe = user.__class__(  # the model class, also through a session's lazy user
            role=user.role,
            is_active=user.is_active,
            can_write=user.can_write,
            division_id=user_division,
            unit_id=user_unit,
        )
        return {
            "caller": probe,
            "user_division": user_division,
            "user_unit": user_unit,
            "today": placeholders.date("today"),
            "after_id": placeholders.integer("after_id") if page.after else None,
            **{name: getattr(placeholders, SIMPLE_FILTERS[name].parameter)(name) for name in varying},
        }

    return list_queries().rows(shape, values, build, placeholder_values)


def case_detail(case_id: int, renderer: CaseRenderer | None = None) -> dict:
    row = select(Case.objects.filter(pk=case_id), DETAIL_COLUMNS).get()
    return (renderer or CaseRenderer())(row)


def case_response(case: Case, code: int = status.HTTP_200_OK) -> Response:
    return Response(case_detail(case.pk), status=code, headers={"ETag": etag(case.version)})


class CaseList(ApiView):
    query_parameters = FILTER_PARAMS + PAGE_PARAMS

    @extend_schema(
        operation_id="cases_list",
        parameters=query_parameters,
        responses={200: s.CasePage, **ERRORS},
        summary="List cases",
    )
    def get(self, request):
        size = page_size(request)
        filters = simple_filters(request.query_params)
        if filters is not None:
            page = KeysetPage(request, ordering=DEFAULT_ORDERING, size=size)
            rows = page.take(simple_list_rows(request.user, filters, page))
        else:
            queryset, ordering = filterset_cases(request)
            page = KeysetPage(request, ordering=ordering, size=size)
            rows = page.rows(order_cases(queryset, ordering), LIST_COLUMNS)
        render = CaseRenderer()
        return Response({"results": [render(row) for row in rows], "next": page.next_url()})


class OverdueList(ApiView):
    # Its own order (most days overdue first): no ordering parameter.
    query_parameters = [p for p in FILTER_PARAMS if p.name != "ordering"] + PAGE_PARAMS

    @extend_schema(
        operation_id="overdue_list",
        parameters=query_parameters,
        responses={200: s.CasePage, **ERRORS},
        summary="Open overdue cases, most days overdue first",
    )
    def get(self, request):
        queryset, _ordering = filtered_cases(request)
        queryset = queryset.overdue(local_today()).by_days_overdue()
        page = KeysetPage(request, ordering="deadline", size=page_size(request), nulls=False)
        render = CaseRenderer()
        rows = page.rows(queryset, LIST_COLUMNS)
        return Response({"results": [render(row) for row in rows], "next": page.next_url()})


class CaseDetailView(ApiView):
    parser_classes = [StrictJSONParser]
    @extend_schema(responses={200: s.CaseDetail, 304: None, **ERRORS}, summary="One case (ETag = version)")
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        tag = etag(case.version)
        matches = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
        if tag in matches or "*" in matches:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return case_response(case)

    @extend_schema(
        request=s.CaseEditInput,
        parameters=[if_match(required=True)],
        responses={200: s.CaseDetail, 412: s.ErrorOut, 428: s.ErrorOut, **ERRORS},
        summary="Edit a case's fields (needs If-Match)",
    )
    def patch(self, request, pk: int):
        case = visible_case(request, pk)
        version = expected_version(request, required=True)
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object of fields to change.")]})
        data = dict(request.data)
        note = data.pop("note", "")
        if not isinstance(note, str):
            raise exceptions.ValidationError({"note": [_("Enter text.")]})
        try:
            case = update_case(case=case, actor=request.user, data=data, expected_version=version, note=note)
        except ConcurrentChange as error:
            raise stale(error) from None
        return case_response(case)


class CaseTransition(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=s.TransitionInput,
        parameters=[if_match(required=False)],
        responses={200: s.CaseDetail, 409: s.ErrorOut, 412: s.ErrorOut, **ERRORS},
        summary="Move a case through the workflow",
    )
    @idempotent
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        version = expected_version(request, required=False)
        body = dict(request.data) if isinstance(request.data, dict) else request.data
        standards = body.pop("standards", None) if isinstance(body, dict) else None
        if standards is not None and not is_list_of_text(standards):
            raise exceptions.ValidationError({"standards": [_("Send the evidence standards ticked as a list of their codes (text).")]})
        data = text_fields(
            body, required=(), optional=("action", "to", "note", "veracity", "handling", "received_on", "channel")
        )
        if standards is not None:
            data["standards"] = standards
        if "action" not in data and "to" not in data:
            raise exceptions.ValidationError({"action": [_("Name the action (or the status to move to, “to”).")]})
        try:
            case = transition(case=case, actor=request.user, expected_version=version, **data)
        except ConcurrentChange as error:
            if version is None:
                raise
            raise stale(error) from None
        return case_response(case)


def text_fields(body, *, required: tuple, optional: tuple) -> dict:
    """Pick the named text fields of a JSON object, reporting every missing
    or non-text one and any unknown key. Whether a value is allowed is the
    service's to say."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors = {}
    for name in required:
        if body.get(name) in (None, ""):
            errors[name] = [_("This field is required.")]
    for name, value in body.items():
        if name not in required + optional:
            errors[name] = [_("Unknown field.")]
        elif value is not None and not isinstance(value, str):
            errors[name] = [_("Enter text.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return {name: body[name] for name in required + optional if body.get(name) is not None}


def _attachment(attachment: dict) -> dict:
    return {
        "id": attachment["id"],
        "name": attachment["original_name"],
        "content_type": attachment["content_type"],
        "size": attachment["size"],
        "sha256": attachment["sha256"],
        "uploaded_at": attachment["uploaded_at"],
    }


class CaseEvents(ApiView):
    @extend_schema(responses={200: s.EventList, **ERRORS}, summary="The case's timeline, oldest first")
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        events = list(
            CaseEvent.objects.filter(case=case)
            .order_by("version", "id")
            .values("id", "version", "action", "actor__username", "created_at", "from_status", "to_status", "note", "changes")
        )
        files: dict[int, list] = {}
        for row in Attachment.objects.filter(case=case).values(
            "id", "event_id", "original_name", "content_type", "size", "sha256", "uploaded_at"
        ):
            files.setdefault(row["event_id"], []).append(_attachment(row))
        actions = {a.value: str(a.label) for a in EventAction}
        results = []
        for event in events:
            results.append(
                {
                    "id": event["id"],
                    "version": event["version"],
                    "action": event["action"],
                    "action_label": actions[event["action"]],
                    "actor": event["actor__username"],
                    "created_at": event["created_at"],
                    "from_status": event["from_status"],
                    "from_status_label": status_label(event["from_status"], case.kind) if event["from_status"] else "",
                    "to_status": event["to_status"],
                    "to_status_label": status_label(event["to_status"], case.kind) if event["to_status"] else "",
                    "note": event["note"],
                    "changes": event["changes"],
                    "attachments": files.get(event["id"], []),
                }
            )
        return Response({"results": results})


class CaseSignOff(ApiView):
    @extend_schema(
        responses={200: s.SignOffOut, **ERRORS},
        summary="The case's sign-off: its chain of review levels, the reviews signed and the objections received",
    )
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        chain = workflow.review_chain(case)
        results = {r.value: str(r.label) for r in ReviewResult}
        reviews = case.reviews.order_by("version").values(
            "version", "level", "reviewer__username", "result", "opinion", "standards", "created_at"
        )
        objections = case.objections.order_by("version").values(
            "version", "received_on", "channel", "content", "recorded_by__username", "created_at"
        )
        return Response(
            {
                "chain": chain,
                "review_stage": workflow.waiting_at(case, chain) or None,
                "actions": [rule.name for rule in workflow.available_moves(case, request.user)],
                "standards": [
                    {"id": st.pk, "code": st.code, "name": st.label} for st in workflow.standards_to_tick(case.campaign)
                ],
                "evidence_required": not case.campaign.allow_acceptance_without_evidence,
                "publicity_ends_on": case.publicity_ends_on,
                "ready_for_sign_off_on": case.ready_for_sign_off_on,
                "closes_after_publicity": case.campaign.close_after_publicity,
                "review_wait": _wait_json(review_wait(case)),
                "reviews": [
                    {**row, "reviewer": row.pop("reviewer__username"), "result_label": results[row["result"]]}
                    for row in reviews
                ],
                "objections": [{**row, "recorded_by": row.pop("recorded_by__username")} for row in objections],
            }
        )


def _wait_json(wait) -> dict | None:
    if wait is None:
        return None
    return {
        "level": wait.level, "arrived_on": wait.arrived_on, "working_days": wait.working_days, "limit": wait.limit,
        "over_limit": wait.is_over_limit,
    }  # fmt: skip


class CaseAttachments(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": s.AttachmentInput},
        parameters=[if_match(required=False)],
        responses={201: s.AttachmentOut, 200: s.AttachmentOut, 412: s.ErrorOut, **ERRORS},
        summary="Attach evidence (PDF, images, Office, text, ZIP, MP4)",
        description="Idempotent: the same file (by SHA-256) on the same case by the same caller answers 200 "
        "with the attachment made the first time.",
    )
    @idempotent
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        version = expected_version(request, required=False)
        upload = request.FILES.get("file")
        note = request.data.get("note", "")
        try:
            attachment = attach_evidence(
                case=case, actor=request.user, upload=upload, note=note, expected_version=version
            )
        except ConcurrentChange as error:
            if version is None:
                raise
            raise stale(error) from None
        row = {
            "id": attachment.pk,
            "original_name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "uploaded_at": attachment.uploaded_at,
        }
        code = status.HTTP_201_CREATED if attachment.is_new else status.HTTP_200_OK
        return Response(_attachment(row), status=code, headers={"ETag": etag(case.version)})
