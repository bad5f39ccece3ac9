"""The case page's forms: each validates, shows its errors next to the
field, changes nothing on bad input, and refuses a stale page."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import workflow
from cases.errors import ConcurrentChange
from cases.models import CaseEvent
from cases.services import update_case
from tests.factories import CaseFactory, PetitionFactory
from tests.conftest import shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def submit(client, case, to, version=None, **fields):
    data = {"to": to, f"t-{to}-expected_version": version or case.version}
    if to == "closed":
        fields.setdefault("confirm", "on")  # signing off asks for confirmation
    data.update({f"t-{to}-{name}": value for name, value in fields.items()})
    return client.post(f"/cases/{case.pk}/transition/", data)


def field_errors(response, prefix):
    form = next(f for f in response.context["transition_forms"] if f.prefix == prefix)
    return form.errors


def test_an_officer_submits_a_case_for_acceptance_with_a_note(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    response = submit(client, nanchang_case, "pending_acceptance", note="已完成整改，附监测报告")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{nanchang_case.pk}/"
    nanchang_case.refresh_from_db()
    assert nanchang_case.status == "pending_acceptance"
    assert nanchang_case.events.get(version=nanchang_case.version).note == "已完成整改，附监测报告"


def test_submitting_without_a_note_is_refused_next_to_the_note(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    response = submit(client, nanchang_case, "pending_acceptance", note="  ")
    assert response.status_code == 400
    assert "note" in field_errors(response, "t-pending_acceptance")
    assert 'aria-invalid="true"' in response.content.decode()
    nanchang_case.refresh_from_db()
    assert (nanchang_case.status, nanchang_case.version) == ("in_progress", 1)


def test_a_petition_is_submitted_only_with_veracity_and_handling(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(nanchang_officer)
    response = submit(client, petition, "pending_acceptance", note="办结", veracity="", handling="")
    assert response.status_code == 400
    assert "veracity" in field_errors(response, "t-pending_acceptance")
    response = submit(client, petition, "pending_acceptance", note="办结", veracity="maybe", handling="")
    assert "veracity" in field_errors(response, "t-pending_acceptance")
    response = submit(client, petition, "pending_acceptance", note="办结", veracity="true", handling="")
    assert "handling" in field_errors(response, "t-pending_acceptance")
    response = submit(client, petition, "pending_acceptance", note="办结", veracity="true", handling="已责令停产整改")
    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.status, petition.veracity, petition.handling) == ("pending_acceptance", "true", "已责令停产整改")


def test_the_typed_note_survives_a_validation_error(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(nanchang_officer)
    response = submit(client, petition, "pending_acceptance", note="我写的说明", veracity="", handling="")
    assert "我写的说明</textarea>" in response.content.decode()


def test_a_stale_form_is_refused_with_a_message_and_not_applied(client, nanchang_officer, supervisor, nanchang_case):
    client.force_login(nanchang_officer)
    seen = nanchang_case.version
    # Someone else records progress while the officer's page is open.
    update_case(case=nanchang_case, actor=supervisor, data={"progress": "省厅补充说明"})
    response = submit(client, nanchang_case, "pending_acceptance", version=seen, note="提交")
    assert response.status_code == 409
    message = str(list(response.context["messages"])[0])
    assert message == str(ConcurrentChange().message)
    assert message in response.content.decode()
    nanchang_case.refresh_from_db()
    assert nanchang_case.status == "in_progress"
    assert not CaseEvent.objects.filter(case=nanchang_case, action="transition").exists()
    # The page is drawn again from the current case, with its version.
    assert f'value="{nanchang_case.version}"' in response.content.decode()


def test_a_form_for_a_move_the_case_has_already_made_is_refused(client, nanchang_officer, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    assert submit(client, case, "closed").status_code == 302
    # A second supervisor tab still shows "reject".
    response = submit(client, case, "in_progress", version=1, note="退回")
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.status == "closed"


def test_an_officer_cannot_accept_even_by_forging_the_form(client, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(nanchang_officer)
    response = submit(client, case, "closed")
    # The city does not accept what the province accepts: the rule is named.
    assert response.status_code == 409 and "省级" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "pending_acceptance"


def test_a_supervisor_accepts_a_submitted_case(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    assert submit(client, case, "closed").status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_rejecting_and_reopening_need_a_reason(client, supervisor, nanchang):
    pending = CaseFactory(city=nanchang, status="pending_acceptance")
    closed = CaseFactory(city=nanchang, status="closed")
    client.force_login(supervisor)
    assert submit(client, pending, "in_progress", note="").status_code == 400
    assert submit(client, closed, "in_progress", note="").status_code == 400
    assert submit(client, closed, "in_progress", note="群众再次投诉，问题反弹").status_code == 302
    closed.refresh_from_db()
    assert (closed.status, closed.reopened_count) == ("in_progress", 1)


def test_an_unknown_target_status_changes_nothing(client, supervisor, nanchang_case):
    client.force_login(supervisor)
    response = submit(client, nanchang_case, "finished")
    assert response.status_code == 409
    nanchang_case.refresh_from_db()
    assert nanchang_case.version == 1


def test_a_missing_version_is_an_error_not_a_blind_write(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{nanchang_case.pk}/transition/", {"to": "pending_acceptance", "t-pending_acceptance-note": "x"}
    )
    assert response.status_code == 400
    nanchang_case.refresh_from_db()
    assert nanchang_case.status == "in_progress"


def test_an_officer_records_progress(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{nanchang_case.pk}/progress/",
        {"progress-expected_version": 1, "progress-progress": "已完成截污管网改造 80%", "progress-measures": "分期改造"},
    )
    assert response.status_code == 302
    nanchang_case.refresh_from_db()
    assert (nanchang_case.progress, nanchang_case.measures, nanchang_case.version) == ("已完成截污管网改造 80%", "分期改造", 2)


def test_saving_unchanged_progress_writes_nothing(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    client.post(f"/cases/{nanchang_case.pk}/progress/", {"progress-expected_version": 1, "progress-progress": ""})
    nanchang_case.refresh_from_db()
    assert nanchang_case.version == 1


def test_stale_progress_is_refused_and_not_applied(client, nanchang_officer, supervisor, nanchang_case):
    client.force_login(nanchang_officer)
    update_case(case=nanchang_case, actor=supervisor, data={"progress": "省厅的版本"})
    response = client.post(
        f"/cases/{nanchang_case.pk}/progress/", {"progress-expected_version": 1, "progress-progress": "我的版本"}
    )
    assert response.status_code == 409
    nanchang_case.refresh_from_db()
    assert nanchang_case.progress == "省厅的版本"


def test_bad_progress_values_are_shown_next_to_the_field(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{petition.pk}/progress/", {"progress-expected_version": 1, "progress-veracity": "perhaps"}
    )
    assert response.status_code == 400
    assert "veracity" in response.context["progress_form"].errors
    petition.refresh_from_db()
    assert petition.version == 1


ACCOUNTABILITY = {
    "ordered_to_rectify": "2",
    "penalty_cases": "1",
    "fines_yuan": "150000.50",
    "criminal_cases": "0",
    "detentions": "1",
    "summons": "3",
    "people_held_accountable": "2",
}


def petition_progress(petition, **overrides) -> dict:
    data = {"progress-expected_version": petition.version, "progress-progress": "已立案查处"}
    data.update({f"progress-{name}": value for name, value in {**ACCOUNTABILITY, **overrides}.items()})
    return data


def test_an_officer_records_a_petitions_accountability_figures_on_the_page(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{petition.pk}/").content.decode()
    assert "责令整改（家）" in page and 'name="progress-fines_yuan"' in page

    response = client.post(f"/cases/{petition.pk}/progress/", petition_progress(petition))

    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.ordered_to_rectify, petition.penalty_cases, str(petition.fines_yuan), petition.detentions) == (
        2, 1, "150000.50", 1,
    )
    assert (petition.summons, petition.people_held_accountable, petition.version) == (3, 2, 2)
    event = CaseEvent.objects.filter(case=petition).latest("version")
    assert event.changes["fines_yuan"] == ["0.00", "150000.50"]


@pytest.mark.parametrize(
    "field, value",
    [("detentions", "-1"), ("fines_yuan", "12.345"), ("fines_yuan", "很多"), ("summons", ""), ("penalty_cases", "1.5")],
)
def test_a_bad_accountability_figure_is_shown_next_to_it_and_nothing_changes(client, nanchang_officer, nanchang, field, value):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(nanchang_officer)

    response = client.post(f"/cases/{petition.pk}/progress/", petition_progress(petition, **{field: value}))

    assert response.status_code == 400
    assert list(response.context["progress_form"].errors) == [field]
    assert f'id="id_progress-{field}-error"' in response.content.decode()
    petition.refresh_from_db()
    assert (petition.version, petition.progress) == (1, "")


def test_problems_have_no_accountability_figures_to_fill_in(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{nanchang_case.pk}/").content.decode()
    assert 'name="progress-progress"' in page
    assert "progress-fines_yuan" not in page


def test_a_submitted_petitions_figures_are_frozen_for_the_city(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="pending_acceptance")
    client.force_login(nanchang_officer)
    assert "progress-fines_yuan" not in client.get(f"/cases/{petition.pk}/").content.decode()
    response = client.post(f"/cases/{petition.pk}/progress/", petition_progress(petition))
    assert response.status_code in (400, 403, 409)
    petition.refresh_from_db()
    assert (petition.version, petition.fines_yuan) == (1, 0)


def test_an_officer_attaches_evidence(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    upload = SimpleUploadedFile("整改照片.png", b"\x89PNG synthetic", content_type="image/png")
    response = client.post(
        f"/cases/{nanchang_case.pk}/evidence/",
        {"evidence-expected_version": 1, "evidence-file": upload, "evidence-note": "整改后现场"},
    )
    assert response.status_code == 302
    attachment = nanchang_case.attachments.get()
    assert attachment.original_name == "整改照片.png"
    assert attachment.event.note == "整改后现场"


@pytest.mark.parametrize(
    "name, content, field",
    [("virus.exe", b"MZ", "file"), ("empty.pdf", b"", "file")],
)
def test_refused_evidence_is_explained_next_to_the_file_field(client, nanchang_officer, nanchang_case, name, content, field):
    client.force_login(nanchang_officer)
    upload = SimpleUploadedFile(name, content)
    response = client.post(f"/cases/{nanchang_case.pk}/evidence/", {"evidence-expected_version": 1, "evidence-file": upload})
    assert response.status_code == 400
    assert field in response.context["evidence_form"].errors
    assert not nanchang_case.attachments.exists()


def test_evidence_without_a_file_is_refused(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    response = client.post(f"/cases/{nanchang_case.pk}/evidence/", {"evidence-expected_version": 1})
    assert response.status_code == 400
    assert "file" in response.context["evidence_form"].errors


def test_an_officer_cannot_add_evidence_to_a_closed_case(client, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="closed")
    client.force_login(nanchang_officer)
    assert client.get(f"/cases/{case.pk}/").context["evidence_form"] is None
    upload = SimpleUploadedFile("late.pdf", b"%PDF", content_type="application/pdf")
    response = client.post(f"/cases/{case.pk}/evidence/", {"evidence-expected_version": 1, "evidence-file": upload})
    assert response.status_code == 403
    assert not case.attachments.exists()


def test_forms_are_csrf_protected(nanchang_officer, nanchang_case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{nanchang_case.pk}/transition/",
        {"to": "pending_acceptance", "t-pending_acceptance-expected_version": 1, "t-pending_acceptance-note": "x"},
    )
    assert response.status_code == 403
    nanchang_case.refresh_from_db()
    assert nanchang_case.status == "in_progress"
    assert workflow.available_moves(nanchang_case, nanchang_officer)
