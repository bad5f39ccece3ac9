"""The API under the settings production runs with (DEBUG off, HTTPS
behind a proxy): the same answers, errors in JSON, plain HTTP redirected."""

import pytest

from cases.models import Case

from ..conftest import token_client
from .conftest import HTTPS

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(production, supervisor):
    return token_client(supervisor)


def test_plain_http_is_redirected_to_https(client):
    response = client.get("/api/v1/cases/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_list_answers_over_https_with_hsts(client, nanchang_case):
    response = client.get("/api/v1/cases/?city=360100", **HTTPS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [nanchang_case.pk]
    assert "max-age=31536000" in response["Strict-Transport-Security"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/cases/null,null/events/", 404, "not_found"),
        ("/api/v1/cases/?stauts=closed", 400, "unknown_parameter"),
        ("/api/v1/overdue/?updated_since=9999-12-31T23:59:59-23:59", 400, "invalid"),
    ],
)
def test_errors_are_json(client, path, status, code):
    response = client.get(path, **HTTPS)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json" and response.json()["code"] == code


def test_bad_input_is_refused_and_changes_nothing(client, nanchang_case):
    url = f"/api/v1/cases/{nanchang_case.pk}/"
    for body in ({"progress": "清淤\x00"}, {"penalty_cases": 10**20}):
        response = client.patch(url, body, format="json", HTTP_IF_MATCH='"1"', **HTTPS)
        assert response.status_code == 400 and response.json()["field"] in body
    big = b'{"progress": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    response = client.generic("PATCH", url, big, content_type="application/json", HTTP_IF_MATCH='"1"', **HTTPS)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert Case.objects.get(pk=nanchang_case.pk).version == 1


def test_an_edit_over_https_is_applied(client, nanchang_case):
    url = f"/api/v1/cases/{nanchang_case.pk}/"
    response = client.patch(url, {"progress": "已完成清淤"}, format="json", HTTP_IF_MATCH='"1"', **HTTPS)
    assert response.status_code == 200 and response["ETag"] == '"2"'
