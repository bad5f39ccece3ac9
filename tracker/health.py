"""Public health check: 200 while the database answers; says whether the
broker does (a broker outage must not take the site down)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except redis.RedisError:
        return "unreachable"


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # any driver error means "down" to a load balancer
        database = "unreachable"
    body = {"database": database, "broker": _broker_state()}
    body["status"] = "ok" if database == "ok" else "error"
    return JsonResponse(body, status=200 if database == "ok" else 503)
