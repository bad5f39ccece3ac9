"""Every answer under /api/ is JSON in the API's one error shape
(``{"code", "detail"}``), whoever produced it: a URL that does not
resolve, a body too large, a CSRF or host refusal, a server error.

DRF words the errors of its own views (api.v1.views.base.error_response);
what Django answers outside them (its HTML 404, 400 and 500 pages) is
rewritten here. Request bodies are limited here too: DRF's parsers read
the stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applies
to a JSON body.
"""

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
MULTIPART = "multipart/form-data"


def error_json(status: int, code: str, detail: str, *, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps({"code": code, "detail": str(detail)}), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def body_limit(content_type: str) -> int:
    """The largest request body accepted: an upload (evidence or a
    spreadsheet) plus its form fields, any other body as Django's own form
    limit."""
    if content_type.startswith(MULTIPART):
        largest_file = max(settings.ATTACHMENT_MAX_BYTES, getattr(settings, "IMPORT_MAX_BYTES", 0))
        return largest_file + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(limit: int) -> HttpResponse:
    return error_json(
        413,
        "too_large",
        _("The request body is larger than the %(limit)s bytes accepted.") % {"limit": f"{limit:,}"},
    )


# What Django itself answers, worded for an API client.
_DJANGO_ERRORS = {
    400: ("bad_request", lambda: _("Bad request.")),
    403: ("forbidden", lambda: _("You do not have permission to perform this action.")),
    404: ("not_found", lambda: _("Not found.")),
    405: ("method_not_allowed", lambda: _("Method not allowed.")),
    413: ("too_large", lambda: _("The request body is too large.")),
    500: ("server_error", lambda: _("A server error occurred; it has been logged.")),
}


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json(400, "bad_request", _("The Content-Length header is not a number."))
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if length > limit:
            return too_large(limit)
        return self.as_json(self.get_response(request))

    def process_exception(self, request, exception):
        """Django's own limits (multipart fields) while a view reads the body."""
        if request.path_info.startswith(API_PREFIX) and isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
            return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None

    @staticmethod
    def as_json(response):
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code, detail = _DJANGO_ERRORS.get(status, ("server_error" if status >= 500 else "error", None))
        if detail is None:
            detail = lambda: response.reason_phrase  # noqa: E731
        kept = {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if response.has_header(name)}
        return error_json(status, code, detail(), headers=kept)
