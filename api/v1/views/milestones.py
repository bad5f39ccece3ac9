"""A long-term case's milestones (阶段性目标): add one, edit one or mark it
met, delete one set by mistake. Each answers the case as it now is: its deadline follows the
milestones (cases/milestones.py)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status

from cases import milestones
from cases.errors import ConcurrentChange

from .. import serializers as s
from ..idempotency import idempotent
from ..parsers import StrictJSONParser
from .base import ApiView, expected_version, stale, visible_case
from .cases import ERRORS, case_response, if_match

WRITE_ERRORS = {**ERRORS, 409: s.ErrorOut, 412: s.ErrorOut}
EXPLAINED = (
    "Only long-term (长期坚持) cases have milestones (400 naming `deadline_type` for others). "
    "The case's `deadline` becomes the date of its earliest unmet milestone, so a missed target makes it overdue. "
    "Allowed to whoever may edit the case: 403 otherwise, 404 outside the caller's scope."
)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    unknown = [name for name in request.data if name not in milestones.EDITABLE]
    if unknown:
        raise exceptions.ValidationError({name: [_("Unknown field.")] for name in unknown})
    return dict(request.data)


def _written(request, write):
    """Run ``write`` with the If-Match version; a lost race is 412 under
    If-Match, 409 without."""
    version = expected_version(request, required=False)
    try:
        return write(version)
    except ConcurrentChange as error:
        if version is None:
            raise
        raise stale(error) from None


class CaseMilestones(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        operation_id="case_milestones_create",
        request=s.MilestoneInput,
        parameters=[if_match(required=False)],
        responses={201: OpenApiResponse(s.CaseDetail, description="The case, with its new milestone."), **WRITE_ERRORS},
        summary="Add a milestone (yearly target) to a long-term case",
        description=EXPLAINED,
    )
    @idempotent
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        body = _body(request)
        if body.get("due_on") in (None, "") or body.get("target") in (None, ""):
            missing = [name for name in ("due_on", "target") if body.get(name) in (None, "")]
            raise exceptions.ValidationError({name: [_("This field is required.")] for name in missing})
        _written(
            request,
            lambda version: milestones.add_milestone(case=case, actor=request.user, expected_version=version, **body),
        )
        return case_response(case, status.HTTP_201_CREATED)


class CaseMilestoneDetail(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        operation_id="case_milestones_partial_update",
        request=s.MilestoneEditInput,
        parameters=[if_match(required=False)],
        responses={200: OpenApiResponse(s.CaseDetail, description="The case as it now is."), **WRITE_ERRORS},
        summary="Edit a milestone, or mark it met (met_on) or not met (met_on: null)",
        description=EXPLAINED + " An unknown milestone of the case is a 404.",
    )
    def patch(self, request, pk: int, mid: int):
        case = visible_case(request, pk)
        body = _body(request)
        _written(
            request,
            lambda version: milestones.edit_milestone(
                case=case, actor=request.user, milestone_id=mid, data=body, expected_version=version
            ),
        )
        return case_response(case)

    @extend_schema(
        operation_id="case_milestones_destroy",
        request=None,
        parameters=[if_match(required=False)],
        responses={200: OpenApiResponse(s.CaseDetail, description="The case as it now is."), **WRITE_ERRORS},
        summary="Delete a milestone set by mistake",
        description=EXPLAINED
        + " The case's timeline records the milestone deleted, and its deadline becomes the date of the earliest "
        "unmet milestone left. Nothing is hard-deleted: the milestone is kept, marked removed, and no longer "
        "appears or counts anywhere; a removed or unknown milestone of the case is a 404.",
    )
    def delete(self, request, pk: int, mid: int):
        case = visible_case(request, pk)
        _written(
            request,
            lambda version: milestones.delete_milestone(
                case=case, actor=request.user, milestone_id=mid, expected_version=version
            ),
        )
        return case_response(case)
