"""The Django admin opens every model's list and detail, in Chinese by
default, and never offers to edit or delete a case's history."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cases.constants import Status
from cases.models import Case, CaseEvent
from cases.workflow import transition
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_has_a_working_admin_list(admin_client, model, nanchang_case):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200


def test_the_admin_speaks_chinese_by_default(admin_client, nanchang_case):
    response = admin_client.get(reverse("admin:cases_case_changelist"))
    assert "整改案件" in response.content.decode()
    assert "已交办" in response.content.decode() or "整改中" in response.content.decode()


def test_a_case_page_in_the_admin_shows_its_timeline_read_only(admin_client, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status=Status.PENDING_ACCEPTANCE)
    transition(case=case, to=Status.CLOSED, actor=supervisor)
    response = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    event = CaseEvent.objects.get(case=case)
    assert admin_client.get(reverse("admin:cases_caseevent_change", args=[event.pk])).status_code == 200
    assert admin_client.post(reverse("admin:cases_caseevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_status_moves_in_the_admin_go_through_the_workflow(client, nanchang):
    from tests.factories import UserFactory

    staff_supervisor = UserFactory(username="staff_sup", role="supervisor", city=None, is_staff=True, is_superuser=True)
    client.force_login(staff_supervisor)
    pending = CaseFactory(city=nanchang, status=Status.PENDING_ACCEPTANCE)
    assigned = CaseFactory(city=nanchang, status=Status.ASSIGNED)
    client.post(
        reverse("admin:cases_case_changelist"),
        {"action": "move_close", "_selected_action": [pending.pk, assigned.pk]},
    )
    assert Case.objects.get(pk=pending.pk).status == Status.CLOSED
    assert Case.objects.get(pk=assigned.pk).status == Status.ASSIGNED  # refused: not in the table
    assert CaseEvent.objects.filter(case=pending, to_status=Status.CLOSED, actor=staff_supervisor).exists()


def test_the_admin_shows_a_removed_milestone_marked_and_the_case_still_saves(admin_client, supervisor, nanchang):
    import datetime

    from cases.milestones import add_milestone, delete_milestone
    from cases.models import Milestone

    case = CaseFactory(city=nanchang, status=Status.IN_PROGRESS, deadline_type="long_term", deadline=None)
    removed = add_milestone(case=case, actor=supervisor, due_on=datetime.date(2025, 12, 31), target="错填（合成）")
    add_milestone(case=case, actor=supervisor, due_on=datetime.date(2026, 12, 31), target="二期（合成）")
    delete_milestone(case=case, actor=supervisor, milestone_id=removed.pk)
    url = reverse("admin:cases_case_change", args=[case.pk])

    page = admin_client.get(url).content.decode()

    assert "错填（合成）" in page and "二期（合成）" in page
    assert "删除时间" in page and "删除人" in page and supervisor.username in page
    # Saving the (read-only) case posts the inline's rows back, the removed one too.
    data = {}
    for inline in admin_client.get(url).context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for number, row in enumerate(formset.forms):
            data[f"{formset.prefix}-{number}-id"] = row.instance.pk
            data[f"{formset.prefix}-{number}-case"] = case.pk
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and [i.formset.errors for i in response.context["inline_admin_formsets"]]
    assert Milestone.all_objects.get(pk=removed.pk).removed_by == supervisor
    assert Milestone.all_objects.filter(case=case).count() == 2
