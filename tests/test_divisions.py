"""The administrative tree: Jiangxi as it is today, loaded by the data
migration, and the subtree as a range of codes."""

import collections
import csv

import pytest
from django.core.exceptions import ValidationError

from cases.divisions import DATA, NameIndex, in_subtree, subtree_bounds
from cases.models import Division


@pytest.mark.django_db
def test_jiangxi_has_its_11_cities_and_100_county_level_divisions():
    jiangxi = Division.objects.filter(code__startswith="36")
    by_level = collections.Counter(jiangxi.values_list("level", flat=True))
    assert by_level == {"province": 1, "city": 11, "county": 100}
    counties = collections.Counter(jiangxi.filter(level="county").values_list("kind", flat=True))
    assert counties == {"district": 27, "county_city": 12, "county": 61}


@pytest.mark.django_db
def test_the_tree_is_todays_hongutan_is_there_wanli_is_not_xunyang_is_in_jiujiang():
    assert Division.objects.get(code="360113").name == "红谷滩区"
    assert not Division.objects.filter(name="湾里区").exists()
    assert not Division.objects.filter(code="360105").exists()
    xunyang = Division.objects.get(code="360403")
    assert (xunyang.name, xunyang.parent_id, xunyang.parent.name) == ("浔阳区", "360400", "九江市")
    assert Division.objects.get(code="360000").parent is None


def test_the_reference_file_holds_every_county_level_division_of_the_mainland_under_a_parent():
    with DATA.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    codes = {row["code"] for row in rows}
    assert all(row["parent"] in codes for row in rows if row["level"] != "province")
    levels = collections.Counter(row["level"] for row in rows)
    assert levels["province"] == 31 and levels["county"] > 2800
    # Each child's code starts with its parent's digits: the subtree is a range.
    assert all(in_subtree(row["code"], row["parent"]) for row in rows if row["parent"])


def test_a_subtree_is_a_range_of_codes():
    assert subtree_bounds("360000") == ("360000", "369999")
    assert subtree_bounds("360400") == ("360400", "360499")
    assert subtree_bounds("360403") == ("360403", "360403")
    assert in_subtree("360403", "360400") and in_subtree("360403", "360000")
    assert not in_subtree("360403", "360100") and not in_subtree("360400", "360403")


@pytest.mark.django_db
def test_a_county_is_found_with_or_without_its_city_and_suffix():
    index = NameIndex(Division.objects.values_list("code", "name", "parent_id"))
    for name in ("浔阳区", "九江市浔阳区", "九江浔阳区", "浔阳"):
        assert index.find(name) == ["360403"], name
    assert index.find("九江市") == ["360400"]
    assert index.find("湾里区") == []


@pytest.mark.django_db
def test_a_division_whose_code_is_outside_its_parent_is_refused():
    division = Division(code="360501", name="错挂区", level="county", kind="district", parent_id="360400")
    with pytest.raises(ValidationError) as error:
        division.full_clean()
    assert "parent" in error.value.message_dict


@pytest.mark.django_db
def test_another_province_is_loaded_on_demand_with_its_cities():
    import io

    from django.core.management import call_command

    from cases.models import City

    call_command("load_divisions", "--province", "42", stdout=io.StringIO())
    assert Division.objects.get(code="429004").parent_id == "429000"  # 仙桃市, directly under the province
    assert City.objects.filter(code="420100").exists()
    assert Division.objects.filter(code__startswith="42", level="county").count() > 100


@pytest.mark.django_db
def test_the_whole_country_loads_though_some_city_names_repeat():
    import io

    from django.core.management import call_command

    from cases.models import City

    call_command("load_divisions", "--all", stdout=io.StringIO())
    assert Division.objects.filter(level="county").count() > 2800
    assert City.objects.count() == Division.objects.filter(level="city").count()
    assert City.objects.get(code="500200").name == "重庆市（500200）"
