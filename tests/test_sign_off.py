"""The sign-off as the provinces do it (DESIGN section 3): the review
levels a submission climbs, each level's signed review, publicity counted
in China's working days, objections, and the rules of the chain named
when someone acts at a level that is not theirs."""

import datetime
from types import SimpleNamespace

import pytest
import time_machine

from cases import workflow
from cases.constants import Level, ReviewResult, Status
from cases.errors import InvalidInput, TransitionNotAllowed
from cases.models import Case, CaseEvent, Objection, Review
from cases.upsert import upsert_cases
from cases.workflow import MOVES, review_chain, transition
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory

pytestmark = pytest.mark.django_db
S = Status


def submitted(city, officer, **campaign):
    case = CaseFactory(city=city, status=S.IN_PROGRESS, campaign=CampaignFactory(code="sign-off", **campaign))
    transition(case=case, action="submit", actor=officer, note="整改完成，申请验收")
    return case


def test_the_table_holds_the_eight_moves_in_the_order_of_the_work():
    assert list(MOVES) == ["start", "submit", "approve", "publicize", "close", "return", "object", "reopen"]


def test_a_submitted_city_case_waits_at_the_province_and_its_close_is_signed(nanchang_officer, supervisor, nanchang):
    case = submitted(nanchang, nanchang_officer)
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.PROVINCE)
    transition(case=case, action="close", actor=supervisor, note="经现场核查，整改到位")
    assert (case.status, case.review_stage) == (S.CLOSED, None)
    review = Review.objects.get(case=case)
    assert (review.level, review.reviewer, review.result, review.opinion, review.version) == (
        Level.PROVINCE, supervisor, ReviewResult.CLOSED, "经现场核查，整改到位", case.version,
    )
    assert CaseEvent.objects.get(case=case, version=case.version).to_status == S.CLOSED


def test_a_return_is_signed_with_its_reason_and_the_city_may_fix_and_resubmit(nanchang_officer, supervisor, nanchang):
    case = submitted(nanchang, nanchang_officer)
    transition(case=case, action="return", actor=supervisor, note="缺少第三方监测报告")
    assert (case.status, case.review_stage) == (S.IN_PROGRESS, None)
    assert Review.objects.get(case=case).result == ReviewResult.RETURNED
    transition(case=case, action="submit", actor=nanchang_officer, note="已补充监测报告")
    assert (case.status, case.review_stage) == (S.PENDING_ACCEPTANCE, Level.PROVINCE)


def test_the_accepting_level_does_not_approve_it_closes_or_publicizes(nanchang_officer, supervisor, nanchang):
    case = submitted(nanchang, nanchang_officer)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, action="approve", actor=supervisor)
    assert refused.value.code == "accepting_level"
    assert Case.objects.get(pk=case.pk).version == case.version


def test_the_city_cannot_sign_off_what_the_province_accepts(nanchang_officer, write_client, nanchang):
    case = submitted(nanchang, nanchang_officer)
    for actor in (nanchang_officer, write_client):
        for action in ("close", "publicize", "return", "approve"):
            with pytest.raises(TransitionNotAllowed) as refused:
                transition(case=case, action=action, actor=actor, note="x")
            assert refused.value.code in ("not_the_accepting_level", "waiting_at_another_level", "own_submission")
    assert not Review.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "level,accepting,chain",
    [
        (Level.COUNTY, Level.PROVINCE, [Level.CITY, Level.PROVINCE]),
        (Level.COUNTY, Level.CITY, [Level.CITY]),
        (Level.CITY, Level.PROVINCE, [Level.PROVINCE]),
        (Level.CITY, Level.CITY, [Level.PROVINCE]),  # nobody reviews their own submission
        (Level.PROVINCE, Level.PROVINCE, [Level.PROVINCE]),
    ],
)
def test_the_chain_climbs_from_the_level_above_the_case_to_the_accepting_level(monkeypatch, level, accepting, chain):
    monkeypatch.setattr(workflow, "case_level", lambda case: level)
    assert review_chain(SimpleNamespace(campaign=SimpleNamespace(accepting_level=accepting))) == chain


# --- publicity, in working days ------------------------------------------------


def test_publicity_ends_five_working_days_later_counting_the_make_up_sunday(nanchang_officer, supervisor, nanchang):
    with time_machine.travel(shanghai(2026, 9, 18, 10), tick=False):  # a Friday
        case = submitted(nanchang, nanchang_officer)
        transition(case=case, action="publicize", actor=supervisor, note="验收通过，予以公示")
    # Sun 20 (make-up working day), Mon 21 ... Thu 24.
    assert (case.status, case.publicity_starts_on, case.publicity_ends_on) == (
        S.IN_PUBLICITY, datetime.date(2026, 9, 18), datetime.date(2026, 9, 24),
    )
    assert Review.objects.get(case=case).result == ReviewResult.PUBLICIZED


def test_a_period_across_national_day_ends_after_the_holiday(nanchang_officer, supervisor, nanchang):
    with time_machine.travel(shanghai(2026, 9, 29, 10), tick=False):
        case = submitted(nanchang, nanchang_officer, publicity_days=3)
        transition(case=case, action="publicize", actor=supervisor)
    # Wed 30 September, then Thu 8 and Fri 9 October.
    assert case.publicity_ends_on == datetime.date(2026, 10, 9)


def test_a_case_is_closed_only_after_its_publicity_ends(nanchang_officer, supervisor, nanchang):
    with time_machine.travel(shanghai(2026, 9, 29, 10), tick=False):
        case = submitted(nanchang, nanchang_officer, publicity_days=3)
        transition(case=case, action="publicize", actor=supervisor)
    with time_machine.travel(shanghai(2026, 10, 9, 17), tick=False), pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, action="close", actor=supervisor)
    assert refused.value.code == "publicity_running" and "2026-10-09" in str(refused.value.message)
    with time_machine.travel(shanghai(2026, 10, 10, 9), tick=False):
        transition(case=case, action="close", actor=supervisor, note="公示期满无异议")
    assert case.status == S.CLOSED
    assert [r.result for r in case.reviews.order_by("version")] == [ReviewResult.PUBLICIZED, ReviewResult.CLOSED]


def test_a_campaign_that_requires_publicity_refuses_a_direct_close(nanchang_officer, supervisor, nanchang):
    case = submitted(nanchang, nanchang_officer, publicity_required=True)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(case=case, action="close", actor=supervisor)
    assert refused.value.code == "publicity_required"
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE


def test_an_objection_returns_the_case_with_the_objection_as_its_reason(nanchang_officer, supervisor, nanchang):
    with time_machine.travel(shanghai(2026, 9, 18, 10), tick=False):
        case = submitted(nanchang, nanchang_officer)
        transition(case=case, action="publicize", actor=supervisor)
    with time_machine.travel(shanghai(2026, 9, 22, 10), tick=False):
        transition(
            case=case, action="object", actor=supervisor, note="群众反映夜间仍有异味",
            received_on="2026-09-21", channel="电话",
        )  # fmt: skip
    assert (case.status, case.review_stage) == (S.IN_PROGRESS, None)
    objection = Objection.objects.get(case=case)
    assert (objection.received_on, objection.channel, objection.content, objection.version) == (
        datetime.date(2026, 9, 21), "电话", "群众反映夜间仍有异味", case.version,
    )
    assert CaseEvent.objects.get(case=case, version=case.version).note == "群众反映夜间仍有异味"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"received_on": "2026-09-21"}, "channel"),
        ({"received_on": "2026-09-17", "channel": "来信"}, "received_on"),  # before the publicity
        ({"received_on": "2026-09-23", "channel": "来信"}, "received_on"),  # tomorrow
        ({"received_on": "21/09/2026", "channel": "来信"}, "received_on"),
    ],
)
def test_an_objection_without_its_channel_or_with_a_date_outside_the_period_is_refused(
    nanchang_officer, supervisor, nanchang, fields, field
):
    with time_machine.travel(shanghai(2026, 9, 18, 10), tick=False):
        case = submitted(nanchang, nanchang_officer)
        transition(case=case, action="publicize", actor=supervisor)
    with time_machine.travel(shanghai(2026, 9, 22, 10), tick=False), pytest.raises(InvalidInput) as refused:
        transition(case=case, action="object", actor=supervisor, note="异议", **fields)
    assert refused.value.field == field
    assert Case.objects.get(pk=case.pk).status == S.IN_PUBLICITY and not Objection.objects.exists()


# --- every way in -------------------------------------------------------------


def test_a_bulk_walk_to_closed_signs_the_review_a_step_by_step_walk_would(supervisor, nanchang):
    campaign = CampaignFactory(code="sign-off")
    results = upsert_cases(
        actor=supervisor,
        items=[{
            "campaign": campaign.code, "reference": "BULK-1", "kind": "feedback_problem", "title": "批量销号",
            "city": nanchang.code, "deadline_type": "immediate", "status": "closed",
        }],
        note="历史台账导入：已销号",
    )  # fmt: skip
    assert results[0].outcome == "created", results[0].errors
    case = Case.objects.get(pk=results[0].id)
    assert (case.status, case.review_stage, case.closed_at is not None) == (S.CLOSED, None, True)
    review = Review.objects.get(case=case)
    assert (review.level, review.result, review.reviewer, review.version) == (
        Level.PROVINCE, ReviewResult.CLOSED, supervisor, case.version,
    )
    assert CaseEvent.objects.get(case=case, version=review.version).to_status == S.CLOSED
