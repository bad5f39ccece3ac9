"""The case lists' fast paths (the light token lookup, the FilterSet
shortcut for simple query strings) answer exactly what the full paths do."""

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.filters import CaseFilter, apply_simple_filters, simple_filters
from cases.models import Case
from tests.conftest import shanghai, token_client
from tests.factories import CaseFactory, PetitionFactory

LISTS = ("/api/v1/cases/", "/api/v1/overdue/")


@pytest.fixture
def cases(nanchang, jiujiang):
    with time_machine.travel(shanghai(2024, 3, 10, 9, 0), tick=False):
        CaseFactory(city=nanchang, status="assigned", deadline=datetime.date(2024, 3, 1))
        CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2024, 4, 1))
        CaseFactory(city=jiujiang, status="assigned", deadline=datetime.date(2024, 2, 1))
        CaseFactory(city=None, status="in_progress", deadline=datetime.date(2024, 1, 1))
        PetitionFactory(city=nanchang, status="assigned", deadline=datetime.date(2024, 3, 5))
        yield


@pytest.mark.parametrize(
    "query",
    [
        "",
        "city=360100",
        "city=360400&overdue=true",
        "city=province&overdue=false",
        "kind=petition&overdue=true",
        "overdue=true&kind=feedback_problem&city=360100&page_size=2",
        "foo=bar&city=360100",
    ],
)
def test_a_simple_query_string_filters_exactly_as_the_filterset(supervisor, cases, query):
    visible = Case.objects.for_user(supervisor)
    data = QueryDict(query)
    filterset = CaseFilter(data, queryset=visible)
    assert filterset.is_valid()
    with time_machine.travel(shanghai(2024, 3, 10, 9, 0), tick=False):
        filters = simple_filters(data)
        assert filters is not None
        quick = apply_simple_filters(visible, filters)
        assert str(quick.query) == str(filterset.qs.query)
        assert list(quick.order_by("id").values_list("id")) == list(filterset.qs.order_by("id").values_list("id"))


@pytest.mark.parametrize(
    "query",
    [
        "city=999999",
        "city=",
        "city= 360100",
        "kind=nonsense",
        "overdue=yes",
        "overdue=true&overdue=false",
        "status=assigned",
        "ordering=-deadline",
        "q=BN",
    ],
)
def test_anything_else_goes_through_the_filterset(supervisor, cases, query):
    assert simple_filters(QueryDict(query)) is None


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("query", ["city=999999", "overdue=yes", "kind=nonsense&city=360100"])
def test_a_bad_simple_value_is_the_filtersets_400(supervisor, cases, url, query):
    response = token_client(supervisor).get(f"{url}?{query}")
    assert response.status_code == 400
    field = query.split("=")[0]
    expected = CaseFilter(QueryDict(query), queryset=Case.objects.none()).errors
    assert response.json()["field"] == field
    assert response.json()["errors"][field] == list(expected[field])


@pytest.mark.parametrize("url", LISTS)
def test_the_token_and_its_user_are_one_query_then_the_list_one_more(nanchang_officer, cases, url):
    client = token_client(nanchang_officer)
    client.get(url)  # warm the per-process reference names
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}?city=360100&overdue=true")
    assert response.status_code == 200
    assert len(queries.captured_queries) == 2
    assert "authtoken_token" in queries.captured_queries[0]["sql"]
    assert "password" not in queries.captured_queries[0]["sql"]


@pytest.mark.parametrize("url", LISTS)
def test_an_officer_token_still_sees_only_the_own_city(nanchang_officer, nanchang, cases, url):
    with time_machine.travel(shanghai(2024, 3, 10, 9, 0), tick=False):
        client = token_client(nanchang_officer)
        own = client.get(f"{url}?overdue=true").json()["results"]
        other = client.get(f"{url}?city=360400&overdue=true").json()["results"]
    assert own and {case["city"] for case in own} == {nanchang.code}
    assert other == []


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("header", ["Token not-a-token", "Token", "Token a b"])
def test_a_bad_token_is_a_401_that_names_the_scheme(db, url, header):
    response = APIClient().get(url, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", LISTS)
def test_a_deactivated_users_token_is_refused_on_the_next_list(nanchang_officer, cases, url):
    client = token_client(nanchang_officer)
    assert client.get(url).status_code == 200
    nanchang_officer.is_active = False
    nanchang_officer.save(update_fields=["is_active"])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "User inactive or deleted."


@pytest.mark.parametrize("url", LISTS)
def test_a_browser_session_still_reads_the_lists(client, nanchang_officer, cases, url):
    client.force_login(nanchang_officer)
    assert client.session[SESSION_KEY] == str(nanchang_officer.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["results"]


def test_the_light_user_is_the_user_with_the_rest_loaded_on_use(nanchang_officer):
    from api.authentication import LeanTokenAuthentication

    key = Token.objects.create(user=nanchang_officer).key
    user, token = LeanTokenAuthentication().authenticate_credentials(key)
    assert (user.pk, user.role, user.city_id, user.is_active, user.can_write) == (
        nanchang_officer.pk,
        nanchang_officer.role,
        nanchang_officer.city_id,
        True,
        nanchang_officer.can_write,
    )
    assert user.username == nanchang_officer.username
    assert (token.key, token.user) == (key, user)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("actor", ["supervisor", "province_client"])
def test_a_province_wide_token_sees_every_city(request, cases, url, actor):
    with time_machine.travel(shanghai(2024, 3, 10, 9, 0), tick=False):
        seen = token_client(request.getfixturevalue(actor)).get(f"{url}?overdue=true").json()["results"]
    assert {case["city"] for case in seen} == {"360100", "360400", None}
