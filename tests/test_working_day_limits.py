"""Working days in the sign-off (DESIGN section 3, issue 14 point 5): how
long a case has waited at its review level against its campaign's limit,
and a deadline stated as N working days from the transfer date (a
petition's 办结时限 from its 交办日期), through the API, the bulk upsert
and the services. Dates pinned across Mid-Autumn (25-27 September 2026)
and National Day (1-7 October) with their make-up days (Sunday 20
September, Saturday 10 October)."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from cases.constants import Level, Status
from cases.errors import InvalidInput
from cases.models import Case
from cases.services import update_case
from cases.signoff import review_wait, review_waits
from cases.upsert import upsert_cases
from cases.workflow import transition
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory, PetitionFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Status


def at(*day):
    return time_machine.travel(shanghai(*day, 10), tick=False)


# --- the review time limit ------------------------------------------------------------


def test_the_wait_at_a_level_counts_working_days_since_the_case_arrived(nanchang_officer, supervisor):
    with at(2026, 9, 18):  # a Friday
        case = CaseFactory(status=S.IN_PROGRESS)
        transition(case=case, action="submit", actor=nanchang_officer, note="整改完成")
    # Sun 20 (make-up), 21-24, then Mid-Autumn 25-27, then 28, 29, 30.
    wait = review_wait(case, today=datetime.date(2026, 9, 30))
    assert (wait.level, wait.arrived_on, wait.working_days, wait.limit) == (
        Level.PROVINCE, datetime.date(2026, 9, 18), 8, 5,
    )
    assert wait.is_over_limit and wait.working_days_over == 3
    # National Day adds nothing: still 8 on Wednesday 7 October.
    assert review_wait(case, today=datetime.date(2026, 10, 7)).working_days == 8


def test_the_limit_is_the_campaigns_and_a_move_up_starts_the_wait_again(nanchang_officer):
    county = UserFactory(username="dh_officer", role="officer", division_id="360102")
    campaign = CampaignFactory(code="ten-days", review_days=10)
    with at(2026, 9, 18):
        case = CaseFactory(status=S.IN_PROGRESS, division_id="360102", city=None, campaign=campaign)
        transition(case=case, action="submit", actor=county, note="县级自查完成")
    wait = review_wait(case, today=datetime.date(2026, 9, 30))
    assert (wait.level, wait.working_days, wait.limit, wait.is_over_limit) == (Level.CITY, 8, 10, False)
    with at(2026, 9, 29):
        transition(case=case, action="approve", actor=nanchang_officer, note="复核通过")
    wait = review_wait(case, today=datetime.date(2026, 9, 30))
    assert (wait.level, wait.arrived_on, wait.working_days) == (Level.PROVINCE, datetime.date(2026, 9, 29), 1)


def test_a_page_of_cases_takes_one_query_and_only_waiting_cases_have_a_wait(
    nanchang_officer, django_assert_num_queries
):
    with at(2026, 9, 18):
        waiting = [CaseFactory(status=S.IN_PROGRESS) for _ in range(3)]
        for case in waiting:
            transition(case=case, action="submit", actor=nanchang_officer, note="整改完成")
    other = CaseFactory(status=S.IN_PROGRESS)
    cases = list(Case.objects.filter(pk__in=[c.pk for c in [*waiting, other]]).select_related("campaign"))
    with django_assert_num_queries(2):  # the arrivals, and the year's calendar
        waits = review_waits(cases, today=datetime.date(2026, 9, 30))
    assert set(waits) == {c.pk for c in waiting} and {w.working_days for w in waits.values()} == {8}


def test_the_sign_off_endpoint_shows_the_wait(nanchang_officer, supervisor):
    with at(2026, 9, 18):
        case = CaseFactory(status=S.IN_PROGRESS)
        transition(case=case, action="submit", actor=nanchang_officer, note="整改完成")
    client = APIClient()
    client.force_authenticate(user=supervisor)
    with at(2026, 9, 30):
        body = client.get(f"/api/v1/cases/{case.pk}/sign-off/").json()
    assert body["review_wait"] == {
        "level": "province", "arrived_on": "2026-09-18", "working_days": 8, "limit": 5, "over_limit": True,
    }
    client.force_authenticate(user=nanchang_officer)
    assert client.get(f"/api/v1/cases/{CaseFactory().pk}/sign-off/").json()["review_wait"] is None


# --- a deadline in working days ------------------------------------------------------


def petition_item(**fields):
    item = {
        "campaign": "test-central-2", "reference": "X2JX2026000001", "acceptance_number": "X2JX2026000001",
        "kind": "petition", "title": "反映某企业夜间噪声扰民（合成数据）", "city": "360100", "deadline_type": "dated",
        "pollution_types": ["noise"],
    }  # fmt: skip
    return item | fields


def test_the_bulk_upsert_counts_a_petitions_deadline_in_working_days_from_its_transfer(supervisor):
    CampaignFactory()
    (result,) = upsert_cases(
        actor=supervisor, items=[petition_item(transferred_on="2026-09-30", deadline_working_days=3)], note="交办"
    )
    assert result.outcome == "created", result.errors
    # Thursday 8, Friday 9, the make-up Saturday 10 October.
    assert Case.objects.get(pk=result.id).deadline == datetime.date(2026, 10, 10)
    # Updating: from the transfer date already on the case.
    (result,) = upsert_cases(actor=supervisor, items=[petition_item(deadline_working_days=15)])
    assert result.outcome == "updated", result.errors
    # 8, 9, 10, then 12-16, 19-23, 26 and 27 October.
    assert Case.objects.get(pk=result.id).deadline == datetime.date(2026, 10, 27)


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"deadline": "2026-10-31", "deadline_working_days": 10, "transferred_on": "2026-09-30"}, "not both"),
        ({"deadline_working_days": 0, "transferred_on": "2026-09-30"}, "1 to 365"),
        ({"deadline_working_days": 366, "transferred_on": "2026-09-30"}, "1 to 365"),
        ({"deadline_working_days": "10", "transferred_on": "2026-09-30"}, "1 to 365"),
        ({"deadline_working_days": True, "transferred_on": "2026-09-30"}, "1 to 365"),
        ({"deadline_working_days": 10}, "transferred_on"),
    ],
)
def test_the_bulk_upsert_refuses_a_bad_working_day_deadline_naming_the_field(supervisor, fields, message):
    from django.utils import translation

    CampaignFactory()
    with translation.override("en"):
        (result,) = upsert_cases(actor=supervisor, items=[petition_item(**fields)])
    assert result.outcome == "invalid" and message in result.errors["deadline_working_days"][0]
    assert not Case.objects.exists()


def test_the_api_edit_takes_a_deadline_in_working_days_and_refuses_both(supervisor, nanchang):
    petition = PetitionFactory(city=nanchang, transferred_on=datetime.date(2026, 9, 18), status=S.IN_PROGRESS)
    client = APIClient()
    client.force_authenticate(user=supervisor)
    url = f"/api/v1/cases/{petition.pk}/"

    def patch(body):
        return client.patch(url, body, format="json", HTTP_IF_MATCH=f'"{Case.objects.get(pk=petition.pk).version}"')

    response = patch({"deadline_working_days": 5, "deadline": "2026-12-01"})
    assert response.status_code == 400 and response.json()["field"] == "deadline_working_days"
    response = patch({"deadline_working_days": 5})
    assert response.status_code == 200 and response.json()["deadline"] == "2026-09-24"  # the make-up Sunday counted


def test_a_city_officer_may_not_set_the_deadline_in_working_days_either(nanchang_officer, nanchang):
    petition = PetitionFactory(city=nanchang, transferred_on=datetime.date(2026, 9, 18), status=S.IN_PROGRESS)
    with pytest.raises(InvalidInput) as refused:
        update_case(case=petition, actor=nanchang_officer, data={"deadline_working_days": 5})
    assert refused.value.field == "deadline_working_days"
    assert Case.objects.get(pk=petition.pk).version == petition.version
