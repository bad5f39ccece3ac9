"""Each reviewing level's queue (issue 14 point 7): a city bureau sees its
counties' cases waiting at its city review and nothing waiting elsewhere,
the province what waits at the province, a county bureau has no queue;
days waiting are China's working days since the case arrived at the level."""

import re

import pytest
import time_machine

from cases.constants import Level
from cases.models import CaseEvent
from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def waiting(reference, division, level, *, arrived=shanghai(2026, 9, 30, 16)):
    """A case waiting for the review at ``level`` since ``arrived`` (the
    state the workflow's submit or approve leaves, with its event)."""
    case = CaseFactory(reference=reference, division_id=division, status="pending_acceptance", review_stage=level)
    CaseEvent.objects.create(
        case=case, action="transition", from_status="in_progress", to_status="pending_acceptance",
        created_at=arrived, version=2, note="整改完成，申请验收",
    )  # fmt: skip
    return case


@pytest.fixture
def queues(cities):
    return {
        "xunyang_at_city": waiting("XY-CITY", "360403", Level.CITY),
        "lianxi_at_province": waiting("LX-PROV", "360402", Level.PROVINCE),
        "jiujiang_at_province": waiting("JJ-PROV", "360400", Level.PROVINCE),
        "nanchang_county_at_city": waiting("NC-CITY", "360112", Level.CITY),
    }


@pytest.fixture
def jiujiang_bureau(jiujiang):
    return UserFactory(username="jj-bureau", role="officer", city=jiujiang)


def listed(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/acceptance/{query}")
    assert response.status_code == 200
    return response, [case.reference for case in response.context["page"].object_list]


@time_machine.travel(shanghai(2026, 10, 9, 10), tick=False)
def test_a_city_bureau_sees_its_counties_cases_waiting_at_its_review_and_not_another_citys(client, queues, jiujiang_bureau):
    response, references = listed(client, jiujiang_bureau)
    assert references == ["XY-CITY"]
    page = response.content.decode()
    assert "市级" in page and "浔阳区" in page
    for elsewhere in ("LX-PROV", "JJ-PROV", "NC-CITY"):
        assert elsewhere not in page


@time_machine.travel(shanghai(2026, 10, 9, 10), tick=False)
def test_the_province_sees_what_waits_at_the_province_only(client, queues, supervisor):
    _response, references = listed(client, supervisor)
    assert sorted(references) == ["JJ-PROV", "LX-PROV"]


def test_a_county_bureau_has_no_queue_by_design_and_no_link_to_one(client, queues):
    """A county submits its own cases and reviews nobody's: the page is
    refused (403) and the header does not offer it."""
    county = UserFactory(username="xunyang", division_id="360403", city=None)
    client.force_login(county)
    assert client.get("/acceptance/").status_code == 403
    assert 'href="/acceptance/"' not in client.get("/cases/").content.decode()


def test_reviewers_find_their_queue_in_the_header(client, jiujiang_bureau, supervisor):
    for reviewer in (jiujiang_bureau, supervisor):
        client.force_login(reviewer)
        assert 'href="/acceptance/"' in client.get("/cases/").content.decode()


@pytest.mark.parametrize(
    "today, working_days",
    [
        # Arrived Wednesday 30 September 2026, before National Day (1-7 October).
        (shanghai(2026, 10, 7, 10), 0),  # the whole holiday: no working day yet
        (shanghai(2026, 10, 9, 10), 2),  # Thursday 8 and Friday 9, nine calendar days
        (shanghai(2026, 10, 12, 10), 4),  # with the make-up Saturday 10 October, not Sunday 11
    ],
)
def test_days_waiting_are_working_days_across_national_day(client, queues, jiujiang_bureau, today, working_days):
    with time_machine.travel(today, tick=False):
        response, _references = listed(client, jiujiang_bureau)
    (case,) = response.context["page"].object_list
    assert case.days_waiting == working_days
    assert f"{working_days} 个工作日" in response.content.decode()


@time_machine.travel(shanghai(2026, 10, 12, 10), tick=False)
def test_days_waiting_sorts_the_queue(client, jiujiang_bureau, cities):
    waiting("XY-EARLY", "360403", Level.CITY, arrived=shanghai(2026, 9, 18, 9))
    waiting("XY-LATE", "360403", Level.CITY, arrived=shanghai(2026, 10, 9, 9))
    waiting("LX-MID", "360402", Level.CITY, arrived=shanghai(2026, 9, 30, 9))
    _response, default = listed(client, jiujiang_bureau)
    _response, fewest_first = listed(client, jiujiang_bureau, "?ordering=days_waiting")
    _response, most_first = listed(client, jiujiang_bureau, "?ordering=-days_waiting")
    assert default == most_first == ["XY-EARLY", "LX-MID", "XY-LATE"]
    assert fewest_first == ["XY-LATE", "LX-MID", "XY-EARLY"]



def test_a_city_approves_from_its_queue_and_the_case_moves_up_to_the_province(client, jiujiang_bureau, supervisor, cities):
    """Submitted by its county, a case waits at its city; the city's batch
    decision below the accepting level passes it up to the province's queue."""
    from cases import workflow

    county = UserFactory(username="xunyang", division_id="360403", city=None)
    case = CaseFactory(reference="XY-UP", division_id="360403", status="in_progress")
    workflow.transition(case=case, action="submit", actor=county, note="自查完成")
    case.refresh_from_db()
    _response, references = listed(client, jiujiang_bureau)
    assert references == ["XY-UP"]
    response = client.post("/acceptance/", {"case": f"{case.pk}:{case.version}", "decision": "accept", "confirm": "on", "note": "同意上报"})
    assert [o.done for o in response.context["outcomes"]] == [True]
    case.refresh_from_db()
    assert (case.status, case.review_stage) == ("pending_acceptance", Level.PROVINCE)
    assert listed(client, jiujiang_bureau)[1] == []
    assert listed(client, supervisor)[1] == ["XY-UP"]


@time_machine.travel(shanghai(2026, 10, 12, 10), tick=False)
def test_a_case_waiting_past_its_campaigns_review_limit_is_marked(client, jiujiang_bureau, cities):
    waiting("XY-EARLY", "360403", Level.CITY, arrived=shanghai(2026, 9, 18, 9))  # 13 working days
    waiting("XY-LATE", "360403", Level.CITY, arrived=shanghai(2026, 10, 9, 9))  # 2 working days
    response, _references = listed(client, jiujiang_bureau)
    page = response.content.decode()
    marked = re.findall(r'<tr data-case="\d+">.*?</tr>', page, flags=re.S)
    early, late = marked  # longest waiting first
    assert "XY-EARLY" in early and "超过 5 个工作日的审核时限" in early
    assert "XY-LATE" in late and "审核时限" not in late


@time_machine.travel(shanghai(2026, 10, 12, 10), tick=False)
def test_the_queue_costs_the_same_queries_for_a_longer_page(client, jiujiang_bureau, cities, django_assert_max_num_queries):
    for n in range(2):
        waiting(f"XY-{n}", "360403", Level.CITY)
    client.force_login(jiujiang_bureau)
    with django_assert_max_num_queries(20) as small:
        client.get("/acceptance/")
    for n in range(2, 30):
        waiting(f"XY-{n}", "360403", Level.CITY)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/acceptance/").context["page"].object_list) == 30


@time_machine.travel(shanghai(2026, 10, 9, 10), tick=False)
def test_the_queue_speaks_english_to_an_english_reader(client, login, queues, jiujiang):
    """Logging in applies the account's language."""
    login(UserFactory(username="jj-english", role="officer", city=jiujiang, language="en"))
    page = client.get("/acceptance/").content.decode()
    assert "Cases waiting for the review at City level" in page and "2 working days" in page
