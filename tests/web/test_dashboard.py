"""The dashboard's figures per kind and per city, and their links."""

import datetime

import pytest
import time_machine

from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 3, 1)


@pytest.fixture
def province(nanchang, jiujiang):
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        past = TODAY - datetime.timedelta(days=5)
        CaseFactory(city=nanchang, status="closed", reopened_count=2)
        CaseFactory(city=nanchang, status="in_progress", deadline=past)  # overdue
        CaseFactory(city=nanchang, status="pending_acceptance", deadline=past)  # not the city's delay
        PetitionFactory(city=jiujiang, status="closed")
        PetitionFactory(city=jiujiang, status="assigned", deadline=past)  # overdue
        CaseFactory(city=None, kind="warning_item", status="assigned")
        yield


def card(response, kind):
    return next(c for c in response.context["cards"] if c["kind"] == kind)


def city_row(response, code):
    return next(r for r in response.context["city_rows"] if r["code"] == code)


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_each_kind_shows_total_closed_completion_and_overdue(client, supervisor, province):
    client.force_login(supervisor)
    response = client.get("/dashboard/")
    problems = card(response, "feedback_problem")
    assert (problems["stats"]["total"], problems["stats"]["closed"], problems["stats"]["overdue"]) == (3, 1, 1)
    assert problems["completion"] == 33.3
    petitions = card(response, "petition")
    assert (petitions["stats"]["total"], petitions["stats"]["closed"], petitions["completion"]) == (2, 1, 50.0)
    assert card(response, "provincial_problem")["completion"] is None  # no cases: no rate, not 0%


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_each_city_shows_total_closed_overdue_awaiting_and_reopened(client, supervisor, province):
    client.force_login(supervisor)
    response = client.get("/dashboard/")
    nanchang = city_row(response, "360100")["stats"]
    assert nanchang == {"total": 3, "closed": 1, "overdue": 1, "awaiting_acceptance": 1, "reopened": 2}
    assert city_row(response, "360400")["stats"]["overdue"] == 1
    assert city_row(response, None)["stats"]["total"] == 1  # province-level cases get their own row
    assert city_row(response, "360900")["stats"]["total"] == 0  # every city is listed


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_every_number_links_to_the_list_it_counts(client, supervisor, province):
    client.force_login(supervisor)
    response = client.get("/dashboard/")
    links = [card(response, "petition")["urls"], city_row(response, "360100")["urls"]]
    stats = [card(response, "petition")["stats"], city_row(response, "360100")["stats"]]
    for urls, figures in zip(links, stats):
        for name, url in urls.items():
            listed = client.get(url)
            assert listed.status_code == 200, url
            if name != "reopened":  # reopenings are counted per reopening, the list per case
                assert listed.context["page"].paginator.count == figures[name], url
            assert f'href="{url.replace("&", "&amp;")}"' in response.content.decode()


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_the_chart_draws_one_bar_per_city(client, supervisor, province):
    client.force_login(supervisor)
    page = client.get("/dashboard/").content.decode()
    assert page.count('class="bar light-') == 11
    assert "<svg" in page and "http://" not in page.split("<svg", 1)[1].split(">", 1)[1].split("</svg>")[0]


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_an_officer_sees_only_their_own_citys_figures(client, nanchang_officer, province):
    client.force_login(nanchang_officer)
    response = client.get("/dashboard/")
    assert [row["code"] for row in response.context["city_rows"]] == ["360100"]
    assert card(response, "petition")["stats"]["total"] == 0


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_the_dashboard_costs_the_same_queries_however_many_cases(client, supervisor, province, nanchang, django_assert_max_num_queries):
    client.force_login(supervisor)
    # 8 for the page, 1 for the header's unread-notification count.
    with django_assert_max_num_queries(8 + 1) as small:
        client.get("/dashboard/")
    CaseFactory.create_batch(30, city=nanchang)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/dashboard/")


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_the_ranking_shows_the_order_the_gap_to_the_leader_and_a_scale_near_the_data(client, supervisor, province):
    client.force_login(supervisor)
    response = client.get("/dashboard/")
    jiujiang, nanchang = city_row(response, "360400")["ranking"], city_row(response, "360100")["ranking"]
    assert (jiujiang.completion_rank, nanchang.completion_rank) == (1, 2)  # 50% against 33.33%
    assert str(nanchang.gap_to_leader) == "16.67"
    chart = response.context["chart"]
    assert [item["bar"].name for item in chart["bars"][:2]] == ["九江市", "南昌市"]
    assert chart["start"] == 31  # not 0: a little below the lowest city
    assert "16.67" in response.content.decode()


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_a_supervisor_is_led_to_the_completion_per_campaign_and_batch(client, supervisor, nanchang_officer, province):
    client.force_login(supervisor)
    assert 'href="/reports/progress/#section-1"' in client.get("/dashboard/").content.decode()
    client.force_login(nanchang_officer)
    assert "/reports/progress/" not in client.get("/dashboard/").content.decode()


@time_machine.travel(shanghai(2024, 3, 1, 10), tick=False)
def test_a_city_opens_its_counties_only_for_those_who_may_see_the_whole_city(client, jiujiang, province):
    """A city bureau's row of its city opens the city's counties; a county
    bureau sees the same row without a link it would be refused (404)."""
    from tests.factories import UserFactory

    city = UserFactory(username="jj_city", role="officer", division_id="360400", city=None)
    county = UserFactory(username="jj_xunyang", role="officer", division_id="360403", city=None)

    client.force_login(city)
    drill = city_row(client.get("/dashboard/"), "360400")["drill_url"]
    assert drill == "/dashboard/?division=360400"
    assert client.get(drill).status_code == 200

    client.force_login(county)
    assert city_row(client.get("/dashboard/"), "360400")["drill_url"] is None
    assert client.get("/dashboard/?division=360400").status_code == 404
