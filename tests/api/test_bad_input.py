"""Bad input of every kind is a 4xx with a message, never a 500, and
changes nothing."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Attachment, Case


@pytest.fixture
def client(api, supervisor):
    return api(supervisor)


def test_a_non_utf8_or_malformed_body_is_400(client, nanchang_case):
    url = f"/api/v1/cases/{nanchang_case.pk}/"
    for body in (b"\xff\xfe{\"progress\": 1}", b"{\"progress\": ", b"null", b"[1, 2]"):
        response = client.patch(url, body, content_type="application/json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, body
        assert response.json()["detail"]
    response = client.post("/api/v1/cases/bulk/", b"\xff", content_type="application/json")
    assert response.status_code == 400
    assert Case.objects.get(pk=nanchang_case.pk).version == 1


def test_an_unsupported_content_type_is_415(client):
    response = client.post("/api/v1/cases/bulk/", b"<cases/>", content_type="application/xml")
    assert response.status_code == 415


@pytest.mark.parametrize("header", ["abc", '"x"', "W/\"-1\""])
def test_a_malformed_if_match_is_400(client, nanchang_case, header):
    response = client.patch(f"/api/v1/cases/{nanchang_case.pk}/", {"progress": "x"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 400 and response.json()["field"] == "If-Match"


def test_wrong_types_and_invalid_dates_in_an_edit_are_400_by_field(client, nanchang_case):
    response = client.patch(
        f"/api/v1/cases/{nanchang_case.pk}/",
        {"deadline": "2024-02-30", "is_key_case": "yes", "progress": ["a"], "deadline_type": "someday"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"deadline", "is_key_case", "progress", "deadline_type"}


def test_an_oversized_upload_is_400_and_stores_nothing(client, nanchang_case, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 2048, content_type="application/pdf")
    response = client.post(f"/api/v1/cases/{nanchang_case.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "too_large"
    assert not Attachment.objects.exists()


def test_an_upload_of_a_refused_type_or_no_file_is_400(client, nanchang_case):
    url = f"/api/v1/cases/{nanchang_case.pk}/attachments/"
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/octet-stream")
    assert client.post(url, {"file": upload}, format="multipart").status_code == 400
    assert client.post(url, {"note": "no file"}, format="multipart").status_code == 400
    assert client.post(url, {"file": "x"}, format="json").status_code == 415


def test_an_upload_records_its_sha256_on_the_timeline(client, nanchang_case):
    content = b"%PDF-1.4 synthetic"
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    response = client.post(f"/api/v1/cases/{nanchang_case.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert response["ETag"] == '"2"'
    events = client.get(f"/api/v1/cases/{nanchang_case.pk}/events/").json()["results"]
    assert events[-1]["action"] == "evidence"
    assert events[-1]["attachments"][0]["sha256"] == response.json()["sha256"]


def test_an_unusable_idempotency_key_is_400(client):
    response = client.post("/api/v1/cases/bulk/", {"cases": []}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert response.status_code == 400


def test_an_unknown_case_is_404_not_500(client):
    assert client.get("/api/v1/cases/999999/").status_code == 404
    assert client.get("/api/v1/cases/abc/").status_code == 404
