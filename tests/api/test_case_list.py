"""GET /api/v1/cases/: filters, keyset pages, labels, no per-row queries."""

import datetime

import pytest
import time_machine

from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory, PetitionFactory

URL = "/api/v1/cases/"


@pytest.fixture
def pinned():
    with time_machine.travel(shanghai(2024, 3, 10, 9, 0), tick=False):
        yield datetime.date(2024, 3, 10)


def refs(response):
    return [case["reference"] for case in response.json()["results"]]


def test_it_lists_only_the_callers_city(api, nanchang_officer, nanchang_case, jiujiang_case):
    response = api(nanchang_officer).get(URL)
    assert response.status_code == 200
    assert refs(response) == [nanchang_case.reference]


def test_each_case_carries_its_labels_and_deadline_arithmetic(api, supervisor, nanchang, pinned):
    CaseFactory(reference="A", city=nanchang, status="in_progress", deadline=datetime.date(2024, 3, 1))
    [case] = api(supervisor).get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert case["status"] == "in_progress" and case["status_label"] == "整改中"
    assert case["kind"] == "feedback_problem" and case["kind_label"] == "督察反馈问题"
    assert (case["is_overdue"], case["days_overdue"]) == (True, 9)
    assert case["city"] == "360100" and case["campaign"] == "test-central-2"
    assert {"id", "title", "deadline_type", "deadline", "version", "updated_at"} <= set(case)


def test_petitions_read_their_own_status_label(api, supervisor, nanchang, pinned):
    PetitionFactory(city=nanchang, status="pending_acceptance")
    [case] = api(supervisor).get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert case["status_label"] == "待审核"


def test_the_filters_narrow_the_list(api, supervisor, nanchang, jiujiang, pinned):
    CaseFactory(reference="late", city=nanchang, status="in_progress", deadline=datetime.date(2024, 3, 1))
    CaseFactory(reference="ontime", city=nanchang, status="assigned", deadline=datetime.date(2024, 4, 1))
    CaseFactory(reference="done", city=jiujiang, status="closed", deadline=datetime.date(2024, 3, 1))
    CaseFactory(reference="prov", city=None, status="assigned", deadline_type="long_term", deadline=None)
    CaseFactory(reference="other-campaign", campaign=CampaignFactory(code="warning-2022", kind="warning_film"))
    client = api(supervisor)
    assert refs(client.get(URL, {"overdue": "true"})) == ["late"]
    assert set(refs(client.get(URL, {"overdue": "false"}))) == {"ontime", "done", "prov", "other-campaign"}
    assert refs(client.get(URL, {"status": "closed,in_progress", "ordering": "reference"})) == ["done", "late"]
    assert refs(client.get(URL, {"city": "province"})) == ["prov"]
    assert refs(client.get(URL, {"city": "360400"})) == ["done"]
    assert refs(client.get(URL, {"campaign": "warning-2022"})) == ["other-campaign"]
    assert refs(client.get(URL, {"due_before": "2024-03-01", "ordering": "reference"})) == ["done", "late"]
    assert refs(client.get(URL, {"q": "ONTI"})) == ["ontime"]


def test_updated_since_needs_an_offset_and_accepts_an_unescaped_plus(api, supervisor, nanchang):
    with time_machine.travel(shanghai(2024, 3, 1, 12, 0), tick=False):
        CaseFactory(reference="old", city=nanchang)
    with time_machine.travel(shanghai(2024, 3, 5, 12, 0), tick=False):
        CaseFactory(reference="new", city=nanchang)
    client = api(supervisor)
    assert refs(client.get(URL + "?updated_since=2024-03-03T00:00:00+08:00")) == ["new"]
    assert refs(client.get(URL, {"updated_since": "2024-03-03T00:00:00+08:00"})) == ["new"]
    response = client.get(URL, {"updated_since": "2024-03-03T00:00:00"})
    assert response.status_code == 400 and response.json()["field"] == "updated_since"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"kind": "dragon"}, "kind"),
        ({"status": "assigned,lost"}, "status"),
        ({"city": "999999"}, "city"),
        ({"campaign": "nope"}, "campaign"),
        ({"overdue": "maybe"}, "overdue"),
        ({"due_before": "2024-02-30"}, "due_before"),
        ({"ordering": "password"}, "ordering"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "99999999999999999999"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, supervisor, params, field):
    response = api(supervisor).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("ordering", ["id", "-id", "deadline", "-deadline", "reference", "-updated_at"])
def test_keyset_pages_cover_every_case_once_in_order(api, supervisor, nanchang, ordering):
    for n in range(7):
        CaseFactory(
            reference=f"R{n % 3}-{n}",
            city=nanchang,
            deadline_type="long_term" if n % 3 == 0 else "dated",
            deadline=None if n % 3 == 0 else datetime.date(2024, 5, 1 + n % 2),
        )
    client = api(supervisor)
    everything = refs(client.get(URL, {"ordering": ordering, "page_size": 200}))
    seen, url = [], URL + f"?ordering={ordering}&page_size=2"
    while url:
        body = client.get(url).json()
        seen += [case["reference"] for case in body["results"]]
        url = body["next"]
    assert seen == everything and len(seen) == 7


@pytest.mark.parametrize("size", [1, 200])
def test_the_query_count_does_not_grow_with_the_page(api, supervisor, nanchang, size, django_assert_max_num_queries):
    CaseFactory.create_batch(5, city=nanchang)
    client = api(supervisor)
    with django_assert_max_num_queries(3):
        response = client.get(URL, {"page_size": size, "city": "360100", "overdue": "false"})
    assert len(response.json()["results"]) == min(size, 5)
