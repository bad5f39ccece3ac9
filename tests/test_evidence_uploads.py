"""Half-done uploads: sending the same evidence again (a retry after an
error) answers with the attachment already made, and a file whose row was
not committed does not stay on disk."""

import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection

from cases import services
from cases.models import Attachment, Case, CaseEvent
from cases.services import attach_evidence
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG the same photo of the repaired outfall"


def photo(name="现场照片.png", content=PHOTO):
    return SimpleUploadedFile(name, content, content_type="image/png")


def files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_the_same_file_sent_twice_by_the_same_person_is_one_attachment(nanchang_officer, nanchang_case, settings):
    first = attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=photo())
    again = attach_evidence(case=Case.objects.get(pk=nanchang_case.pk), actor=nanchang_officer, upload=photo("重传.png"))

    assert (first.is_new, again.is_new) == (True, False)
    assert again.pk == first.pk and again.original_name == "现场照片.png"
    assert Attachment.objects.count() == 1 and len(files_on_disk(settings)) == 1
    assert CaseEvent.objects.filter(action="evidence").count() == 1
    assert Case.objects.get(pk=nanchang_case.pk).version == 2


def test_another_person_or_another_file_is_a_new_attachment(nanchang_officer, supervisor, nanchang_case):
    attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=photo())
    by_supervisor = attach_evidence(case=Case.objects.get(pk=nanchang_case.pk), actor=supervisor, upload=photo())
    other_file = attach_evidence(
        case=Case.objects.get(pk=nanchang_case.pk), actor=nanchang_officer, upload=photo(content=PHOTO + b"!")
    )

    assert by_supervisor.is_new and other_file.is_new
    assert Attachment.objects.count() == 3


def test_the_api_answers_a_repeated_upload_with_the_existing_attachment(write_client, nanchang_case):
    client = token_client(write_client)
    url = f"/api/v1/cases/{nanchang_case.pk}/attachments/"

    first = client.post(url, {"file": photo()}, format="multipart")
    # The client saw an error and retries with the version it had read.
    again = client.post(url, {"file": photo()}, format="multipart", HTTP_IF_MATCH='"1"')

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Attachment.objects.count() == 1


def test_a_page_upload_sent_twice_says_it_was_already_there(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    url = f"/cases/{nanchang_case.pk}/evidence/"
    form = {"evidence-note": "", "evidence-expected_version": 1}
    client.post(url, {"evidence-file": photo(), **form})

    # Sent again from the same page (its version is now behind).
    page = client.post(url, {"evidence-file": photo(), **form}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert "You had already attached this file" in page.content.decode()
    assert Attachment.objects.count() == 1


def test_a_failed_transaction_leaves_no_file_on_disk(nanchang_officer, nanchang_case, settings, monkeypatch):
    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "write_case", connection_lost)

    with pytest.raises(OperationalError):
        attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=photo())

    assert files_on_disk(settings) == []
    assert not Attachment.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_before_commit_leaves_no_file_and_a_retry_attaches_once(
    nanchang_officer, nanchang_case, settings, monkeypatch
):
    real_save = Attachment.save
    killed = []

    def killed_while_saving(self, *args, **kwargs):
        if not killed:  # the first upload's connection dies in its transaction
            pid = connection.connection.info.backend_pid
            other = threading.Thread(target=lambda: _terminate(pid))
            other.start()
            other.join()
            killed.append(pid)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", killed_while_saving)

    with pytest.raises(OperationalError):
        attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=photo())
    connection.close()
    assert files_on_disk(settings) == [] and not Attachment.objects.exists()

    retried = attach_evidence(case=Case.objects.get(pk=nanchang_case.pk), actor=nanchang_officer, upload=photo())
    assert retried.is_new and Attachment.objects.count() == 1 and len(files_on_disk(settings)) == 1


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()
