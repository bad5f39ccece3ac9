"""The import API: start, follow and apply an import; errors in the API's
one shape."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from tests.conftest import token_client

from .conftest import LEDGER_HEADER, csv_bytes, ledger_row


def upload(rows, name="ledger.csv"):
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def test_a_dry_run_answers_with_the_per_row_report_and_changes_nothing(supervisor, central):
    api = token_client(supervisor)

    response = api.post(
        "/api/v1/imports/",
        {"file": upload([LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="明年")]), "campaign": central.code},
    )

    body = response.json()
    assert response.status_code == 201
    assert body["dry_run"] is True
    assert body["state"] == "done"
    assert body["progress"] == {"processed": 2, "total": 2, "percent": 100}
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    invalid = body["rows"][1]
    assert (invalid["row"], invalid["outcome"], invalid["problems"][0]["column"]) == (3, "invalid", "整改时限")
    assert not Case.objects.exists()


def test_a_job_s_url_is_where_a_client_polls_it(supervisor, central):
    api = token_client(supervisor)
    job = api.post("/api/v1/imports/", {"file": upload([LEDGER_HEADER, ledger_row(1)]), "campaign": central.code}).json()

    assert job["url"] == f"http://testserver/api/v1/imports/{job['id']}/"
    assert api.get(job["url"]).json()["id"] == job["id"]


def test_a_checked_dry_run_is_applied_and_then_shows_in_the_list(supervisor, central):
    api = token_client(supervisor)
    dry = api.post("/api/v1/imports/", {"file": upload([LEDGER_HEADER, ledger_row(1)]), "campaign": central.code})

    applied = api.post(f"/api/v1/imports/{dry.json()['id']}/apply/")

    assert applied.status_code == 201
    assert applied.json()["dry_run"] is False
    assert applied.json()["counts"]["created"] == 1
    assert Case.objects.filter(reference="1").exists()
    listed = api.get("/api/v1/imports/").json()
    assert [job["id"] for job in listed] == [applied.json()["id"], dry.json()["id"]]
    assert api.get(f"/api/v1/imports/{dry.json()['id']}/").json()["rows"][0]["outcome"] == "created"


def test_an_applied_import_cannot_be_applied_again(supervisor, central):
    api = token_client(supervisor)
    job = api.post(
        "/api/v1/imports/",
        {"file": upload([LEDGER_HEADER, ledger_row(1)]), "campaign": central.code, "dry_run": "false"},
    ).json()

    response = api.post(f"/api/v1/imports/{job['id']}/apply/")

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_dry_run"


def test_a_refused_file_is_a_400_with_the_reason(supervisor, central):
    response = token_client(supervisor).post(
        "/api/v1/imports/", {"file": upload([["a", "b"], ["1", "2"]]), "campaign": central.code}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "no_header"
    assert "问题序号" in response.json()["detail"]


def test_missing_fields_are_a_400_naming_them(supervisor, central):
    response = token_client(supervisor).post("/api/v1/imports/", {"campaign": central.code})

    assert response.status_code == 400
    assert response.json()["field"] == "file"


def test_an_unknown_campaign_is_a_400_naming_it(supervisor, central):
    response = token_client(supervisor).post("/api/v1/imports/", {"file": upload([LEDGER_HEADER]), "campaign": "nope"})

    assert response.status_code == 400
    assert response.json()["field"] == "campaign"


def test_an_unknown_job_is_a_404(supervisor):
    assert token_client(supervisor).get("/api/v1/imports/999/").status_code == 404


def test_the_report_can_be_limited_to_one_outcome(supervisor, central):
    api = token_client(supervisor)
    job = api.post(
        "/api/v1/imports/",
        {"file": upload([LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="明年")]), "campaign": central.code},
    ).json()

    invalid = api.get(f"/api/v1/imports/{job['id']}/?outcome=invalid").json()["rows"]
    unknown = api.get(f"/api/v1/imports/{job['id']}/?outcome=broken")

    assert [row["reference"] for row in invalid] == ["2"]
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "outcome"
