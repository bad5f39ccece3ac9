"""The case page: facts of its kind, deadline marks, the timeline with its
evidence, and only the actions the viewer may take."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import workflow
from cases.services import attach_evidence
from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def actions(response):
    return [form.action for form in response.context["transition_forms"]]


def test_a_petition_shows_its_own_facts(client, nanchang_officer, nanchang):
    petition = PetitionFactory(
        city=nanchang, district="青山湖区", pollution_types=["air", "noise"], veracity="partly_true", fines_yuan=5000
    )
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{petition.pk}/").content.decode()
    for text in (petition.acceptance_number, "青山湖区", "大气、噪声", "部分属实", "5000"):
        assert text in page


def test_an_overdue_case_says_by_how_many_days(client, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2024, 2, 27))
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{case.pk}/")
    assert response.context["days_overdue"] == 3
    assert 'class="mark overdue"' in response.content.decode()


def test_a_case_due_within_a_week_is_marked_due_soon(client, nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2024, 3, 6))
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'class="mark due-soon"' in page
    assert 'class="mark overdue"' not in page


def test_a_submitted_case_past_its_deadline_is_not_the_citys_delay(client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="pending_acceptance", deadline=datetime.date(2024, 1, 1))
    client.force_login(supervisor)
    assert 'class="mark overdue"' not in client.get(f"/cases/{case.pk}/").content.decode()


def test_the_timeline_shows_each_change_with_its_evidence_newest_first(client, nanchang_officer, nanchang_case):
    upload = SimpleUploadedFile("监测报告.pdf", b"%PDF synthetic", content_type="application/pdf")
    attachment = attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=upload, note="第三方监测")
    workflow.transition(case=nanchang_case, to="pending_acceptance", actor=nanchang_officer, note="已完成整改")
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{nanchang_case.pk}/")
    events = list(response.context["events"])
    assert [e.action for e in events] == ["transition", "evidence"]
    page = response.content.decode()
    assert "已完成整改" in page and "第三方监测" in page
    assert f'href="/cases/{nanchang_case.pk}/evidence/{attachment.pk}/"' in page
    assert page.index("已完成整改") < page.index("第三方监测")


def test_an_officer_is_offered_only_the_citys_moves(client, nanchang_officer, nanchang):
    client.force_login(nanchang_officer)
    assigned = CaseFactory(city=nanchang, status="assigned")
    in_progress = CaseFactory(city=nanchang, status="in_progress")
    pending = CaseFactory(city=nanchang, status="pending_acceptance")
    assert actions(client.get(f"/cases/{assigned.pk}/")) == ["start"]
    assert actions(client.get(f"/cases/{in_progress.pk}/")) == ["submit"]
    response = client.get(f"/cases/{pending.pk}/")
    assert actions(response) == []
    assert response.context["progress_form"] is None  # the city no longer holds it


def test_a_supervisor_is_offered_acceptance_publicity_rejection_and_reopening(client, supervisor, nanchang):
    client.force_login(supervisor)
    pending = CaseFactory(city=nanchang, status="pending_acceptance")
    closed = CaseFactory(city=nanchang, status="closed")
    assert set(actions(client.get(f"/cases/{pending.pk}/"))) == {"publicize", "close", "return"}
    assert actions(client.get(f"/cases/{closed.pk}/")) == ["reopen"]


def test_an_officer_is_offered_progress_and_evidence_forms_while_the_city_holds_the_case(
    client, nanchang_officer, nanchang_case
):
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{nanchang_case.pk}/")
    assert response.context["progress_form"] is not None
    assert response.context["evidence_form"] is not None
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert f'name="progress-expected_version" value="{nanchang_case.version}"' in page


def test_every_form_field_has_a_label(client, supervisor, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress")
    client.force_login(supervisor)
    response = client.get(f"/cases/{petition.pk}/")
    page = response.content.decode()
    forms = response.context["transition_forms"] + [response.context["progress_form"], response.context["evidence_form"]]
    for form in forms:
        for field in form.visible_fields():
            assert f'<label for="{field.id_for_label}">' in page, field.name


def test_an_edit_in_the_timeline_lists_the_fields_it_changed(client, nanchang_officer, nanchang_case):
    from cases.services import update_case

    update_case(case=nanchang_case, actor=nanchang_officer, data={"progress": "完成清淤 3 公里"})
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{nanchang_case.pk}/")
    latest = response.context["events"][0]
    assert latest.changed_fields == [("整改进展", "", "完成清淤 3 公里")]
    assert "<ins>完成清淤 3 公里</ins>" in response.content.decode()


def timeline_text(client, case) -> str:
    page = client.get(f"/cases/{case.pk}/").content.decode()
    return page[page.index('<ol class="timeline">') : page.index("</ol>", page.index('<ol class="timeline">'))]


def test_the_timeline_shows_labels_and_display_values_never_stored_ones(client, supervisor, nanchang):
    from cases.services import update_case

    petition = PetitionFactory(city=nanchang, status="in_progress", veracity="false")
    update_case(
        case=petition,
        actor=supervisor,
        data={"veracity": "true", "is_key_case": True, "pollution_types": ["water", "noise"], "city": "360400"},
    )
    client.force_login(supervisor)
    timeline = timeline_text(client, petition)
    for shown in ("是否属实", "<del>不属实</del> → <ins>属实</ins>", "重点件", "<ins>是</ins>", "水、噪声", "九江市"):
        assert shown in timeline, shown
    for stored in (": true", ">true<", ">True<", "360400", "noise"):
        assert stored not in timeline, stored


def test_a_petition_reads_in_its_own_words_in_badge_timeline_and_buttons(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="assigned", veracity="true", handling="已责令整改")
    workflow.transition(case=petition, to="in_progress", actor=nanchang_officer)
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{petition.pk}/").content.decode()
    assert 'data-testid="case-status">办理中<' in page
    assert "已交办 → 办理中" in timeline_text(client, petition)
    assert "提交审核" in page and "提交验收" not in page and "整改中" not in page
    workflow.transition(case=petition, to="pending_acceptance", actor=nanchang_officer, note="办结")
    assert "办理中 → 待审核" in timeline_text(client, petition)


def test_a_problem_keeps_the_rectification_words(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{nanchang_case.pk}/").content.decode()
    assert 'data-testid="case-status">整改中<' in page and "提交验收" in page


def test_a_status_in_a_recorded_change_reads_in_the_kinds_words(client, supervisor, nanchang):
    from cases.models import CaseEvent

    petition = PetitionFactory(city=nanchang, status="in_progress", version=2)
    # As the bulk upsert records a walk: an update whose changes include the status.
    CaseEvent.objects.create(
        case=petition, action="updated", version=2, changes={"status": ["assigned", "in_progress"]}
    )
    client.force_login(supervisor)
    assert "<del>已交办</del> → <ins>办理中</ins>" in timeline_text(client, petition)


def test_a_creation_does_not_repeat_every_fact_in_the_timeline(client, supervisor):
    from cases.models import Campaign
    from cases.services import create_case

    campaign = Campaign.objects.create(code="t-create", kind="central", name="测试督察")
    case = create_case(
        actor=supervisor,
        data={"campaign": campaign.code, "reference": "NEW-1", "kind": "feedback_problem", "title": "新建问题（合成数据）",
              "city": "360100", "deadline_type": "long_term", "measures": "长期巡查"},
    )
    client.force_login(supervisor)
    timeline = timeline_text(client, case)
    assert "创建" in timeline and "长期巡查" not in timeline


def test_a_field_has_one_label_in_the_facts_the_forms_and_the_timeline(client, nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress", veracity="true")
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{petition.pk}/").content.decode()
    assert '<label for="id_progress-veracity">是否属实</label>' in page
    assert "<dt>是否属实</dt>" in page and "调查核实结论" not in page
