"""What every v1 endpoint shares: orjson output, one error shape, the
permission-aware case lookup and the ETag / If-Match rules."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from cases.errors import CaseError, ConcurrentChange
from cases.models import Case

from ..renderers import ORJSONRenderer


def error_response(exc, context):
    """Errors as ``{"code", "detail", "field"?, "errors"?}``: ``code`` is a
    stable machine name, ``detail`` a sentence for a person, ``errors``
    the messages per field for bad input."""
    if isinstance(exc, CaseError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = dict(_flat_errors(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}))
        field, messages = next(iter(errors.items()), ("non_field_errors", [_("Invalid input.")]))
        code = getattr(exc, "error_code", "invalid")
        response.data = {"code": code, "detail": messages[0], "field": field, "errors": errors}
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {"code": codes if isinstance(codes, str) else "error", "detail": str(exc.detail)}
    return response


# Query parameters every GET takes: DRF's format override (JSON only).
GENERAL_PARAMETERS = frozenset({"format"})


class UnknownParameter(exceptions.ValidationError):
    error_code = "unknown_parameter"


def _flat_errors(detail, prefix: str = ""):
    """(field, messages) pairs of a serializer's errors, nested ones
    named by their path (``cases.3``)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flat_errors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            if item:
                yield from _flat_errors(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or "non_field_errors", [str(m) for m in (detail if isinstance(detail, list) else [detail])]


class ApiView(APIView):
    renderer_classes = [ORJSONRenderer]
    # The query parameters a GET of this endpoint documents (OpenApiParameter
    # list); any other is refused, so that a misspelt filter is never
    # silently ignored.
    query_parameters: tuple = ()

    def get_exception_handler(self):
        return error_response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            check_query_parameters(request, self.query_parameters)


def check_query_parameters(request, documented) -> None:
    """400 naming the first query parameter that ``documented`` (the
    OpenApiParameters of the operation) does not list, and what it does;
    400 naming one given more than once."""
    query = request.query_params
    if not query:
        return
    accepted = {parameter.name for parameter in documented} | GENERAL_PARAMETERS
    unknown = [name for name in query if name not in accepted]
    if unknown:
        known = ", ".join(sorted(accepted - GENERAL_PARAMETERS)) or _("none")
        errors = {
            name: [_("Unknown query parameter “%(name)s”. Accepted: %(known)s.") % {"name": name, "known": known}]
            for name in unknown
        }
        raise UnknownParameter(errors)
    # None of them is a list: a parameter given twice is refused, not half read.
    repeated = [name for name in query if len(query.getlist(name)) > 1]
    if repeated:
        raise exceptions.ValidationError(
            {name: [_("Give the query parameter “%(name)s” once.") % {"name": name}] for name in repeated}
        )


def visible_case(request, pk) -> Case:
    """The case, if the caller may see it; another city's case is a 404 so
    that its existence is not revealed."""
    case = Case.objects.for_user(request.user).select_related("campaign", "city").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def etag(version: int) -> str:
    return f'"{version}"'


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "Send If-Match with the case's ETag (its version) to change it."


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "precondition_failed"


def expected_version(request, *, required: bool) -> int | None:
    """The version named by ``If-Match`` (``"7"``, ``W/"7"`` or ``7``);
    None for ``*`` or, when not required, for no header."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise PreconditionRequired(_("Send If-Match with the case's ETag (its version) to change it."))
        return None
    value = header.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise exceptions.ValidationError({"If-Match": [_("Give the ETag from the case, for example \"3\".")]})
    return int(value)


def stale(error: ConcurrentChange) -> PreconditionFailed:
    """A write that lost to another (or named an old version) under
    If-Match is a failed precondition."""
    current = error.current_version
    detail = _("The case is at version %(version)s; reload it and try again.") % {"version": current}
    return PreconditionFailed(detail)
