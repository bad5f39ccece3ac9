"""On the demo data the API's figures are the seed article's, and the
overdue list is ordered by days overdue."""

import datetime

import pytest
import time_machine

from accounts.models import User
from cases.statistics import compact_tallies
from tests.conftest import demo_loaded, shanghai

TODAY = datetime.date(2024, 1, 15)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_loaded(django_db_blocker, TODAY):
        yield


@pytest.fixture
def pinned():
    with time_machine.travel(shanghai(2024, 1, 15, 10, 0), tick=False):
        yield


@pytest.mark.django_db
def test_stats_per_kind_are_the_seed_figures(api, demo, pinned):
    body = api(User.objects.get(username="supervisor")).get("/api/v1/stats/").json()
    by_kind = {row["kind"]: (row["total"], row["closed"]) for row in body["by_kind"]}
    assert by_kind["feedback_problem"] == (49, 36)
    assert by_kind["petition"] == (3435, 3419)
    assert by_kind["warning_item"] == (72, 67)
    assert sum(row["total"] for row in body["by_city"]) == sum(row["total"] for row in body["by_kind"])


@pytest.mark.django_db
def test_an_officer_sees_only_the_own_citys_figures(api, demo, pinned):
    body = api(User.objects.get(username="nanchang")).get("/api/v1/stats/").json()
    assert [row["city"] for row in body["by_city"]] == ["360100"]
    assert sum(row["total"] for row in body["by_kind"]) == body["by_city"][0]["total"]


@pytest.mark.django_db
def test_the_overdue_list_has_the_most_days_overdue_first(api, demo, pinned):
    client = api(User.objects.get(username="supervisor"))
    days, url = [], "/api/v1/overdue/?page_size=7"
    while url:
        body = client.get(url).json()
        days += [case["days_overdue"] for case in body["results"]]
        assert all(case["is_overdue"] for case in body["results"])
        url = body["next"]
    stats = client.get("/api/v1/stats/").json()
    assert days == sorted(days, reverse=True)
    assert len(days) == sum(row["overdue"] for row in stats["by_kind"]) > 0


@pytest.mark.django_db
def test_stats_take_three_small_queries(api, demo, pinned, django_assert_max_num_queries):
    client = api(User.objects.get(username="supervisor"))
    compact_tallies()  # the seed's writes left many delta rows; beat folds them
    with django_assert_max_num_queries(3):  # the kept counts, the overdue count, the city names
        assert client.get("/api/v1/stats/").status_code == 200
