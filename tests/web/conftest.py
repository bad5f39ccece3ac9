import pytest

from tests.factories import PASSWORD


@pytest.fixture
def login(client):
    """Log ``client`` in as ``user`` through the login page, as a person does."""

    def _login(user):
        response = client.post("/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return client

    return _login
