"""The case list, the overdue list and the acceptance queue: filters,
ordering, pagination and the count."""

import datetime

import pytest
import time_machine

from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield

TODAY = datetime.date(2024, 3, 1)


def days(n):
    return TODAY + datetime.timedelta(days=n)


def references(response):
    return [case.reference for case in response.context["page"].object_list]


@pytest.fixture
def nanchang_cases(nanchang):
    return {
        "late_10": CaseFactory(reference="LATE-10", city=nanchang, status="in_progress", deadline=days(-10)),
        "late_2": CaseFactory(reference="LATE-02", city=nanchang, status="assigned", deadline=days(-2)),
        "soon": CaseFactory(reference="SOON", city=nanchang, status="in_progress", deadline=days(3)),
        "later": CaseFactory(reference="LATER", city=nanchang, status="in_progress", deadline=days(60)),
        "submitted_late": CaseFactory(
            reference="SUBMITTED", city=nanchang, status="pending_acceptance", deadline=days(-30)
        ),
        "closed": CaseFactory(reference="CLOSED", city=nanchang, status="closed", deadline=days(-90)),
    }


def test_an_officers_list_puts_overdue_cases_first_most_overdue_first(client, nanchang_officer, nanchang_cases):
    client.force_login(nanchang_officer)
    order = references(client.get("/cases/"))
    assert order[:2] == ["LATE-10", "LATE-02"]
    assert set(order[2:]) == {"SOON", "LATER", "SUBMITTED", "CLOSED"}


def test_the_list_marks_overdue_and_due_soon_deadlines(client, nanchang_officer, nanchang_cases):
    client.force_login(nanchang_officer)
    page = client.get("/cases/").content.decode()
    assert page.count('class="mark overdue"') == 2
    assert page.count('class="mark due-soon"') == 1


def test_filters_narrow_the_list_and_the_count_says_how_many(client, supervisor, nanchang_cases, jiujiang):
    PetitionFactory(city=jiujiang, status="in_progress", title="化工园区异味（合成）")
    client.force_login(supervisor)
    assert client.get("/cases/", {"kind": "petition"}).context["page"].paginator.count == 1
    assert client.get("/cases/", {"city": "360100", "status": "in_progress"}).context["page"].paginator.count == 3
    assert client.get("/cases/", {"q": "异味"}).context["page"].paginator.count == 1
    assert set(references(client.get("/cases/", {"overdue": "true"}))) == {"LATE-10", "LATE-02"}
    assert set(references(client.get("/cases/", {"due_after": days(0), "due_before": days(7)}))) == {"SOON"}
    response = client.get("/cases/", {"status": "closed"})
    assert "1" in response.content.decode().split('class="count"', 1)[1].split("</p>", 1)[0]


def test_the_filter_form_keeps_the_chosen_values(client, supervisor, nanchang_cases):
    client.force_login(supervisor)
    page = client.get("/cases/", {"kind": "petition", "city": "360100"}).content.decode()
    assert '<option value="petition" selected>' in page
    assert '<option value="360100" selected>' in page


@pytest.mark.parametrize(
    "params, field",
    [
        ({"kind": "ship"}, "kind"),
        ({"status": "done"}, "status"),
        ({"city": "999999"}, "city"),
        ({"due_before": "yesterday"}, "due_before"),
        ({"ordering": "title; drop table"}, "ordering"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field_not_an_unfiltered_list(client, supervisor, nanchang_cases, params, field):
    client.force_login(supervisor)
    response = client.get("/cases/", params)
    assert response.status_code == 400
    assert field in response.context["filterset"].errors
    assert response.context["page"].paginator.count == 0


def test_columns_sort_by_whitelisted_keys_both_ways(client, supervisor, nanchang_cases):
    client.force_login(supervisor)
    ascending = references(client.get("/cases/", {"ordering": "reference"}))
    assert ascending == sorted(ascending)
    descending = references(client.get("/cases/", {"ordering": "-reference"}))
    assert descending == sorted(descending, reverse=True)
    page = client.get("/cases/", {"ordering": "reference"}).content.decode()
    assert 'href="?ordering=-reference"' in page  # the header now sorts the other way
    assert 'aria-sort="ascending"' in page


def test_the_list_is_paginated_and_keeps_its_filters_across_pages(client, supervisor, nanchang):
    CaseFactory.create_batch(55, city=nanchang, status="in_progress")
    client.force_login(supervisor)
    first = client.get("/cases/", {"status": "in_progress"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 55
    assert 'href="?page=2&amp;status=in_progress"' in first.content.decode()
    second = client.get("/cases/", {"status": "in_progress", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert set(references(first)).isdisjoint(references(second))


def test_the_list_costs_the_same_queries_for_a_longer_page(client, supervisor, nanchang, django_assert_max_num_queries):
    client.force_login(supervisor)
    CaseFactory.create_batch(2, city=nanchang)
    with django_assert_max_num_queries(12) as small:
        client.get("/cases/")
    CaseFactory.create_batch(40, city=nanchang)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/cases/")


def test_the_overdue_list_holds_only_overdue_cases_most_days_overdue_first(client, nanchang_officer, nanchang_cases):
    client.force_login(nanchang_officer)
    response = client.get("/overdue/")
    assert references(response) == ["LATE-10", "LATE-02"]
    page = response.content.decode()
    assert ">10</td>" in page and ">2</td>" in page  # the days-overdue column


def test_the_acceptance_queue_holds_submitted_cases_longest_waiting_first(client, supervisor, nanchang, jiujiang):
    with time_machine.travel(shanghai(2024, 2, 1, 9), tick=False):
        old = CaseFactory(reference="OLD", city=jiujiang, status="in_publicity")
    CaseFactory(reference="NEW", city=nanchang, status="pending_acceptance")
    CaseFactory(reference="OPEN", city=nanchang, status="in_progress")
    client.force_login(supervisor)
    assert references(client.get("/acceptance/")) == ["OLD", "NEW"]
    assert references(client.get("/acceptance/", {"city": "360100"})) == ["NEW"]
    assert old.reference == "OLD"


def test_the_reopened_filter_lists_cases_reopened_at_least_once(client, supervisor, nanchang):
    CaseFactory(reference="AGAIN", city=nanchang, status="in_progress", reopened_count=1)
    CaseFactory(reference="ONCE", city=nanchang, status="in_progress")
    client.force_login(supervisor)
    response = client.get("/cases/", {"reopened": "true"})
    assert references(response) == ["AGAIN"]
    assert 'name="reopened" value="true" checked' in response.content.decode()
