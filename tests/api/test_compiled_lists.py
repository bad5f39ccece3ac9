"""The case list's compiled queries: compiled once per shape, then run with
each request's values, they answer exactly what the ORM's query answers,
and one caller's values never leak into another's request."""

import datetime
import logging

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.v1.compiled import Placeholders, QueryCache, list_queries
from cases.models import Case, Unit
from tests.conftest import shanghai, token_client
from tests.factories import CaseFactory, PetitionFactory, UserFactory

URL = "/api/v1/cases/"
NOW = shanghai(2024, 3, 10, 9, 0)


@pytest.fixture(autouse=True)
def fresh_cache():
    list_queries().clear()
    yield
    list_queries().clear()


@pytest.fixture
def cases(nanchang, jiujiang):
    with time_machine.travel(NOW, tick=False):
        for day in (1, 2, 3):
            CaseFactory(city=nanchang, status="assigned", deadline=datetime.date(2024, 3, day))
            CaseFactory(city=jiujiang, status="in_progress", deadline=datetime.date(2024, 3, day))
            PetitionFactory(city=nanchang, status="assigned", deadline=datetime.date(2024, 3, day))
        CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2024, 4, 1))
        CaseFactory(city=jiujiang, status="closed", deadline=datetime.date(2024, 2, 1))
        CaseFactory(city=None, status="assigned", deadline=datetime.date(2024, 1, 1))
        CaseFactory(city=None, status="closed", deadline=datetime.date(2024, 1, 1))
        # Counties of Jiujiang: 浔阳区 with a unit's case, 濂溪区.
        housing = Unit.objects.create(name="九江市住房和城乡建设局", division_id="360400")
        CaseFactory(division_id="360403", status="assigned", deadline=datetime.date(2024, 3, 1), lead_unit=housing)
        CaseFactory(division_id="360403", status="in_progress", deadline=datetime.date(2024, 3, 20))
        CaseFactory(division_id="360402", status="assigned", deadline=datetime.date(2024, 3, 2)).cooperating_units.add(
            housing
        )
        yield


@pytest.fixture
def county_officer(cases):
    return UserFactory(username="jiujiang-xunyang", division_id="360403", city=None)


@pytest.fixture
def unit_officer(cases):
    return UserFactory(username="jj-housing", division_id="360400", unit=Unit.objects.get(), city=None)


def every_page(client, query: str) -> list[dict]:
    """All the rows, following ``next`` from the first page."""
    rows, url = [], f"{URL}?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


QUERIES = [
    "",
    "city=360100",
    "city=360400&overdue=true",
    "city=province",
    "city=province&overdue=false",
    "kind=petition&overdue=true",
    "overdue=true&kind=feedback_problem&city=360100",
    "overdue=false",
    "division=360400",
    "division=360403&overdue=true",
    "kind=feedback_problem&division=360000",
]


@pytest.mark.parametrize(
    "actor",
    ["supervisor", "nanchang_officer", "jiujiang_officer", "county_officer", "unit_officer", "province_client", "write_client"],
)
def test_the_compiled_list_is_the_filtersets_list(request, cases, actor):
    """``ordering=id`` is the default ordering but sends the request through
    the FilterSet and the ORM; both paths must give the same pages, and the
    first really is compiled (not quietly handed back to the ORM)."""
    client = token_client(request.getfixturevalue(actor))
    for query in QUERIES:
        for size in (2, 50):
            with time_machine.travel(NOW, tick=False):
                compiled = every_page(client, f"{query}&page_size={size}")
                again = every_page(client, f"{query}&page_size={size}")  # now from the cache
                through_orm = every_page(client, f"{query}&page_size={size}&ordering=id")
            assert compiled == again == through_orm, (query, size)
            ids = [case["id"] for case in compiled]
            assert ids == sorted(set(ids)), (query, size)
    assert len(list_queries()._compiled) >= len(QUERIES)
    assert None not in list_queries()._compiled.values()


def test_a_shape_compiled_for_one_city_serves_another_only_its_own(cases, nanchang_officer, jiujiang_officer):
    with time_machine.travel(NOW, tick=False):
        nanchang = token_client(nanchang_officer).get(f"{URL}?overdue=true").json()["results"]
        jiujiang = token_client(jiujiang_officer).get(f"{URL}?overdue=true").json()["results"]
        nanchang_again = token_client(nanchang_officer).get(f"{URL}?overdue=true").json()["results"]
    assert {case["city"] for case in nanchang} == {"360100"}
    assert {case["city"] for case in jiujiang} == {"360400"}
    assert len(nanchang) == 6 and len(jiujiang) == 5  # the city's 3 and its counties' 2
    assert nanchang_again == nanchang


def test_an_officer_asking_for_another_city_gets_nothing_from_the_cache_either(cases, nanchang_officer, jiujiang_officer):
    with time_machine.travel(NOW, tick=False):
        own = token_client(jiujiang_officer).get(f"{URL}?city=360400").json()["results"]
        other = token_client(nanchang_officer).get(f"{URL}?city=360400").json()["results"]
    assert len(own) == 7  # the city's 4 and its counties' 3
    assert other == []


def test_a_boundary_reading_more_of_the_caller_than_the_shape_is_never_shared(
    cases, nanchang, nanchang_officer, monkeypatch, caplog
):
    """Should for_user one day read a column the shape does not name (here
    the username), a query compiled for one caller must not serve another:
    the shape stays on the ORM and each sees their own cases."""
    from cases.querysets import CaseQuerySet

    second = UserFactory(username="nc_officer_2", role="officer", city=nanchang)
    for user in (nanchang_officer, second):
        CaseFactory(city=nanchang, title=f"{user.username} 的案件")
    monkeypatch.setattr(
        CaseQuerySet, "for_user", lambda self, user: self.filter(city_id=user.city_id, title=f"{user.username} 的案件")
    )

    with caplog.at_level(logging.WARNING, logger="api.v1.compiled"):
        first = token_client(nanchang_officer).get(URL).json()["results"]
        other = token_client(second).get(URL).json()["results"]
    assert [case["title"] for case in first] == ["nc_officer 的案件"]
    assert [case["title"] for case in other] == ["nc_officer_2 的案件"]
    assert "not compiled" in caplog.text


def test_the_overdue_list_moves_with_the_date(cases, nanchang_officer):
    client = token_client(nanchang_officer)
    with time_machine.travel(shanghai(2024, 3, 2, 9, 0), tick=False):
        before = client.get(f"{URL}?overdue=true").json()["results"]
    with time_machine.travel(shanghai(2024, 3, 4, 9, 0), tick=False):
        after = client.get(f"{URL}?overdue=true").json()["results"]
    assert {case["deadline"] for case in before} == {"2024-03-01"}
    assert {case["deadline"] for case in after} == {"2024-03-01", "2024-03-02", "2024-03-03"}


def test_a_compiled_list_is_one_query_after_the_token(cases, nanchang_officer):
    client = token_client(nanchang_officer)
    client.get(f"{URL}?city=360100&overdue=true")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?city=360100&overdue=true&page_size=3")
        client.get(response.json()["next"])
    assert len(queries.captured_queries) == 4  # token + page, twice
    assert "cases_case" in queries.captured_queries[1]["sql"]


def test_the_new_case_shows_in_a_cached_shape(cases, nanchang_officer, nanchang):
    client = token_client(nanchang_officer)
    with time_machine.travel(NOW, tick=False):
        first = client.get(URL).json()["results"]
        case = CaseFactory(city=nanchang, status="assigned", deadline=datetime.date(2024, 3, 5))
        second = client.get(URL).json()["results"]
    assert [c["id"] for c in second] == [c["id"] for c in first] + [case.pk]


# --- the cache itself ------------------------------------------------------


def test_a_query_whose_sql_holds_a_value_is_not_compiled_and_still_answers(db, cases, caplog):
    """A build that writes a value into the SQL text (here through extra())
    cannot be reused for other values: the check at compile time refuses it
    and every request of that shape goes through the ORM."""
    cache = QueryCache()

    def build(values):
        return Case.objects.extra(where=[f"id >= {int(values['low'])}"]).order_by("id").values("id")

    lowest = Case.objects.order_by("id").values_list("id", flat=True)
    with caplog.at_level(logging.WARNING, logger="api.v1.compiled"):
        first = cache.rows("shape", {"low": lowest[3]}, build, lambda p: {"low": p.integer("low")})
        second = cache.rows("shape", {"low": lowest[5]}, build, lambda p: {"low": p.integer("low")})
    assert [row["id"] for row in first] == list(lowest[3:])
    assert [row["id"] for row in second] == list(lowest[5:])
    assert "not compiled" in caplog.text


def test_a_compiled_query_runs_with_each_calls_values(db, cases):
    cache = QueryCache()

    def build(values):
        return Case.objects.filter(city_id=values["city"], id__gte=values["low"]).order_by("id").values("id", "deadline")

    def placeholders(p: Placeholders):
        return {"city": p.text("city"), "low": p.integer("low")}

    ids = {city: list(Case.objects.filter(city_id=city).order_by("id").values_list("id", flat=True)) for city in ("360100", "360400")}
    nanchang = cache.rows("shape", {"city": "360100", "low": 0}, build, placeholders)
    jiujiang = cache.rows("shape", {"city": "360400", "low": ids["360400"][1]}, build, placeholders)
    assert [row["id"] for row in nanchang] == ids["360100"]
    assert [row["id"] for row in jiujiang] == ids["360400"][1:]
    assert all(isinstance(row["deadline"], datetime.date) for row in nanchang + jiujiang)  # converted on SQLite too


def test_a_query_that_is_none_needs_no_sql(db, cases, django_assert_num_queries):
    cache = QueryCache()
    with django_assert_num_queries(0):
        assert cache.rows("shape", {}, lambda values: Case.objects.none().values("id"), lambda p: {}) == []
        assert cache.rows("shape", {}, lambda values: Case.objects.none().values("id"), lambda p: {}) == []


def test_the_cache_keeps_the_most_recently_used_shapes(db):
    cache = QueryCache(size=2)

    def build(values):
        return Case.objects.filter(id__gte=values["low"]).values("id")

    def placeholders(p):
        return {"low": p.integer("low")}

    for shape in ("a", "b", "a", "c"):
        cache.rows(shape, {"low": 1}, build, placeholders)
    assert list(cache._compiled) == ["a", "c"]


def test_a_county_and_a_unit_share_no_compiled_answer_with_their_city(cases, jiujiang_officer, county_officer, unit_officer):
    with time_machine.travel(NOW, tick=False):
        city = token_client(jiujiang_officer).get(f"{URL}?overdue=true").json()["results"]
        county = token_client(county_officer).get(f"{URL}?overdue=true").json()["results"]
        unit = token_client(unit_officer).get(f"{URL}?overdue=true").json()["results"]
        city_again = token_client(jiujiang_officer).get(f"{URL}?overdue=true").json()["results"]
    assert {case["division"] for case in city} == {"360400", "360403", "360402"} and city_again == city
    assert [case["division"] for case in county] == ["360403"]
    assert sorted(case["division"] for case in unit) == ["360402", "360403"]
    assert None not in list_queries()._compiled.values()


def test_a_signed_in_browser_reads_the_compiled_list_too(cases, county_officer):
    """The browsable API and the site's own scripts call the list with the
    session's lazily loaded user, not a token's: the compiled path must take
    that caller as well and give the same rows."""
    from django.test import Client

    browser = Client()
    browser.force_login(county_officer)
    with time_machine.travel(NOW, tick=False):
        by_session = every_page(browser, "overdue=true&page_size=2")
        by_token = every_page(token_client(county_officer), "overdue=true&page_size=2")
    assert by_session == by_token
    assert [case["division"] for case in by_session] == ["360403"]
