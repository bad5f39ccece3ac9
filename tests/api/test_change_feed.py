"""GET /api/v1/changes/: each case once at its latest change, deletions
and departures from a city's scope or a unit's cases, cursors that cannot
be forged."""

import time

import pytest
from django.core import signing
from django.db import transaction

from cases.feed import CURSOR_SALT
from cases.models import Case, Unit
from cases.services import update_case, withdraw_case
from tests.factories import CaseFactory, UserFactory

URL = "/api/v1/changes/"

# The feed withholds changes of transactions still in flight, and a test's
# own transaction is one: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def follow(client, cursor=None, page_size=None, expect=0):
    """Read the feed to its end; return the items and the last cursor.

    On PostgreSQL the feed holds back while any older transaction on the
    server is open (another test run's, say), so wait for ``expect`` items."""
    items = []
    deadline = time.monotonic() + 120
    while True:
        params = {k: v for k, v in (("cursor", cursor), ("page_size", page_size)) if v}
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        cursor = body["cursor"]
        if not body["has_more"] and (len(items) >= expect or time.monotonic() > deadline):
            return items, cursor
        if not body["has_more"]:
            time.sleep(0.05)


def test_from_the_beginning_it_gives_every_visible_case_once(api, supervisor, nanchang, jiujiang):
    cases = [CaseFactory(city=nanchang), CaseFactory(city=jiujiang), CaseFactory(city=None)]
    items, _cursor = follow(api(supervisor), page_size=2, expect=3)
    assert [item["id"] for item in items] == [case.pk for case in cases]
    assert all(item["case"]["version"] == item["version"] == 1 for item in items)


def test_a_change_moves_the_case_to_the_end_and_versions_collapse(api, supervisor, nanchang):
    first, second = CaseFactory(city=nanchang), CaseFactory(city=nanchang)
    client = api(supervisor)
    _items, cursor = follow(client, expect=2)
    first = update_case(case=first, actor=supervisor, data={"progress": "a"})
    first = update_case(case=first, actor=supervisor, data={"progress": "b"})
    items, cursor = follow(client, cursor, expect=1)
    assert [(i["id"], i["version"], i["case"]["progress"]) for i in items] == [(first.pk, 3, "b")]
    assert follow(client, cursor)[0] == []


def test_a_withdrawn_case_is_reported_deleted(api, supervisor, nanchang_case):
    client = api(supervisor)
    _items, cursor = follow(client, expect=1)
    withdraw_case(case=nanchang_case, actor=supervisor, reason="重复录入")
    [item] = follow(client, cursor, expect=1)[0]
    assert item == {"id": nanchang_case.pk, "version": 2, "deleted": True, "left_scope": False, "case": None}


def test_a_case_that_leaves_the_city_reaches_its_old_city_as_gone(api, supervisor, write_client, jiujiang_officer, nanchang_case):
    nanchang_feed, jiujiang_feed = api(write_client), api(jiujiang_officer)
    _items, nanchang_cursor = follow(nanchang_feed, expect=1)
    assert follow(jiujiang_feed)[0] == []
    update_case(case=nanchang_case, actor=supervisor, data={"city": "360400"})
    [gone] = follow(nanchang_feed, nanchang_cursor, expect=1)[0]
    assert (gone["id"], gone["version"], gone["case"], gone["left_scope"]) == (nanchang_case.pk, 2, None, True)
    [arrived] = follow(jiujiang_feed, expect=1)[0]
    assert arrived["case"]["city"] == "360400"


def test_a_city_reader_never_sees_another_citys_changes(api, nanchang_officer, jiujiang_case, nanchang_case):
    items, _cursor = follow(api(nanchang_officer), expect=1)
    assert [item["id"] for item in items] == [nanchang_case.pk]


def test_a_forged_cursor_is_400_and_one_from_another_database_is_410(api, supervisor, nanchang_case):
    client = api(supervisor)
    _items, cursor = follow(client, expect=1)
    assert client.get(URL, {"cursor": cursor[:-2] + "xx"}).status_code == 400
    assert client.get(URL, {"cursor": "not-a-cursor"}).status_code == 400
    elsewhere = signing.dumps([1, 1, "pg:other:1:2020"], salt=CURSOR_SALT, compress=False)
    response = client.get(URL, {"cursor": elsewhere})
    assert response.status_code == 410 and response.json()["code"] == "expired_cursor"


@pytest.mark.parametrize("size", [1, 200])
def test_the_query_count_does_not_grow_with_the_page(api, write_client, nanchang, size, django_assert_max_num_queries):
    CaseFactory.create_batch(4, city=nanchang)
    client = api(write_client)
    _items, cursor = follow(client, page_size=1, expect=4)
    Case.objects.update(progress="x")
    follow(client, cursor, expect=4)  # until the update is past every older transaction
    with django_assert_max_num_queries(4):
        response = client.get(URL, {"cursor": cursor, "page_size": size})
    assert len(response.json()["results"]) == min(size, 4)


def test_cases_written_by_one_transaction_page_through_without_gap_or_repeat(api, write_client, nanchang, jiujiang):
    with transaction.atomic():  # on PostgreSQL they all share one feed position
        ids = [CaseFactory(city=nanchang if n % 3 else jiujiang).pk for n in range(9)]
    nanchang_ids = [pk for n, pk in enumerate(ids) if n % 3]
    items, _cursor = follow(api(write_client), page_size=2, expect=len(nanchang_ids))
    assert [item["id"] for item in items] == nanchang_ids


@pytest.fixture
def housing_case(jiujiang):
    """A case of Jiujiang led by the city's housing bureau, with its water
    bureau cooperating, and the bureaus' accounts."""
    housing, water, ecology = (
        Unit.objects.create(name=name, division_id="360400", kind="bureau")
        for name in ("九江市住房和城乡建设局", "九江市水利局", "九江市生态环境局")
    )
    case = CaseFactory(division_id="360400", lead_unit=housing)
    case.cooperating_units.add(water)
    accounts = {
        unit: UserFactory(username=f"jj-{unit.pk}", role="officer", division_id="360400", unit=unit, city=None)
        for unit in (housing, water, ecology)
    }
    return case, (housing, water, ecology), accounts


def _as_shown(items):
    return [(item["id"], item["left_scope"], item["case"] and item["case"]["lead_unit"]) for item in items]


def test_a_case_whose_lead_unit_changes_reaches_the_old_unit_as_gone(api, supervisor, jiujiang_officer, housing_case):
    case, (housing, _water, ecology), accounts = housing_case
    housing_feed, ecology_feed, city_feed = api(accounts[housing]), api(accounts[ecology]), api(jiujiang_officer)
    _items, housing_cursor = follow(housing_feed, expect=1)
    _items, city_cursor = follow(city_feed, expect=1)
    assert follow(ecology_feed)[0] == []
    update_case(case=case, actor=supervisor, data={"lead_unit": ecology.pk})
    [gone] = follow(housing_feed, housing_cursor, expect=1)[0]
    assert (gone["id"], gone["version"], gone["case"], gone["left_scope"]) == (case.pk, 2, None, True)
    # The new lead unit's account gets the case; the city bureau, which holds
    # it still, gets the change, not a departure.
    assert _as_shown(follow(ecology_feed, expect=1)[0]) == [(case.pk, False, "九江市生态环境局")]
    assert _as_shown(follow(city_feed, city_cursor, expect=1)[0]) == [(case.pk, False, "九江市生态环境局")]


def test_a_case_whose_cooperating_unit_is_removed_reaches_that_unit_as_gone(api, supervisor, jiujiang_officer, housing_case):
    case, (housing, water, _ecology), accounts = housing_case
    water_feed, housing_feed, city_feed = api(accounts[water]), api(accounts[housing]), api(jiujiang_officer)
    cursors = [follow(feed, expect=1)[1] for feed in (water_feed, housing_feed, city_feed)]
    update_case(case=case, actor=supervisor, data={"cooperating_units": []})
    [gone] = follow(water_feed, cursors[0], expect=1)[0]
    assert (gone["id"], gone["case"], gone["left_scope"]) == (case.pk, None, True)
    for feed, cursor in zip((housing_feed, city_feed), cursors[1:], strict=True):
        [changed] = follow(feed, cursor, expect=1)[0]
        assert (changed["id"], changed["left_scope"], changed["case"]["cooperating_units"]) == (case.pk, False, "")
    # Gone once: nothing more for the unit that left.
    assert follow(water_feed, follow(water_feed, cursors[0], expect=1)[1])[0] == []


def test_a_unit_that_moves_from_lead_to_cooperating_keeps_the_case(api, supervisor, housing_case):
    case, (housing, water, _ecology), accounts = housing_case
    housing_feed = api(accounts[housing])
    _items, cursor = follow(housing_feed, expect=1)
    update_case(case=case, actor=supervisor, data={"lead_unit": water.pk, "cooperating_units": [housing.pk]})
    [item] = follow(housing_feed, cursor, expect=1)[0]
    assert (item["id"], item["left_scope"], item["case"]["lead_unit"], item["case"]["cooperating_units"]) == (
        case.pk, False, "九江市水利局", "九江市住房和城乡建设局",
    )  # fmt: skip
