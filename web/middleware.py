"""The project's own error pages in the demo too.

With DEBUG on (the demo, ``python3 dev.py demo``) Django answers a missing
page with its technical page, which lists every URL pattern, and an error
with a traceback page. A person trying the demo should see what production
shows: 404.html, 403.html, 500.html. The traceback still goes to the log.
The API answers its errors in its own shape, so /api/ is left alone."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views import defaults

logger = logging.getLogger("django.request")


def _ours(request) -> bool:
    return settings.DEBUG and not request.path_info.startswith("/api/")


class ErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A URL that resolves to no view never reaches process_exception:
        # Django has already drawn its technical 404 for it.
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None and _ours(request):
            return defaults.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if not _ours(request):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return defaults.permission_denied(request, exception)
        logger.exception("Internal Server Error: %s", request.path, extra={"status_code": 500, "request": request})
        return defaults.server_error(request)
