"""Every transition of the workflow table, allowed and refused, per role
and city; the input each one requires; what a successful move records."""

import pytest

from cases.constants import EventAction, Status
from cases.errors import CaseNotVisible, InvalidInput, RoleNotAllowed, TransitionNotAllowed
from cases.models import Case, CaseEvent
from cases.workflow import TRANSITIONS, available_moves, transition
from tests.factories import CaseFactory, PetitionFactory

S = Status
CITY_MOVES = [(S.ASSIGNED, S.IN_PROGRESS), (S.IN_PROGRESS, S.PENDING_ACCEPTANCE)]
SUPERVISOR_MOVES = [
    (S.PENDING_ACCEPTANCE, S.IN_PUBLICITY),
    (S.PENDING_ACCEPTANCE, S.CLOSED),
    (S.IN_PUBLICITY, S.CLOSED),
    (S.PENDING_ACCEPTANCE, S.IN_PROGRESS),
    (S.IN_PUBLICITY, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
]
ALL_PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


def test_the_table_holds_exactly_the_designed_moves():
    assert set(TRANSITIONS) == set(CITY_MOVES + SUPERVISOR_MOVES)


@pytest.mark.parametrize("frm,to", CITY_MOVES + SUPERVISOR_MOVES)
def test_supervisor_may_make_every_move_in_the_table(supervisor, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    transition(case=case, to=to, actor=supervisor, note="理由", channel="电话")
    assert Case.objects.get(pk=case.pk).status == to


@pytest.mark.parametrize("frm,to", CITY_MOVES)
def test_officer_may_start_and_submit_own_city_cases(nanchang_officer, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    transition(case=case, to=to, actor=nanchang_officer, note="整改完成")
    assert Case.objects.get(pk=case.pk).status == to


@pytest.mark.parametrize("frm,to", CITY_MOVES + SUPERVISOR_MOVES)
def test_officer_of_another_city_is_told_the_case_does_not_exist(jiujiang_officer, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    with pytest.raises(CaseNotVisible):
        transition(case=case, to=to, actor=jiujiang_officer, note="x")
    assert Case.objects.get(pk=case.pk).status == frm


def test_officer_cannot_touch_a_province_level_case(nanchang_officer):
    case = CaseFactory(city=None, status=S.ASSIGNED)
    with pytest.raises(CaseNotVisible):
        transition(case=case, to=S.IN_PROGRESS, actor=nanchang_officer)


@pytest.mark.parametrize("frm,to", SUPERVISOR_MOVES)
def test_a_city_cannot_accept_return_or_reopen_a_case_the_province_accepts(
    nanchang_officer, write_client, province_client, nanchang, frm, to
):
    case = CaseFactory(city=nanchang, status=frm)
    for actor in (nanchang_officer, write_client):
        with pytest.raises(TransitionNotAllowed) as refused:
            transition(case=case, to=to, actor=actor, note="理由", channel="电话")
        assert refused.value.code in ("not_the_accepting_level", "waiting_at_another_level", "own_submission")
        assert "省级" in str(refused.value.message)  # names the level that acts
    # A province-wide system reviews at no level.
    with pytest.raises(RoleNotAllowed):
        transition(case=case, to=to, actor=province_client, note="理由", channel="电话")
    assert Case.objects.get(pk=case.pk).status == frm
    assert not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize("frm,to", CITY_MOVES)
def test_a_read_write_city_client_may_make_the_city_moves(write_client, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    transition(case=case, to=to, actor=write_client, note="系统同步")
    assert Case.objects.get(pk=case.pk).status == to


def test_a_read_only_client_changes_nothing(readonly_client, nanchang):
    case = CaseFactory(city=nanchang, status=S.ASSIGNED)
    with pytest.raises(RoleNotAllowed) as refused:
        transition(case=case, to=S.IN_PROGRESS, actor=readonly_client)
    assert refused.value.code == "read_only"


def test_an_administrator_does_not_take_part_in_the_workflow(admin_user, nanchang):
    case = CaseFactory(city=nanchang, status=S.PENDING_ACCEPTANCE)
    with pytest.raises(RoleNotAllowed):
        transition(case=case, to=S.CLOSED, actor=admin_user)


@pytest.mark.parametrize("frm,to", [p for p in ALL_PAIRS if p not in TRANSITIONS])
def test_moves_outside_the_table_are_refused_naming_both_statuses(supervisor, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, to=to, actor=supervisor, note="x")
    assert str(S(frm).label) in refused.value.message and str(S(to).label) in refused.value.message
    assert Case.objects.get(pk=case.pk).version == case.version


def test_an_unknown_status_is_refused_naming_the_field(supervisor, nanchang_case):
    with pytest.raises(InvalidInput) as refused:
        transition(case=nanchang_case, to="done", actor=supervisor)
    assert refused.value.field == "to"


@pytest.mark.parametrize("frm,to", [(S.IN_PROGRESS, S.PENDING_ACCEPTANCE), *[m for m in SUPERVISOR_MOVES if m[1] == S.IN_PROGRESS]])
def test_submitting_rejecting_and_reopening_need_a_note(supervisor, nanchang, frm, to):
    case = CaseFactory(city=nanchang, status=frm)
    with pytest.raises(InvalidInput) as refused:
        transition(case=case, to=to, actor=supervisor, note="   ", channel="电话")
    assert refused.value.field == "note"
    assert Case.objects.get(pk=case.pk).status == frm


def test_a_petition_is_submitted_only_with_veracity_and_handling(nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, status=S.IN_PROGRESS)
    with pytest.raises(InvalidInput) as refused:
        transition(case=petition, to=S.PENDING_ACCEPTANCE, actor=nanchang_officer, note="办结")
    assert refused.value.field == "veracity"
    with pytest.raises(InvalidInput) as refused:
        transition(case=petition, to=S.PENDING_ACCEPTANCE, actor=nanchang_officer, note="办结", veracity="true")
    assert refused.value.field == "handling"
    with pytest.raises(InvalidInput) as refused:
        transition(case=petition, to=S.PENDING_ACCEPTANCE, actor=nanchang_officer, note="办结", veracity="maybe", handling="x")
    assert refused.value.field == "veracity"

    transition(case=petition, to=S.PENDING_ACCEPTANCE, actor=nanchang_officer, note="办结", veracity="partly_true", handling="已责令整改")
    petition.refresh_from_db()
    assert (petition.status, petition.veracity, petition.handling) == (S.PENDING_ACCEPTANCE, "partly_true", "已责令整改")
    event = petition.events.get()
    assert event.changes["veracity"] == ["", "partly_true"]


def test_a_move_bumps_the_version_and_writes_one_event(nanchang_officer, nanchang):
    case = CaseFactory(city=nanchang, status=S.ASSIGNED, version=3)
    transition(case=case, to=S.IN_PROGRESS, actor=nanchang_officer, note="开始整改")
    case.refresh_from_db()
    assert case.version == 4
    event = CaseEvent.objects.get(case=case)
    assert (event.actor, event.action, event.from_status, event.to_status, event.note, event.version) == (
        nanchang_officer, EventAction.TRANSITION, S.ASSIGNED, S.IN_PROGRESS, "开始整改", 4,
    )


def test_reopening_a_closed_case_is_counted_and_clears_the_closing_time(supervisor, nanchang):
    case = CaseFactory(city=nanchang, status=S.PENDING_ACCEPTANCE)
    transition(case=case, to=S.CLOSED, actor=supervisor)
    assert case.closed_at is not None
    transition(case=case, to=S.IN_PROGRESS, actor=supervisor, note="反弹回潮")
    assert (case.status, case.reopened_count, case.closed_at) == (S.IN_PROGRESS, 1, None)


def test_a_stale_expected_version_is_refused(supervisor, nanchang_case):
    from cases.errors import ConcurrentChange

    with pytest.raises(ConcurrentChange):
        transition(case=nanchang_case, to=S.PENDING_ACCEPTANCE, actor=supervisor, note="x", expected_version=99)


def test_the_offered_actions_are_the_ones_the_viewer_may_take(nanchang_officer, supervisor, jiujiang_officer, nanchang):
    pending = CaseFactory(city=nanchang, status=S.PENDING_ACCEPTANCE)
    assert available_moves(pending, nanchang_officer) == []
    assert available_moves(pending, jiujiang_officer) == []
    assert [rule.name for rule in available_moves(pending, supervisor)] == ["publicize", "close", "return"]
    assigned = CaseFactory(city=nanchang, status=S.ASSIGNED)
    assert [rule.name for rule in available_moves(assigned, nanchang_officer)] == ["start"]
