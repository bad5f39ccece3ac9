"""The tree through the API: divisions and units, the division filter,
the drill-down statistics, and units refused outside a case's line."""

import pytest
import yaml

from cases.constants import DivisionLevel
from cases.models import Case, CaseScopeExit, Unit
from tests.factories import CaseFactory, UserFactory

API = "/api/v1"


@pytest.fixture
def housing(db):
    return Unit.objects.create(name="九江市住房和城乡建设局", division_id="360400", kind="bureau")


@pytest.fixture
def spread(jiujiang, nanchang):
    """Cases at every level of Jiujiang's part of the tree, and one elsewhere."""
    made = {
        "XY-1": CaseFactory(division_id="360403", reference="XY-1", status="closed", deadline=None, deadline_type="immediate"),
        "XY-2": CaseFactory(division_id="360403", reference="XY-2"),
        "LX-1": CaseFactory(division_id="360402", reference="LX-1", status="pending_acceptance"),
        "JJ-1": CaseFactory(division_id="360400", reference="JJ-1"),
        "NC-1": CaseFactory(division_id="360112", reference="NC-1"),
        "SJ-1": CaseFactory(division_id="360000", reference="SJ-1"),
    }
    return made


def test_divisions_are_listed_with_level_and_parent(api, supervisor):
    body = api(supervisor).get(f"{API}/divisions/", {"parent": "360400"}).json()
    assert len(body) == 13
    assert {"code": "360403", "name": "浔阳区", "level": "county", "kind": "district", "parent": "360400"} in body
    assert len(api(supervisor).get(f"{API}/divisions/", {"level": "city"}).json()) == 11


def test_an_empty_level_lists_every_level_and_the_schema_says_so(api, supervisor):
    client = api(supervisor)
    assert client.get(f"{API}/divisions/", {"level": ""}).json() == client.get(f"{API}/divisions/").json()
    assert client.get(f"{API}/divisions/", {"level": "town"}).json()["field"] == "level"
    schema = yaml.safe_load(client.get("/api/schema/").content)
    level = next(p for p in schema["paths"][f"{API}/divisions/"]["get"]["parameters"] if p["name"] == "level")
    assert level["schema"]["enum"] == [*DivisionLevel.values, ""]


def test_an_unknown_division_code_is_a_400_naming_the_parameter(api, supervisor):
    for url, params in ((f"{API}/divisions/", {"parent": "360105"}), (f"{API}/cases/", {"division": "999999"})):
        response = api(supervisor).get(url, params)
        assert response.status_code == 400
        assert "parent" in response.content.decode() or "division" in response.content.decode()


def test_units_are_listed_by_subtree(api, supervisor, housing):
    Unit.objects.create(name="南昌市水利局", division_id="360100", kind="bureau")
    body = api(supervisor).get(f"{API}/units/", {"division": "360403"}).json()
    assert body == []
    body = api(supervisor).get(f"{API}/units/", {"division": "360000"}).json()
    assert {u["name"] for u in body} == {"九江市住房和城乡建设局", "南昌市水利局"}


def test_the_division_filter_means_the_whole_subtree(api, supervisor, spread):
    def references(params):
        return {c["reference"] for c in api(supervisor).get(f"{API}/cases/", params).json()["results"]}

    assert references({"division": "360400"}) == {"XY-1", "XY-2", "LX-1", "JJ-1"}
    assert references({"division": "360403"}) == {"XY-1", "XY-2"}
    assert references({"division": "360400", "kind": "feedback_problem", "ordering": "-id"}) == {"XY-1", "XY-2", "LX-1", "JJ-1"}
    assert references({"city": "360400"}) == {"XY-1", "XY-2", "LX-1", "JJ-1"}


def test_each_case_carries_its_division_beside_its_city(api, supervisor, spread):
    body = api(supervisor).get(f"{API}/cases/{spread['XY-2'].pk}/").json()
    assert (body["division"], body["division_name"], body["city"], body["city_name"]) == ("360403", "浔阳区", "360400", "九江市")


def test_the_drill_down_gives_a_citys_counties_adding_up_to_the_city(api, supervisor, spread):
    body = api(supervisor).get(f"{API}/stats/", {"division": "360400"}).json()
    rows = {row["division"]: row for row in body["children"]}
    assert len([r for r in body["children"] if not r["own"]]) == 13
    assert (rows["360403"]["total"], rows["360403"]["closed"]) == (2, 1)
    assert rows["360402"]["awaiting_acceptance"] == 1
    assert rows["360400"]["own"] and rows["360400"]["total"] == 1
    for figure in ("total", "closed", "overdue", "awaiting_acceptance"):
        assert sum(row[figure] for row in body["children"]) == body["division"][figure]
    assert body["division"]["total"] == 4
    province = api(supervisor).get(f"{API}/stats/", {"division": "360000"}).json()
    assert {r["division"]: r["total"] for r in province["children"]}["360400"] == 4
    assert sum(r["total"] for r in province["children"]) == 6


def test_a_county_officer_drills_down_only_inside_its_county(api, spread):
    officer = UserFactory(username="jiujiang-xunyang", division_id="360403", city=None)
    assert api(officer).get(f"{API}/stats/", {"division": "360400"}).status_code == 400
    body = api(officer).get(f"{API}/stats/", {"division": "360403"}).json()
    assert body["division"]["total"] == 2


def test_a_unit_outside_the_cases_line_is_refused_naming_the_field(api, supervisor, spread, housing):
    nanchang_case = spread["NC-1"]
    response = api(supervisor).patch(
        f"{API}/cases/{nanchang_case.pk}/",
        {"lead_unit": housing.pk},
        format="json",
        HTTP_IF_MATCH=f'"{nanchang_case.version}"',
    )
    assert response.status_code == 400 and "lead_unit" in response.json()["errors"]
    assert Case.objects.get(pk=nanchang_case.pk).lead_unit_id is None


def test_units_are_set_by_name_and_shown_as_names(api, supervisor, spread, housing):
    case = spread["XY-2"]
    response = api(supervisor).patch(
        f"{API}/cases/{case.pk}/",
        {"lead_unit": "九江市住房和城乡建设局", "cooperating_units": ["市住房和城乡建设局"]},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["lead_unit"], body["lead_unit_id"], body["cooperating_unit_ids"]) == (housing.name, housing.pk, [housing.pk])


def test_the_bulk_upsert_takes_a_division_by_name(api, supervisor, spread):
    item = {
        "campaign": spread["JJ-1"].campaign.code,
        "reference": "NEW-1",
        "kind": "petition",
        "title": "合成",
        "deadline_type": "immediate",
        "division": "九江市浔阳区",
    }
    body = api(supervisor).post(f"{API}/cases/bulk/", {"cases": [item]}, format="json").json()
    assert body["results"][0]["outcome"] == "created", body
    assert Case.objects.get(reference="NEW-1").division_id == "360403"
    item = item | {"reference": "NEW-2", "division": "湾里区"}
    body = api(supervisor).post(f"{API}/cases/bulk/", {"cases": [item]}, format="json").json()
    assert body["results"][0]["outcome"] == "invalid" and "division" in body["results"][0]["errors"]


def test_a_petitions_district_is_found_by_name_inside_its_city_or_refused_naming_it(api, supervisor, spread):
    case = spread["NC-1"]
    response = api(supervisor).patch(
        f"{API}/cases/{case.pk}/", {"district": "湾里区"}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
    )
    assert response.status_code == 400 and response.json()["field"] == "district"
    response = api(supervisor).patch(
        f"{API}/cases/{case.pk}/", {"district": "红谷滩"}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
    )
    assert response.status_code == 200, response.content
    assert (response.json()["division"], response.json()["district"]) == ("360113", "南昌市红谷滩区")


def test_a_bulk_resend_that_drops_one_cooperating_unit_records_only_that_departure(api, supervisor, spread, housing):
    water = Unit.objects.create(name="九江市水利局", division_id="360400", kind="bureau")
    item = {
        "campaign": spread["JJ-1"].campaign.code,
        "reference": "NEW-COOP",
        "kind": "feedback_problem",
        "title": "合成",
        "deadline_type": "immediate",
        "division": "360400",
        "cooperating_units": [housing.pk, water.pk],
    }
    client = api(supervisor)
    assert client.post(f"{API}/cases/bulk/", {"cases": [item]}, format="json").json()["results"][0]["outcome"] == "created"
    body = client.post(f"{API}/cases/bulk/", {"cases": [item | {"cooperating_units": [water.pk]}]}, format="json").json()
    assert body["results"][0]["outcome"] == "updated", body
    case = Case.objects.get(reference="NEW-COOP")
    assert list(case.cooperating_units.values_list("pk", flat=True)) == [water.pk]
    assert list(CaseScopeExit.objects.filter(case=case).values_list("from_unit_id", flat=True)) == [housing.pk]
