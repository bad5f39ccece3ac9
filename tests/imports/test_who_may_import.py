"""Only provincial supervisors (and the province-wide read-write platform
account) import; city officers and city-bound clients cannot, on the page,
the API or the service."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.errors import RoleNotAllowed
from cases.models import Case
from imports import services
from imports.models import ImportJob
from tests.conftest import token_client

from .conftest import LEDGER_HEADER, csv_bytes, ledger_row, run_import


def ledger_upload():
    return SimpleUploadedFile("ledger.csv", csv_bytes([LEDGER_HEADER, ledger_row(1)]), content_type="text/csv")


def test_a_supervisor_imports_on_the_page(client, supervisor, central):
    client.force_login(supervisor)

    response = client.post("/imports/", {"file": ledger_upload(), "campaign": central.code, "dry_run": ""})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    assert Case.objects.filter(reference="1").exists()


def test_an_officer_cannot_open_the_import_page_nor_post_to_it(client, nanchang_officer, central):
    client.force_login(nanchang_officer)

    assert client.get("/imports/").status_code == 403
    response = client.post("/imports/", {"file": ledger_upload(), "campaign": central.code})

    assert response.status_code == 403
    assert not ImportJob.objects.exists()
    assert not Case.objects.exists()


def test_an_officer_cannot_see_a_supervisors_import(client, supervisor, nanchang_officer, central):
    job = run_import(supervisor, csv_bytes([LEDGER_HEADER, ledger_row(1)]), "ledger.csv", central, dry_run=True)
    client.force_login(nanchang_officer)

    assert client.get(f"/imports/jobs/{job.pk}/").status_code == 403
    assert client.post(f"/imports/jobs/{job.pk}/apply/").status_code == 403
    assert not Case.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/imports/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_service_refuses_an_officer(nanchang_officer, central):
    with pytest.raises(RoleNotAllowed):
        run_import(nanchang_officer, csv_bytes([LEDGER_HEADER, ledger_row(1)]), "ledger.csv", central)
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["nanchang_officer", "write_client", "readonly_client", "admin_user"])
def test_the_api_refuses_everyone_but_province_wide_writers(who, request, central):
    user = request.getfixturevalue(who)

    response = token_client(user).post("/api/v1/imports/", {"file": ledger_upload(), "campaign": central.code})

    assert response.status_code == 403
    assert response.json()["code"] == "import_not_allowed"
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["supervisor", "province_client"])
def test_the_api_lets_supervisors_and_the_provincial_platform_import(who, request, central):
    user = request.getfixturevalue(who)

    response = token_client(user).post(
        "/api/v1/imports/", {"file": ledger_upload(), "campaign": central.code, "dry_run": "false"}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["created"] == 1
    assert Case.objects.filter(reference="1").exists()


def test_may_import_matches_the_roles(supervisor, province_client, nanchang_officer, write_client, admin_user):
    assert services.may_import(supervisor)
    assert services.may_import(province_client)
    assert not services.may_import(nanchang_officer)
    assert not services.may_import(write_client)
    assert not services.may_import(admin_user)
