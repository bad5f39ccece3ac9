"""A misspelt or unknown query parameter is a 400 naming it and listing
the accepted ones, on every list, fast path or not; a date or time the
filters cannot use is a 400 naming the parameter, never a 500."""

import datetime

import pytest
import yaml

from tests.factories import CaseFactory

from ..conftest import token_client


@pytest.fixture
def client(supervisor):
    return token_client(supervisor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "stauts=closed",  # alone
        "kind=petition&stauts=closed",  # beside a filter the compiled fast path serves
        "city=360100&overdue=true&page=2",  # a page number instead of a cursor
        "status=closed&Status=closed",
    ],
)
def test_an_unknown_parameter_on_the_case_list_is_400_naming_it(client, nanchang_case, query):
    response = client.get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter"
    unknown = body["field"]
    assert unknown not in {"kind", "city", "overdue", "status"}
    assert f"“{unknown}”" in body["detail"]
    for accepted in ("status", "kind", "city", "cursor", "page_size", "ordering", "updated_since"):
        assert accepted in body["detail"]


@pytest.mark.django_db
def test_the_same_lists_answer_with_only_known_parameters(client, nanchang_case):
    for query in ("kind=feedback_problem", "city=360100&overdue=false", "status=in_progress&ordering=-id", "format=json&page_size=5"):
        response = client.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200, (query, response.content)
    assert [row["id"] for row in client.get("/api/v1/cases/?city=360100").json()["results"]] == [nanchang_case.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("/api/v1/overdue/", "ordering=-id", "ordering"),  # the overdue list has its own order
        ("/api/v1/overdue/", "citty=360100", "citty"),
        ("/api/v1/changes/", "curser=abc", "curser"),
        ("/api/v1/cities/", "q=nan", "q"),
        ("/api/v1/stats/", "city=360100", "city"),
    ],
)
def test_every_list_refuses_unknown_parameters(client, path, query, named):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == named


@pytest.mark.django_db
def test_every_documented_parameter_is_accepted_and_no_other(client):
    """The schema and the check agree: each GET's documented query
    parameters are exactly the ones it takes."""
    from api.v1.urls import urlpatterns

    schema = yaml.safe_load(client.get("/api/schema/").content)
    views = {f"/api/v1/{pattern.pattern}".replace("<int:pk>", "{id}"): pattern.callback.view_class for pattern in urlpatterns}
    checked = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        documented = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
        accepted = {p.name for p in views[path].query_parameters}
        assert documented == accepted, path
        checked += 1
    assert checked >= 8


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/overdue/"])
@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00%2B25:00"],
)
def test_a_timestamp_the_filters_cannot_use_is_400_naming_it(client, path, value):
    response = client.get(f"{path}?updated_since={value}")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "updated_since"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/overdue/"])
def test_an_offset_beyond_what_postgresql_takes_still_filters(client, path, nanchang):
    """-20:54 is a valid ISO 8601 offset but PostgreSQL refuses offsets past
    ±15:59: the filter compares in UTC, so it answers (the fuzzer's 500)."""
    CaseFactory(city=nanchang, status="in_progress", deadline=datetime.date(2020, 1, 1))
    response = client.get(f"{path}?updated_since=3183-05-24T15:46:06.432486-20:54")
    assert response.status_code == 200 and response.json()["results"] == []
    response = client.get(f"{path}?updated_since=1999-05-24T15:46:06-20:54")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["due_before=2024-02-30", "due_after=10000-01-01", "due_before=0000-01-01"])
def test_a_date_the_filters_cannot_use_is_400_naming_it(client, query):
    response = client.get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == query.split("=")[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("/api/v1/changes/", "cursor=&page_size=&page_size=", "page_size"),
        ("/api/v1/cases/", "city=360100&city=360400", "city"),
        ("/api/v1/notifications/", "page_size=5&page_size=6", "page_size"),
    ],
)
def test_a_parameter_given_twice_is_400_naming_it(client, nanchang_case, path, query, named):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == named
