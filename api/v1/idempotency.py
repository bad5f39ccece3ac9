"""``Idempotency-Key`` on POST: a retried request with the same key and
body gets the first response replayed; the same key with another body is
a client bug and gets 422. Keys belong to the user who sent them."""

import datetime
import functools
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("ETag", "Location")
# A key is remembered this long; a client retries within minutes, not days.
KEY_LIFETIME = datetime.timedelta(hours=24)
# A claim still without a response after this long belongs to a request
# whose worker died; the next retry takes it over.
ABANDONED_AFTER = datetime.timedelta(minutes=10)


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/"):
        # An upload can be larger than Django lets .body hold in memory.
        for name in sorted(request.data.keys()):
            if name in request.FILES:
                for upload in request.FILES.getlist(name):
                    digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
                    for chunk in upload.chunks():
                        digest.update(chunk)
                    upload.seek(0)
            else:
                for value in request.data.getlist(name):
                    digest.update(f"{name}={value}\n".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _problem(code: int, detail: str, error_code: str) -> Response:
    return Response({"code": error_code, "detail": detail, "field": HEADER}, status=code)


def idempotent(handler):
    """Decorate a view's ``post``. Without the header it runs as usual."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            return _problem(400, _("The Idempotency-Key must be 1 to 255 printable characters."), "invalid")
        fingerprint = _fingerprint(request)
        now = timezone.now()
        IdempotencyKey.objects.filter(user=request.user, created_at__lt=now - KEY_LIFETIME).delete()
        IdempotencyKey.objects.filter(
            user=request.user, key=key, status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER
        ).delete()
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(user=request.user, key=key, request_hash=fingerprint)
        except IntegrityError:
            earlier = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if earlier is None:  # the first request failed and released the key meanwhile
                return _problem(409, _("A request with this Idempotency-Key is in progress; retry."), "in_progress")
            if earlier.request_hash != fingerprint:
                return _problem(
                    422, _("This Idempotency-Key was used with a different request."), "idempotency_key_reused"
                )
            if earlier.status_code is None:
                return _problem(409, _("A request with this Idempotency-Key is in progress; retry."), "in_progress")
            response = Response(earlier.response, status=earlier.status_code, headers=earlier.headers)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            claim.delete()
            raise
        if response.status_code >= 500:
            claim.delete()
            return response
        claim.status_code = response.status_code
        claim.response = response.data
        claim.headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
        claim.save(update_fields=["status_code", "response", "headers"])
        return response

    return wrapper
