"""Bad text or numbers are a 400 naming the field and change nothing, by
every way in (API, pages, bulk upsert, imports, the model itself): no
control characters but tab, CR and LF; each text within its documented
maximum; each number within its column's range. PostgreSQL refuses NUL
and out-of-range integers outright, so before this they were 500s there."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseEvent
from cases.upsert import upsert_cases
from cases.validation import LONG_TEXT, NOTE_TEXT
from tests.factories import CaseFactory, PetitionFactory

from .conftest import token_client

pytestmark = pytest.mark.django_db

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85"]


def patch(client, case, body: dict):
    return client.patch(f"/api/v1/cases/{case.pk}/", body, format="json", HTTP_IF_MATCH=f'"{case.version}"')


def unchanged(case) -> bool:
    return Case.objects.get(pk=case.pk).version == case.version


@pytest.fixture
def client(supervisor):
    return token_client(supervisor)


@pytest.mark.parametrize("character", CONTROL, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["progress", "title", "district", "measures", "lead_unit", "description"])
def test_a_control_character_in_any_text_field_is_400_naming_it(client, nanchang_case, field, character):
    response = patch(client, nanchang_case, {field: f"已完成{character}清淤"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert f"U+{ord(character):04X}" in body["detail"]
    assert unchanged(nanchang_case)


def test_tabs_and_line_breaks_are_kept(client, nanchang_case):
    response = patch(client, nanchang_case, {"progress": "一、清淤\t完成\r\n二、复核\n"})
    assert response.status_code == 200
    assert Case.objects.get(pk=nanchang_case.pk).progress == "一、清淤\t完成\r\n二、复核"


def test_a_lone_surrogate_is_a_malformed_body(client, nanchang_case):
    response = client.generic(
        "PATCH", f"/api/v1/cases/{nanchang_case.pk}/", b'{"progress": "x\\ud800"}',
        content_type="application/json", HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert unchanged(nanchang_case)


@pytest.mark.parametrize(("field", "limit"), [("progress", LONG_TEXT), ("handling", LONG_TEXT), ("title", 300), ("district", 64)])
def test_each_text_field_has_its_documented_maximum(client, nanchang_case, field, limit):
    response = patch(client, nanchang_case, {field: "字" * (limit + 1)})
    assert response.status_code == 400
    assert response.json()["field"] == field and f"{limit:,}" in response.json()["detail"]
    assert unchanged(nanchang_case)
    if field == "district":  # names a county-level division: checked by name (tests/api/test_divisions_and_units.py)
        return
    assert patch(client, nanchang_case, {field: "字" * limit}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("penalty_cases", 10**20), ("penalty_cases", 2**31), ("summons", -1), ("film_year", 40_000), ("problem_number", "99999999999")],
)
def test_an_integer_outside_its_column_is_400_naming_it(client, nanchang_case, field, value):
    response = patch(client, nanchang_case, {field: value})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert unchanged(nanchang_case)


def test_the_largest_integer_of_the_column_is_stored(client, nanchang_case):
    assert patch(client, nanchang_case, {"penalty_cases": 2**31 - 1, "film_year": 32767}).status_code == 200
    assert Case.objects.get(pk=nanchang_case.pk).penalty_cases == 2**31 - 1


def test_a_transition_note_or_handling_with_a_control_character_is_400(client, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    url = f"/api/v1/cases/{petition.pk}/transition/"
    body = {"to": "pending_acceptance", "note": "提交\x00验收", "veracity": "true", "handling": "已处理"}
    response = client.post(url, body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"
    response = client.post(url, {**body, "note": "提交验收", "handling": "已\x1b处理"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "handling"
    response = client.post(url, {**body, "note": "字" * (NOTE_TEXT + 1)}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"
    assert unchanged(petition)


def test_an_edit_note_with_a_control_character_is_400(client, nanchang_case):
    response = patch(client, nanchang_case, {"progress": "好", "note": "备注\x02"})
    assert response.status_code == 400 and response.json()["field"] == "note"
    assert unchanged(nanchang_case)


def test_evidence_with_a_bad_note_or_file_name_is_refused(client, nanchang_case):
    url = f"/api/v1/cases/{nanchang_case.pk}/attachments/"
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(url, {"file": upload, "note": "现场\x07照片"}, format="multipart")
    assert response.status_code == 400 and response.json()["field"] == "note"
    assert unchanged(nanchang_case)


def test_a_file_name_with_a_control_character_is_refused(supervisor, nanchang_case):
    """Django's multipart parser drops control characters from names sent
    over HTTP; the service refuses them whatever calls it."""
    from cases.errors import InvalidInput
    from cases.services import attach_evidence

    upload = SimpleUploadedFile("re\x01port.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(InvalidInput) as refused:
        attach_evidence(case=nanchang_case, actor=supervisor, upload=upload)
    assert refused.value.field == "file"
    assert unchanged(nanchang_case)


def test_the_bulk_upsert_refuses_the_item_and_names_the_field(client, nanchang_case):
    campaign = nanchang_case.campaign.code
    items = [
        {"campaign": campaign, "reference": nanchang_case.reference, "district": "新建\x00区"},
        {"campaign": campaign, "reference": nanchang_case.reference + "-2", "kind": nanchang_case.kind,
         "title": "合成问题", "deadline_type": "long_term", "penalty_cases": 10**20},
        {"campaign": "central\x00", "reference": "X-1"},
        {"campaign": campaign, "reference": nanchang_case.reference, "status": "in_progress", "note": "\x00"},
    ]
    response = client.post("/api/v1/cases/bulk/", {"cases": items}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["invalid"] * 4
    assert [list(r["errors"]) for r in results] == [["district"], ["penalty_cases"], ["campaign"], ["note"]]
    assert unchanged(nanchang_case) and Case.objects.count() == 1


def test_the_bulk_note_is_checked_once_for_the_call(supervisor, nanchang_case):
    client = token_client(supervisor)
    response = client.post("/api/v1/cases/bulk/", {"cases": [], "note": "批\x1f量"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"
    from cases.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        upsert_cases(actor=supervisor, items=[], note="\x00")
    assert refused.value.field == "note"


def test_the_progress_page_shows_the_error_next_to_the_field(client, nanchang_officer, nanchang_case):
    from django.test import Client

    browser = Client()
    browser.force_login(nanchang_officer)
    url = f"/cases/{nanchang_case.pk}/progress/"
    for value in ("清淤\x01完成", "清淤\x00完成", "字" * (LONG_TEXT + 1)):
        response = browser.post(url, {"progress-expected_version": 1, "progress-progress": value})
        assert response.status_code == 400
        assert "progress" in response.context["progress_form"].errors
    assert unchanged(nanchang_case)


def test_an_import_row_with_a_control_character_or_a_huge_count_is_refused(supervisor, nanchang):
    from tests.imports.conftest import PETITION_HEADER, csv_bytes, petition_row, run_import
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(code="central-limits", kind="central", name="中央督察（测试）")
    rows = [
        PETITION_HEADER,
        petition_row(1, "X2JX202104150001"),
        [*petition_row(2, "X2JX202104150002")[:5], "经核查\x01属实", *petition_row(2, "X2JX202104150002")[6:]],
        petition_row(3, "X2JX202104150003", accountability="责令整改99999999999999999999家"),
    ]
    job = run_import(supervisor, csv_bytes(rows), "batch.csv", campaign)
    by_reference = {row["reference"]: row for row in job.report["rows"]}
    assert by_reference["X2JX202104150001"]["outcome"] == "created"
    assert by_reference["X2JX202104150002"]["outcome"] == "invalid"
    [problem] = by_reference["X2JX202104150002"]["problems"]
    assert (problem["cell"], problem["column"]) == ("F3", "调查核实情况") and "U+0001" in problem["message"]
    assert by_reference["X2JX202104150003"]["outcome"] == "invalid"
    [problem] = by_reference["X2JX202104150003"]["problems"]
    assert problem["column"] == "问责情况" and "2,147,483,647" in problem["message"]
    # An import is all or nothing: the file with invalid rows writes nothing.
    assert job.state == "failed" and not Case.objects.filter(campaign=campaign).exists()


def test_the_model_refuses_them_too(nanchang):
    case = CaseFactory(city=nanchang)
    case.progress = "好\x00"
    case.measures = "字" * (LONG_TEXT + 1)
    with pytest.raises(ValidationError) as refused:
        case.full_clean(validate_unique=False, validate_constraints=False)
    assert {"progress", "measures"} <= set(refused.value.message_dict)
    event = CaseEvent(case=case, action="updated", version=2, note="\x1b")
    with pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert "note" in refused.value.message_dict
