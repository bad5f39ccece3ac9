import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """A client for a given user (or anonymous), speaking JSON."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return client_for


@pytest.fixture
def production(settings):
    """The settings tracker/settings.py turns on with DEBUG=0 (HTTPS only,
    behind a proxy that says so). Requests must then carry
    ``HTTP_X_FORWARDED_PROTO="https"`` (see ``HTTPS``)."""
    settings.DEBUG = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    return settings


HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}
