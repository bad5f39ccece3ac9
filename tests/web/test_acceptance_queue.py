"""The acceptance queue: how long each case has waited and how much
evidence it has, sorting by what a supervisor weighs, and batch sign-off
or return of the selected cases, each through the workflow, with a result
per case."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import workflow
from cases.models import Campaign, CaseEvent
from cases.services import attach_evidence
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 3, 1)


def submitted(case, officer, *, days_ago: int, files: int = 0):
    with time_machine.travel(shanghai(2024, 3, 1, 9) - datetime.timedelta(days=days_ago), tick=False):
        for n in range(files):
            # Distinct files: the same file sent twice is one attachment.
            upload = SimpleUploadedFile(f"证明{n}.pdf", f"%PDF {n}".encode(), content_type="application/pdf")
            attach_evidence(case=case, actor=officer, upload=upload)
        workflow.transition(case=case, to="pending_acceptance", actor=officer, note="已完成整改")
    case.refresh_from_db()
    return case


def open_case(reference, city, deadline_in_days):
    return CaseFactory(
        reference=reference, city=city, status="in_progress", deadline=TODAY + datetime.timedelta(days=deadline_in_days)
    )


@pytest.fixture
def queue(nanchang, jiujiang, nanchang_officer, jiujiang_officer, supervisor):
    with time_machine.travel(shanghai(2024, 1, 1, 9), tick=False):
        old_bare, new_proved, mid = open_case("Q-OLD", jiujiang, -20), open_case("Q-NEW", nanchang, 9), open_case("Q-MID", nanchang, -3)
    cases = {
        "old_bare": submitted(old_bare, jiujiang_officer, days_ago=12),
        "new_proved": submitted(new_proved, nanchang_officer, days_ago=2, files=2),
        "mid": submitted(mid, nanchang_officer, days_ago=5, files=1),
    }
    # Three working days of publicity from Monday 26 February: over on 1 March.
    Campaign.objects.filter(pk=mid.campaign_id).update(publicity_days=3)
    with time_machine.travel(shanghai(2024, 2, 26, 9), tick=False):
        workflow.transition(case=cases["mid"], to="in_publicity", actor=supervisor)
    cases["mid"].refresh_from_db()
    return cases


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def rows(response):
    return [(c.reference, c.days_waiting, c.evidence_count, c.days_past_deadline) for c in response.context["page"].object_list]


def refs(response):
    return [c.reference for c in response.context["page"].object_list]


def test_the_queue_shows_days_waiting_and_evidence_longest_waiting_first(client, supervisor, queue):
    client.force_login(supervisor)
    response = client.get("/acceptance/")
    # Working days: Q-OLD came on Sunday 18 February 2024, a make-up working
    # day after the Spring Festival, twelve calendar days and ten working days ago.
    assert rows(response) == [("Q-OLD", 10, 0, 20), ("Q-MID", 5, 1, 3), ("Q-NEW", 2, 2, 0)]
    page = response.content.decode()
    assert "10 个工作日" in page and 'class="mark overdue">无<' in page


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("city", ["Q-NEW", "Q-MID", "Q-OLD"]),  # 360100 南昌 before 360400 九江, then by id
        ("-city", ["Q-OLD", "Q-MID", "Q-NEW"]),
        ("status", ["Q-OLD", "Q-NEW", "Q-MID"]),  # awaiting acceptance before in publicity
        ("-status", ["Q-MID", "Q-NEW", "Q-OLD"]),
        ("days_waiting", ["Q-NEW", "Q-MID", "Q-OLD"]),
        ("-days_waiting", ["Q-OLD", "Q-MID", "Q-NEW"]),
        ("evidence", ["Q-OLD", "Q-MID", "Q-NEW"]),
        ("-evidence", ["Q-NEW", "Q-MID", "Q-OLD"]),
        ("-days_overdue", ["Q-OLD", "Q-MID", "Q-NEW"]),
        ("days_overdue", ["Q-NEW", "Q-MID", "Q-OLD"]),
    ],
)
def test_the_queue_sorts_by_what_a_supervisor_weighs(client, supervisor, queue, ordering, expected):
    client.force_login(supervisor)
    assert refs(client.get(f"/acceptance/?ordering={ordering}")) == expected


def test_an_unknown_ordering_is_an_error_not_a_silent_default(client, supervisor, queue):
    client.force_login(supervisor)
    assert client.get("/acceptance/?ordering=title").status_code == 400


def batch(client, cases, decision, **fields):
    data = {"case": [f"{c.pk}:{c.version}" for c in cases], "decision": decision, **fields}
    return client.post("/acceptance/", data)


def test_a_batch_sign_off_moves_each_case_through_the_workflow_with_a_result_each(client, supervisor, nanchang_officer, queue):
    stale = queue["new_proved"]
    seen = CaseFactory._meta.model.objects.get(pk=stale.pk)
    attach_evidence(
        case=stale, actor=nanchang_officer, upload=SimpleUploadedFile("补充.pdf", b"%PDF", content_type="application/pdf")
    )
    client.force_login(supervisor)
    response = batch(client, [queue["old_bare"], queue["mid"], seen], "accept", confirm="on")
    assert response.status_code == 200
    outcomes = {o.reference: o for o in response.context["outcomes"]}
    assert (outcomes["Q-OLD"].done, outcomes["Q-MID"].done, outcomes["Q-NEW"].done) == (True, True, False)
    assert "没有佐证材料" in outcomes["Q-OLD"].message and "没有佐证材料" not in outcomes["Q-MID"].message
    assert "已被他人修改" in outcomes["Q-NEW"].message
    for key, status in (("old_bare", "closed"), ("mid", "closed"), ("new_proved", "pending_acceptance")):
        queue[key].refresh_from_db()
        assert queue[key].status == status, key
    closing = CaseEvent.objects.filter(action="transition", to_status="closed", actor=supervisor)
    assert sorted(closing.values_list("case__reference", flat=True)) == ["Q-MID", "Q-OLD"]
    # The decided cases have left the queue shown under the results.
    assert refs(response) == ["Q-NEW"]


def test_a_batch_sign_off_needs_the_confirmation(client, supervisor, queue):
    client.force_login(supervisor)
    response = batch(client, [queue["old_bare"]], "accept")
    assert response.status_code == 400 and "请勾选" in response.content.decode()
    queue["old_bare"].refresh_from_db()
    assert queue["old_bare"].status == "pending_acceptance"


def test_a_batch_return_needs_a_reason_and_records_it_on_each_case(client, supervisor, queue):
    client.force_login(supervisor)
    response = batch(client, [queue["old_bare"], queue["mid"]], "reject")
    assert response.status_code == 400 and "退回原因" in response.content.decode()
    assert not CaseEvent.objects.filter(to_status="in_progress", actor=supervisor).exists()
    response = batch(client, [queue["old_bare"], queue["mid"]], "reject", note="佐证材料不足")
    # A case in publicity goes back only by an objection, recorded on its page.
    assert [o.done for o in response.context["outcomes"]] == [True, False]
    returns = CaseEvent.objects.filter(action="transition", to_status="in_progress", actor=supervisor)
    assert sorted(returns.values_list("case__reference", "note")) == [("Q-OLD", "佐证材料不足")]


def test_a_county_bureau_cannot_post_a_batch(client, queue):
    client.force_login(UserFactory(username="xunyang", division_id="360403", city=None))
    response = batch(client, [queue["new_proved"]], "accept", confirm="on")
    assert response.status_code == 403
    queue["new_proved"].refresh_from_db()
    assert queue["new_proved"].status == "pending_acceptance"


def test_a_case_outside_the_queue_gets_its_own_refusal(client, supervisor, queue, nanchang):
    in_progress = CaseFactory(city=nanchang, status="in_progress", reference="Q-OPEN")
    client.force_login(supervisor)
    response = batch(client, [queue["old_bare"], in_progress], "accept", confirm="on")
    outcomes = {o.reference: o.done for o in response.context["outcomes"]}
    assert outcomes == {"Q-OLD": True, "Q-OPEN": False}
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"
