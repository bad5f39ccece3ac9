"""Every answer under /api/ is JSON in the API's error shape, whoever
produced it (Django's resolver, a CSRF check, a body limit, a crash), and
the schema documents it."""

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from cases.models import Case

from ..conftest import token_client

ERROR_KEYS = {"code", "detail"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert ERROR_KEYS <= set(body) and body["detail"]
    if code:
        assert body["code"] == code
    return body


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def client(supervisor):
    return token_client(supervisor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/cases/null,null/"),
        ("patch", "/api/v1/cases/null,null/"),
        ("get", "/api/v1/cases/null,null/events/"),
        ("post", "/api/v1/cases/null,null/transition/"),
        ("post", "/api/v1/cases/null,null/attachments/"),
        ("get", "/api/v1/nothing-here/"),
        ("get", "/api/elsewhere"),
    ],
)
def test_a_url_that_does_not_resolve_is_a_json_404(client, debug, method, path):
    assert_error(getattr(client, method)(path), 404, "not_found")


@pytest.mark.django_db
def test_the_pages_keep_their_html_404(client, debug):
    response = Client().get("/no-such-page/")
    assert response.status_code in (302, 404)
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_a_method_the_endpoint_lacks_is_a_json_405_with_allow(client, nanchang_case):
    response = client.delete(f"/api/v1/cases/{nanchang_case.pk}/")
    assert_error(response, 405)
    assert "PATCH" in response["Allow"]


@pytest.mark.django_db
def test_a_json_body_over_the_limit_is_413_and_changes_nothing(client, nanchang_case, settings):
    body = b'{"progress": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    response = client.generic(
        "PATCH", f"/api/v1/cases/{nanchang_case.pk}/", body, content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert_error(response, 413, "too_large")
    case = Case.objects.get(pk=nanchang_case.pk)
    assert case.version == 1 and case.progress == ""


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_413(client, nanchang_case, settings):
    settings.ATTACHMENT_MAX_BYTES = settings.IMPORT_MAX_BYTES = 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b"x" * 4096
    response = client.generic(
        "POST",
        f"/api/v1/cases/{nanchang_case.pk}/attachments/",
        body,
        content_type="multipart/form-data; boundary=b",
    )
    assert_error(response, 413, "too_large")


@pytest.mark.django_db
def test_a_csrf_failure_of_a_session_client_is_json(supervisor, nanchang_case):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(supervisor)
    response = client.patch(f"/api/v1/cases/{nanchang_case.pk}/", {"progress": "x"}, format="json", HTTP_IF_MATCH='"1"')
    body = assert_error(response, 403)
    assert "CSRF" in body["detail"]
    assert Case.objects.get(pk=nanchang_case.pk).version == 1


@pytest.mark.django_db
def test_a_server_error_is_json_and_names_no_internals(supervisor, debug, monkeypatch):
    from api.v1.views import reference

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reference, "case_statistics", broken)
    client = Client(raise_request_exception=False)
    client.force_login(supervisor)
    response = client.get("/api/v1/stats/")
    body = assert_error(response, 500, "server_error")
    assert "secret" not in body["detail"]


@pytest.mark.django_db
def test_unauthenticated_and_schema_errors_have_the_shape_too():
    assert_error(APIClient().get("/api/v1/cases/"), 401)
    assert_error(APIClient().get("/api/schema/"), 401)


@pytest.mark.django_db
def test_the_schema_documents_the_error_answers_of_every_operation(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "401", "403", "404", "406", "500"}
            if "requestBody" in operation:
                expected |= {"413", "415"}
            assert expected <= set(responses), (method, path)
            for code, response in responses.items():
                if int(code) >= 400:
                    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema_ref.endswith("/ErrorOut"), (method, path, code)
