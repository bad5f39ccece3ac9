"""The 阶段性目标 section of a long-term case's page: targets with their
met and missed marks, the form to add one and to mark one met, offered
only to who may set them; and the lists showing a long-term case's
deadline as its next target."""

import datetime

import pytest
import time_machine

from cases.milestones import add_milestone
from cases.models import Case, Milestone
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
MISSED = datetime.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2026, 3, 15, 10), tick=False):
        yield


@pytest.fixture
def long_term(nanchang):
    return CaseFactory(
        city=nanchang, status="in_progress", deadline_type="long_term", deadline=None, reference="LT-1", title="长期坚持（合成）"
    )


def test_an_officer_adds_a_target_and_the_missed_one_shows_overdue(client, nanchang_officer, long_term):
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{long_term.pk}/milestones/",
        {"milestone-expected_version": 1, "milestone-due_on": "2025-12-31", "milestone-target": "完成一期整治（合成）"},
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{long_term.pk}/").content.decode()
    assert "阶段性目标" in page and "完成一期整治（合成）" in page
    assert '<span class="mark overdue">逾期未完成</span>' in page
    assert Case.objects.get(pk=long_term.pk).deadline == MISSED


def test_marking_it_met_clears_the_overdue_and_undo_brings_it_back(client, nanchang_officer, long_term):
    milestone = add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="目标（合成）")
    client.force_login(nanchang_officer)
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/met/", {"met-expected_version": 2, "met-met_on": "2025-12-30"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.met_on, milestone.met_by) == (datetime.date(2025, 12, 30), nanchang_officer)
    page = client.get(f"/cases/{long_term.pk}/").content.decode()
    assert "2025-12-30" in page and "mark overdue" not in page
    client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/met/", {"met-expected_version": 3, "undo": "1"})
    assert Case.objects.get(pk=long_term.pk).deadline == MISSED


def test_a_stale_form_is_refused_and_changes_nothing(client, nanchang_officer, supervisor, long_term):
    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    client.force_login(nanchang_officer)
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/met/", {"met-expected_version": 1})
    assert response.status_code == 409
    assert Milestone.objects.get().met_on is None


def test_a_bad_date_is_shown_next_to_the_field(client, nanchang_officer, long_term):
    client.force_login(nanchang_officer)
    response = client.post(
        f"/cases/{long_term.pk}/milestones/",
        {"milestone-expected_version": 1, "milestone-due_on": "2025-02-30", "milestone-target": "目标（合成）"},
    )
    assert response.status_code == 400
    assert response.context["milestone_form"].errors["due_on"]
    assert not Milestone.objects.exists()


def test_a_reader_sees_the_targets_but_no_forms(client, supervisor, long_term):
    add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    Case.objects.filter(pk=long_term.pk).update(status="pending_acceptance")
    officer = UserFactory(username="nc2", role="officer")
    client.force_login(officer)
    page = client.get(f"/cases/{long_term.pk}/").content.decode()
    assert "目标（合成）" in page
    assert 'data-action="milestone"' not in page and "milestones/" not in page
    response = client.post(
        f"/cases/{long_term.pk}/milestones/",
        {"milestone-expected_version": 2, "milestone-due_on": "2026-12-31", "milestone-target": "伪造（合成）"},
    )
    assert response.status_code == 403
    assert Milestone.objects.count() == 1


def test_another_citys_officer_gets_not_found(client, jiujiang_officer, long_term):
    client.force_login(jiujiang_officer)
    response = client.post(
        f"/cases/{long_term.pk}/milestones/",
        {"milestone-expected_version": 1, "milestone-due_on": "2025-12-31", "milestone-target": "目标（合成）"},
    )
    assert response.status_code == 404
    assert not Milestone.objects.exists()


def test_a_dated_case_has_no_milestone_section(client, nanchang_officer, nanchang_case):
    client.force_login(nanchang_officer)
    assert 'data-testid="milestones"' not in client.get(f"/cases/{nanchang_case.pk}/").content.decode()


def test_the_list_shows_a_long_term_cases_deadline_as_its_target(client, nanchang_officer, long_term):
    add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="目标（合成）")
    client.force_login(nanchang_officer)
    page = client.get("/cases/", {"overdue": "true"}).content.decode()
    row = page[page.index("LT-1"):]
    row = row[: row.index("</tr>")]
    assert "2025-12-31" in row and "阶段性目标" in row and "mark overdue" in row


def test_an_officer_deletes_a_target_and_the_timeline_says_so(client, nanchang_officer, long_term):
    missed = add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="错填的目标（合成）")
    add_milestone(case=long_term, actor=nanchang_officer, due_on=datetime.date(2026, 12, 31), target="二期（合成）")
    client.force_login(nanchang_officer)
    page = client.get(f"/cases/{long_term.pk}/").content.decode()
    assert f"/cases/{long_term.pk}/milestones/{missed.pk}/delete/" in page and "删除" in page

    response = client.post(f"/cases/{long_term.pk}/milestones/{missed.pk}/delete/", {"delete-expected_version": 3})

    assert response.status_code == 302
    case = Case.objects.get(pk=long_term.pk)
    assert (case.deadline, case.version) == (datetime.date(2026, 12, 31), 4)
    assert not Case.objects.overdue().exists()
    page = client.get(f"/cases/{long_term.pk}/").content.decode()
    timeline = page[page.index('id="timeline"'):]
    assert "错填的目标（合成）" in timeline and "已删除" in timeline
    # The row stays, marked removed; the targets on the page leave it out.
    row = Milestone.all_objects.get(pk=missed.pk)
    assert row.removed_at is not None and row.removed_by == nanchang_officer
    section = page[page.index('data-testid="milestones"'):page.index('id="timeline"')]
    assert "错填的目标（合成）" not in section and "二期（合成）" in section
    assert f"/milestones/{missed.pk}/" not in page
    # Posting the delete again finds no such target.
    response = client.post(f"/cases/{long_term.pk}/milestones/{missed.pk}/delete/", {"delete-expected_version": 4})
    assert response.status_code == 404
    assert Case.objects.get(pk=long_term.pk).version == 4


def test_the_list_and_the_ledger_no_longer_see_a_deleted_target(client, nanchang_officer, long_term):
    import io

    from openpyxl import load_workbook

    missed = add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="错填的目标（合成）")
    add_milestone(case=long_term, actor=nanchang_officer, due_on=datetime.date(2026, 12, 31), target="二期（合成）")
    client.force_login(nanchang_officer)
    assert "LT-1" in client.get("/cases/", {"overdue": "true"}).content.decode()
    client.post(f"/cases/{long_term.pk}/milestones/{missed.pk}/delete/", {"delete-expected_version": 3})

    assert "LT-1" not in client.get("/cases/", {"overdue": "true"}).content.decode()
    page = client.get("/cases/").content.decode()
    row = page[page.index("LT-1"):]
    assert "2026-12-31" in row[: row.index("</tr>")]
    response = client.get("/imports/ledger.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    cells = [str(cell) for sheet in book.worksheets for line in sheet.iter_rows(values_only=True) for cell in line]
    assert any("二期（合成）" in cell for cell in cells)
    assert not any("错填的目标" in cell for cell in cells)


def test_a_stale_delete_is_refused_and_keeps_the_target(client, nanchang_officer, long_term):
    milestone = add_milestone(case=long_term, actor=nanchang_officer, due_on=MISSED, target="目标（合成）")
    client.force_login(nanchang_officer)
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/delete/", {"delete-expected_version": 1})
    assert response.status_code == 409
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    assert Milestone.all_objects.get(pk=milestone.pk).removed_at is None


def test_who_may_not_set_targets_sees_no_delete_and_is_refused(client, supervisor, long_term, jiujiang_officer):
    milestone = add_milestone(case=long_term, actor=supervisor, due_on=MISSED, target="目标（合成）")
    Case.objects.filter(pk=long_term.pk).update(status="pending_acceptance")
    officer = UserFactory(username="nc3", role="officer")
    client.force_login(officer)
    assert "/delete/" not in client.get(f"/cases/{long_term.pk}/").content.decode()
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/delete/", {"delete-expected_version": 2})
    assert response.status_code == 403
    client.force_login(jiujiang_officer)
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/delete/", {"delete-expected_version": 2})
    assert response.status_code == 404
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    # Whoever may set the targets may still delete it (the other side of the boundary).
    client.force_login(supervisor)
    response = client.post(f"/cases/{long_term.pk}/milestones/{milestone.pk}/delete/", {"delete-expected_version": 2})
    assert response.status_code == 302
    assert Milestone.all_objects.get(pk=milestone.pk).removed_by == supervisor
