"""The one boundary by subtree: a county bureau sees its county, a city
bureau its counties too, a unit account the cases its unit works on inside
its division; everything else is a 404."""

import pytest
from django.core.exceptions import ValidationError

from cases.errors import CaseNotVisible
from cases.models import Case, Unit
from cases.workflow import ensure_can_see
from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def housing(db):
    return Unit.objects.create(name="九江市住房和城乡建设局", division_id="360400", kind="bureau")


@pytest.fixture
def xunyang_government(db):
    return Unit.objects.create(name="九江市浔阳区人民政府", division_id="360403", kind="government")


@pytest.fixture
def cases(jiujiang, nanchang, housing, xunyang_government):
    xunyang = CaseFactory(division_id="360403", reference="XY", lead_unit=xunyang_government)
    lianxi = CaseFactory(division_id="360402", reference="LX")
    city = CaseFactory(division_id="360400", reference="JJ", lead_unit=housing)
    cooperated = CaseFactory(division_id="360402", reference="LX-COOP")
    cooperated.cooperating_units.add(housing)
    nanchang_case = CaseFactory(division_id="360112", reference="NC")
    province = CaseFactory(division_id="360000", reference="SJ")
    return {c.reference: c for c in (xunyang, lianxi, city, cooperated, nanchang_case, province)}


def visible(user):
    return set(Case.objects.for_user(user).values_list("reference", flat=True))


def test_a_county_officer_sees_only_its_county(cases):
    officer = UserFactory(username="jiujiang-xunyang", division_id="360403", city=None)
    assert officer.city_id == "360400"
    assert visible(officer) == {"XY"}


def test_a_city_officer_sees_its_own_and_its_counties_cases(cases, jiujiang_officer):
    assert visible(jiujiang_officer) == {"XY", "LX", "JJ", "LX-COOP"}


def test_the_supervisor_sees_the_province(cases, supervisor):
    assert visible(supervisor) == set(cases)


def test_a_unit_account_sees_what_its_unit_leads_or_cooperates_on(cases, housing):
    account = UserFactory(username="jj-housing", division_id="360400", unit=housing, city=None)
    assert visible(account) == {"JJ", "LX-COOP"}


def test_a_unit_account_sees_nothing_of_its_unit_outside_its_division(cases, xunyang_government, housing):
    # Bound to Xunyang with the Xunyang government: the city's cases its
    # unit does not work on stay out, and so does Lianxi's.
    account = UserFactory(username="xy-gov", division_id="360403", unit=xunyang_government, city=None)
    assert visible(account) == {"XY"}


def test_a_loaded_case_is_judged_the_same_way(cases, housing):
    account = UserFactory(username="jj-housing", division_id="360400", unit=housing, city=None)
    for reference, case in cases.items():
        inside = reference in visible(account)
        if inside:
            ensure_can_see(case, account)
        else:
            with pytest.raises(CaseNotVisible):
                ensure_can_see(case, account)


def test_an_account_bound_to_a_unit_outside_its_division_is_refused(cases, housing):
    with pytest.raises(ValidationError) as error:
        UserFactory(username="wrong", division_id="360403", unit=housing, city=None)
    assert "unit" in error.value.message_dict


def test_a_city_is_derived_from_the_division(cases):
    case = cases["XY"]
    assert case.city_id == "360400"
    case.division_id = "360112"
    case.save()
    assert Case.objects.get(pk=case.pk).city_id == "360100"
