"""Bad input to the services is refused naming the field, and nothing is
written; good input is recorded as an event with a new version."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.constants import Status
from cases.errors import CaseNotVisible, ConcurrentChange, InvalidInput, RoleNotAllowed
from cases.models import Attachment, Case, CaseEvent
from cases.services import attach_evidence, create_case, update_case, withdraw_case
from tests.factories import CampaignFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


def good(campaign_, **overrides):
    data = {
        "campaign": campaign_.code,
        "reference": "FK-50",
        "kind": "feedback_problem",
        "title": "某县城污水管网建设滞后（合成数据）",
        "city": "360100",
        "deadline_type": "dated",
        "deadline": "2024-12-31",
    }
    data.update(overrides)
    return data


def test_a_supervisor_creates_a_case_with_its_first_event(supervisor, campaign):
    case = create_case(actor=supervisor, data=good(campaign))
    assert (case.status, case.version, case.city_id, str(case.deadline)) == ("assigned", 1, "360100", "2024-12-31")
    event = case.events.get()
    assert (event.action, event.to_status, event.version, event.actor) == ("created", "assigned", 1, supervisor)


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"kind": "complaint"}, "kind"),
        ({"city": "999999"}, "city"),
        ({"campaign": "no-such-campaign"}, "campaign"),
        ({"deadline_type": "someday"}, "deadline_type"),
        ({"deadline": "2024-02-30"}, "deadline"),
        ({"deadline_type": "dated", "deadline": None}, "deadline"),
        ({"deadline_type": "long_term", "deadline": "2024-06-30"}, "deadline"),
        ({"pollution_types": ["air", "smell"]}, "pollution_types"),
        ({"fines_yuan": "-5"}, "fines_yuan"),
        ({"summons": "two"}, "summons"),
        ({"title": ""}, "title"),
        ({"status": "closed"}, "status"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(supervisor, campaign, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        create_case(actor=supervisor, data=good(campaign, **overrides))
    assert field in refused.value.errors
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_a_second_case_with_the_same_reference_is_refused(supervisor, campaign):
    create_case(actor=supervisor, data=good(campaign))
    with pytest.raises(InvalidInput) as refused:
        create_case(actor=supervisor, data=good(campaign, title="另一个"))
    assert refused.value.field == "reference"
    assert Case.objects.count() == 1


def test_officers_do_not_create_cases_and_city_clients_only_in_their_city(nanchang_officer, write_client, campaign):
    with pytest.raises(RoleNotAllowed):
        create_case(actor=nanchang_officer, data=good(campaign))
    with pytest.raises(RoleNotAllowed):
        create_case(actor=write_client, data=good(campaign, city="360400"))
    assert create_case(actor=write_client, data=good(campaign)).city_id == "360100"


def test_an_officer_records_progress_and_the_change_is_in_the_timeline(nanchang_officer, nanchang_case):
    update_case(case=nanchang_case, actor=nanchang_officer, data={"progress": "已完成管网改造 80%"}, expected_version=1)
    assert (nanchang_case.progress, nanchang_case.version) == ("已完成管网改造 80%", 2)
    assert nanchang_case.events.get().changes == {"progress": ["", "已完成管网改造 80%"]}


def test_an_edit_that_changes_nothing_keeps_the_version(nanchang_officer, nanchang_case):
    update_case(case=nanchang_case, actor=nanchang_officer, data={"progress": ""})
    assert nanchang_case.version == 1 and not nanchang_case.events.exists()


def test_an_officer_may_not_move_a_deadline_or_edit_a_submitted_case(nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status=Status.IN_PROGRESS)
    with pytest.raises(InvalidInput) as refused:
        update_case(case=case, actor=nanchang_officer, data={"deadline": "2030-01-01"})
    assert refused.value.field == "deadline"
    submitted = CaseFactory(city=nanchang, status=Status.PENDING_ACCEPTANCE)
    with pytest.raises(RoleNotAllowed):
        update_case(case=submitted, actor=nanchang_officer, data={"progress": "补充"})


def test_another_citys_officer_cannot_see_the_case_to_edit_it(jiujiang_officer, nanchang_case):
    with pytest.raises(CaseNotVisible):
        update_case(case=nanchang_case, actor=jiujiang_officer, data={"progress": "x"})


def test_a_stale_edit_is_refused_and_the_newer_change_kept(nanchang_officer, nanchang_case):
    stale = Case.objects.get(pk=nanchang_case.pk)
    update_case(case=nanchang_case, actor=nanchang_officer, data={"progress": "新的进展"})
    with pytest.raises(ConcurrentChange):
        update_case(case=stale, actor=nanchang_officer, data={"progress": "旧表单"}, expected_version=1)
    with pytest.raises(ConcurrentChange):
        update_case(case=stale, actor=nanchang_officer, data={"progress": "旧表单"})
    assert Case.objects.get(pk=nanchang_case.pk).progress == "新的进展"


def test_a_supervisor_re_dates_a_case_consistently(supervisor, nanchang_case):
    with pytest.raises(InvalidInput) as refused:
        update_case(case=nanchang_case, actor=supervisor, data={"deadline_type": "long_term"})
    assert refused.value.field == "deadline"
    update_case(case=nanchang_case, actor=supervisor, data={"deadline_type": "long_term", "deadline": None})
    assert (nanchang_case.deadline_type, nanchang_case.deadline) == ("long_term", None)


def test_withdrawing_is_recorded_and_hides_the_case_without_deleting_it(supervisor, nanchang_officer, nanchang_case):
    with pytest.raises(RoleNotAllowed):
        withdraw_case(case=nanchang_case, actor=nanchang_officer, reason="录入错误")
    with pytest.raises(InvalidInput):
        withdraw_case(case=nanchang_case, actor=supervisor, reason="")
    withdraw_case(case=nanchang_case, actor=supervisor, reason="录入错误")
    assert Case.objects.filter(pk=nanchang_case.pk).exists()
    assert not Case.objects.for_user(supervisor).filter(pk=nanchang_case.pk).exists()
    assert nanchang_case.events.get().action == "withdrawn"


def test_evidence_is_stored_with_its_sha256(nanchang_officer, nanchang_case):
    upload = SimpleUploadedFile("现场照片.png", b"\x89PNG fake image bytes", content_type="image/png")
    attachment = attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=upload, note="整改后现场")
    assert attachment.sha256 == hashlib.sha256(b"\x89PNG fake image bytes").hexdigest()
    assert attachment.event.action == "evidence" and nanchang_case.version == 2
    assert attachment.file.read() == b"\x89PNG fake image bytes"


@pytest.mark.parametrize(
    "name,content,field_code",
    [("macro.exe", b"MZ", "bad_type"), ("empty.pdf", b"", "empty")],
)
def test_unacceptable_evidence_is_refused_and_nothing_stored(nanchang_officer, nanchang_case, name, content, field_code):
    with pytest.raises(InvalidInput) as refused:
        attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=SimpleUploadedFile(name, content))
    assert (refused.value.field, refused.value.code) == ("file", field_code)
    assert not Attachment.objects.exists() and Case.objects.get(pk=nanchang_case.pk).version == 1


def test_oversized_evidence_is_refused_with_the_limit(nanchang_officer, nanchang_case, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))
    with pytest.raises(InvalidInput) as refused:
        attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=upload)
    assert "1 MB" in str(refused.value.message)
