"""List pages count only as far as they show (web/paging.py): exact up to
a limit, "more than N" past it, and every page still reachable with the
same rows in the same order as a full sort would give."""

import datetime

import pytest
import time_machine

from tests.conftest import shanghai
from tests.factories import CaseFactory
from web import paging
from web.views import lists

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 5 rows, counted to at least 10 rows and 1 page ahead."""
    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    monkeypatch.setattr(paging, "COUNT_AT_LEAST", 10)
    monkeypatch.setattr(paging, "PAGES_AHEAD", 1)


@pytest.fixture
def work(nanchang):
    """33 cases of every segment of the work list, and their full order."""
    overdue = [
        CaseFactory(reference=f"O-{i:02d}", city=nanchang, status="in_progress", deadline=TODAY - datetime.timedelta(days=20 - i))
        for i in range(11)
    ]
    upcoming = [
        CaseFactory(reference=f"U-{i:02d}", city=nanchang, status="assigned", deadline=TODAY + datetime.timedelta(days=i))
        for i in range(10)
    ]
    upcoming.append(CaseFactory(reference="U-LONG", city=nanchang, status="in_progress", deadline_type="long_term", deadline=None))
    handed_in = []
    for i in range(11):
        with time_machine.travel(shanghai(2024, 2, 1 + i, 10), tick=False):
            handed_in.append(CaseFactory(reference=f"H-{i:02d}", city=nanchang, status="closed", deadline=TODAY))
    handed_in.reverse()  # latest change first
    return [c.reference for c in overdue + upcoming + handed_in]


def shown(response):
    assert response.status_code == 200
    return [case.reference for case in response.context["page"].object_list]


def test_a_long_list_says_more_than_and_still_pages_in_order(client, nanchang_officer, work, small_pages):
    client.force_login(nanchang_officer)
    first = client.get("/cases/")
    assert first.context["page"].paginator.capped
    assert "More than 10 cases" in first.content.decode() or "超过 10 件" in first.content.decode()
    assert 'rel="next"' in first.content.decode()

    pages = [shown(client.get("/cases/", {"page": n})) for n in range(1, 8)]
    assert sum(pages, []) == work  # every row once, in the full order, across the segment boundaries


def test_near_the_end_the_count_is_exact(client, nanchang_officer, work, small_pages):
    client.force_login(nanchang_officer)
    response = client.get("/cases/", {"page": 6})
    paginator = response.context["page"].paginator
    assert not paginator.capped
    assert paginator.count == 33
    assert paginator.num_pages == 7


def test_a_page_past_the_end_shows_the_last_page(client, nanchang_officer, work, small_pages):
    client.force_login(nanchang_officer)
    assert shown(client.get("/cases/", {"page": 99})) == work[30:]


def test_a_short_list_keeps_its_exact_count(client, nanchang_officer, work):
    client.force_login(nanchang_officer)
    response = client.get("/cases/", {"status": "closed"})
    assert not response.context["page"].paginator.capped
    assert response.context["page"].paginator.count == 11
    assert "11 cases" in response.content.decode() or "共 11 件" in response.content.decode()


def test_latest_deadline_first_keeps_undated_cases_last_across_pages(client, nanchang_officer, work, small_pages):
    client.force_login(nanchang_officer)
    params = {"status": "assigned,in_progress", "ordering": "-deadline"}
    listed = sum((shown(client.get("/cases/", {**params, "page": n})) for n in range(1, 6)), [])
    latest_first = [f"U-{i:02d}" for i in range(9, -1, -1)] + [f"O-{i:02d}" for i in range(10, -1, -1)]
    assert listed == latest_first + ["U-LONG"]
