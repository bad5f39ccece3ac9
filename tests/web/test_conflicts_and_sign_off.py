"""Two tabs on one case: the second keeps what was typed in it, shows what
the first saved beside it, and can send it again. Signing a case off asks
for confirmation, and says so plainly when the case has no evidence."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.services import attach_evidence
from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def save_progress(client, case, version, **fields):
    data = {"progress-expected_version": version}
    data.update({f"progress-{name}": value for name, value in fields.items()})
    return client.post(f"/cases/{case.pk}/progress/", data)


def form_values(page: str, form_action: str) -> dict:
    """name → value of the inputs and textareas of one form on the page."""
    form = re.search(rf'<form[^>]*data-action="{form_action}".*?</form>', page, re.S).group(0)
    values = dict(re.findall(r'<input type="(?:hidden|number|text)" name="([^"]+)" value="([^"]*)"', form))
    values.update(re.findall(r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S))
    values.update(re.findall(r'<select name="([^"]+)".*?<option value="([^"]*)" selected>', form, re.S))
    values.pop("csrfmiddlewaretoken", None)
    return values


def test_the_second_tab_keeps_its_text_and_shows_the_first_tabs_beside_it(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    seen = nanchang_case.version
    assert save_progress(client, nanchang_case, seen, progress="第一个标签页：已清淤 2 公里").status_code == 302
    response = save_progress(client, nanchang_case, seen, progress="第二个标签页：已清淤 3 公里，待复核")
    page = response.content.decode()
    assert response.status_code == 409
    kept = form_values(page, "progress")
    assert kept["progress-progress"] == "第二个标签页：已清淤 3 公里，待复核"
    saved = re.search(r'data-testid="saved-meanwhile">(.*?)</span>', page, re.S).group(1)
    assert "第一个标签页：已清淤 2 公里" in saved
    nanchang_case.refresh_from_db()
    assert nanchang_case.progress == "第一个标签页：已清淤 2 公里"
    # Sending the kept form again, having seen the other text, saves it.
    assert client.post(f"/cases/{nanchang_case.pk}/progress/", kept).status_code == 302
    nanchang_case.refresh_from_db()
    assert nanchang_case.progress == "第二个标签页：已清淤 3 公里，待复核"


def test_only_the_fields_saved_differently_show_a_saved_value(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress", veracity="", investigation="")
    client.force_login(nanchang_officer)
    blank = form_values(client.get(f"/cases/{petition.pk}/").content.decode(), "progress")
    first = {**blank, "progress-veracity": "true", "progress-investigation": "核实属实"}
    assert client.post(f"/cases/{petition.pk}/progress/", first).status_code == 302
    second = {**blank, "progress-veracity": "true", "progress-progress": "已整改"}
    page = client.post(f"/cases/{petition.pk}/progress/", second).content.decode()
    fields = re.findall(r'<p class="field[^"]*">\s*<label for="id_progress-(\w+)">(.*?)</p>', page, re.S)
    shown = {name: body for name, body in fields if 'data-testid="saved-meanwhile"' in body}
    assert set(shown) == {"investigation"} and "核实属实" in shown["investigation"]


def test_a_move_made_meanwhile_keeps_the_typed_note_on_the_page(client, nanchang_officer, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    seen = case.version
    data = {"to": "in_progress", "t-in_progress-expected_version": seen, "t-in_progress-note": "缺少监测报告，请补充"}
    client.post(f"/cases/{case.pk}/transition/", {"to": "in_publicity", "t-in_publicity-expected_version": seen})
    response = client.post(f"/cases/{case.pk}/transition/", data)
    assert response.status_code == 409
    # From publicity the case goes back by an objection: the note is still in its box.
    assert form_values(response.content.decode(), "object")["t-in_progress-note"] == "缺少监测报告，请补充"


def test_a_note_for_a_move_no_longer_possible_is_shown_so_it_is_not_lost(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    seen = case.version
    client.post(f"/cases/{case.pk}/transition/", {"to": "closed", "t-closed-expected_version": seen, "t-closed-confirm": "on"})
    data = {"to": "in_progress", "t-in_progress-expected_version": seen, "t-in_progress-note": "缺少监测报告，请补充"}
    response = client.post(f"/cases/{case.pk}/transition/", data)
    assert response.status_code == 409
    assert "缺少监测报告，请补充" in response.content.decode()


def accept(client, case, **fields):
    data = {"to": "closed", "t-closed-expected_version": case.version}
    data.update({f"t-closed-{name}": value for name, value in fields.items()})
    return client.post(f"/cases/{case.pk}/transition/", data)


def test_signing_off_without_confirming_is_refused_and_changes_nothing(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    response = accept(client, case)
    assert response.status_code == 400
    assert "请勾选确认" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    assert accept(client, case, confirm="on").status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_a_case_without_evidence_says_so_plainly_where_it_is_signed_off(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = re.search(r'<form[^>]*data-action="close".*?</form>', page, re.S).group(0)
    assert "该案件没有任何佐证材料" in form and "在没有佐证材料的情况下" in form


def test_a_case_with_evidence_asks_to_confirm_the_files_were_checked(client, supervisor, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress")
    attach_evidence(case=case, actor=nanchang_officer, upload=SimpleUploadedFile("报告.pdf", b"%PDF", content_type="application/pdf"))
    case.refresh_from_db()
    case.status = "pending_acceptance"
    case.save()
    client.force_login(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = re.search(r'<form[^>]*data-action="close".*?</form>', page, re.S).group(0)
    assert "没有任何佐证材料" not in form and "1 份佐证材料" in form


def test_the_officers_actions_come_in_the_order_of_the_work(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{nanchang_case.pk}/").content.decode()
    order = re.findall(r'<form[^>]*data-action="(\w+)"', page)
    assert order == ["progress", "evidence", "submit"]
    assert page.index('data-action="progress"') < page.index('id="facts"')


def test_the_supervisors_decision_comes_first_on_a_submitted_case(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance")
    client.force_login(supervisor)
    order = re.findall(r'<form[^>]*data-action="(\w+)"', client.get(f"/cases/{case.pk}/").content.decode())
    assert order[:3] == ["publicize", "close", "return"] and order[3:] == ["progress", "evidence"]
