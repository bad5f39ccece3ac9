"""Cells as people write them in the ledgers, read into case values."""

import datetime
import decimal

import pytest

from imports.parsing import values as v

CITIES = {"南昌市": "360100", "九江市": "360400", "赣州市": "360700"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2023年12月底前", ("dated", datetime.date(2023, 12, 31))),
        ("2024年6月底前", ("dated", datetime.date(2024, 6, 30))),
        ("2024年2月底前", ("dated", datetime.date(2024, 2, 29))),
        ("2023年底前", ("dated", datetime.date(2023, 12, 31))),
        ("立行立改", ("immediate", None)),
        ("长期坚持", ("long_term", None)),
        ("立行立改并长期坚持", ("long_term", None)),
        ("立行立改（2021年5月15日前）", ("immediate", datetime.date(2021, 5, 15))),
        ("2023-12-31", ("dated", datetime.date(2023, 12, 31))),
        ("2023/1/5", ("dated", datetime.date(2023, 1, 5))),
        ("2023.06.30", ("dated", datetime.date(2023, 6, 30))),
        ("2023年6月30日", ("dated", datetime.date(2023, 6, 30))),
        ("20231231", ("dated", datetime.date(2023, 12, 31))),
        ("２０２３年１２月底前", ("dated", datetime.date(2023, 12, 31))),
        ("2023年底前完成主体工程，2024年6月底前全面完成", ("dated", datetime.date(2024, 6, 30))),
        (datetime.datetime(2024, 3, 31, 0, 0), ("dated", datetime.date(2024, 3, 31))),
    ],
)
def test_deadlines_are_read_as_people_write_them(written, expected):
    assert v.parse_deadline(written) == expected


@pytest.mark.parametrize("written", ["尽快", "2023年13月底前", "2023-02-30", ""])
def test_a_deadline_that_is_no_deadline_is_refused_with_the_forms_that_work(written):
    with pytest.raises(ValueError) as error:
        v.parse_deadline(written)
    assert str(error.value)


def test_every_deadline_written_by_the_export_reads_back_the_same():
    for deadline_type, deadline in [
        ("dated", datetime.date(2024, 6, 30)),
        ("immediate", None),
        ("immediate", datetime.date(2021, 5, 15)),
        ("long_term", None),
    ]:
        assert v.parse_deadline(v.format_deadline(deadline_type, deadline)) == (deadline_type, deadline)


@pytest.mark.parametrize(
    ("written", "city", "district"),
    [
        ("南昌市新建区", "360100", "南昌市新建区"),
        ("南昌市", "360100", ""),
        ("南昌", "360100", ""),
        ("南昌县", "360100", "南昌县"),
        ("江西省九江市濂溪区", "360400", "九江市濂溪区"),
        ("全省", None, ""),
        ("江西省", None, ""),
    ],
)
def test_a_place_maps_to_its_city_and_district(written, city, district):
    assert v.parse_region(written, CITIES) == v.Region(city, district)


COUNTIES = {"新建区": ["360112"], "新建": ["360112"], "浔阳": ["360403"], "合成区": ["360198", "360498"]}.get


@pytest.mark.parametrize(
    ("written", "city"), [("新建区", "360100"), ("新建", "360100"), ("浔阳", "360400"), ("江西省浔阳", "360400")]
)
def test_a_county_written_without_its_city_finds_its_city(written, city):
    assert v.parse_region(written, CITIES, lambda name: COUNTIES(name, [])) == v.Region(city, written.removeprefix("江西省"))


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("新建区", "does not start with a city"),  # no county names given
        ("北京市朝阳区", "does not start with a city"),
        ("南昌市、九江市", "several cities"),
    ],
)
def test_a_place_outside_the_cities_or_naming_several_is_refused(written, says):
    with pytest.raises(ValueError, match=says):
        v.parse_region(written, CITIES)


@pytest.mark.parametrize(
    ("written", "says"), [("合成区", "360198, 360498"), ("北京市朝阳区", "neither a city nor a county-level")]
)
def test_an_ambiguous_or_unknown_county_is_refused_naming_the_value(written, says):
    with pytest.raises(ValueError, match=says) as error:
        v.parse_region(written, CITIES, lambda name: COUNTIES(name, []))
    assert written in str(error.value)


@pytest.mark.parametrize(
    ("written", "types"),
    [
        ("大气、噪声", ["air", "noise"]),
        ("噪声、大气", ["air", "noise"]),
        ("水", ["water"]),
        ("土壤,生态", ["soil", "ecology"]),
        ("固废；辐射", ["solid_waste", "radiation"]),
        ("其他", ["other"]),
        ("", []),
    ],
)
def test_pollution_type_lists_map_to_the_vocabulary(written, types):
    assert v.parse_pollution_types(written) == types


def test_an_unknown_pollution_type_is_named_in_the_error():
    with pytest.raises(ValueError, match="光污染"):
        v.parse_pollution_types("大气、光污染")


@pytest.mark.parametrize(
    ("written", "veracity"),
    [("属实", "true"), ("基本属实", "mostly_true"), ("部分属实", "partly_true"), ("不属实", "false"), ("", "")],
)
def test_veracity_words_map_to_the_four_findings(written, veracity):
    assert v.parse_veracity(written) == veracity


def test_accountability_figures_are_read_from_the_published_wording():
    result = v.parse_accountability("责令整改2家，立案处罚1件，罚款5.5万元，立案侦查1件，行政拘留2人，约谈3人，问责1人")
    assert result.figures == {
        "ordered_to_rectify": 2,
        "penalty_cases": 1,
        "fines_yuan": decimal.Decimal("55000.00"),
        "criminal_cases": 1,
        "detentions": 2,
        "summons": 3,
        "people_held_accountable": 1,
    }
    assert result.unparsed == ""


def test_accountability_without_figures_is_kept_as_text():
    result = v.parse_accountability("已移交纪检监察机关处理")
    assert set(result.figures.values()) == {0}
    assert result.unparsed == "已移交纪检监察机关处理"


def test_accountability_written_by_the_export_reads_back_the_same():
    figures = v.parse_accountability("责令整改1家，罚款20000元，约谈1人").figures
    assert v.parse_accountability(v.format_accountability(figures)).figures == figures


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("已完成", "closed"),
        ("完成", "closed"),
        ("已办结", "closed"),
        ("未完成", "in_progress"),
        ("整改中", "in_progress"),
        ("待验收", "pending_acceptance"),
        ("公示中", "in_publicity"),
        ("", None),
    ],
)
def test_completion_maps_to_the_status_to_reach(written, status):
    assert v.parse_completion(written) == status


def test_an_unknown_completion_state_is_refused():
    with pytest.raises(ValueError, match="差不多"):
        v.parse_completion("差不多")
