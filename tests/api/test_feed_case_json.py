"""On PostgreSQL the change feed's case objects are written by the
database (api/v1/case_json.py): each must be, field for field and
character for character, the object the detail endpoint gives."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from cases.models import Case, Unit
from tests.api.test_change_feed import follow
from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def varied_cases(nanchang):
    """Every kind of value: nulls, decimals, JSON lists, timestamps with and
    without a fraction of a second (and one whose fraction ends in zero),
    a lead unit and cooperating units (names joined in id order)."""
    environment, water, government = (
        Unit.objects.create(name=name, division_id="360100", kind=kind)
        for name, kind in (("南昌市生态环境局", "bureau"), ("南昌市水务局", "bureau"), ("南昌市人民政府", "government"))
    )
    closed = CaseFactory(
        city=nanchang, status="closed", closed_at=shanghai(2024, 3, 1, 9, 30, 0, 123450), lead_unit=environment
    )
    closed.cooperating_units.add(government, water)
    petition = PetitionFactory(
        city=nanchang,
        status="in_progress",
        pollution_types=["air", "water"],
        fines_yuan=Decimal("12500.50"),
        deadline=datetime.date(2024, 3, 1),
        is_key_case=True,
        district="合成区",
        title='引号 "quoted" 与反斜杠 \\ 和换行\n（合成）',
    )
    warning = CaseFactory(
        city=None, kind="warning_item", film_year=2021, found_on=datetime.date(2021, 5, 6), deadline_type="long_term", deadline=None
    )
    Case.objects.filter(pk=warning.pk).update(created_at=shanghai(2024, 1, 2, 3, 4, 5))
    return [closed, petition, warning]


def test_each_feed_case_is_the_detail_endpoints_case(api, supervisor, varied_cases):
    client = api(supervisor)
    with time_machine.travel(shanghai(2024, 3, 15, 10, 0), tick=False):
        items, _cursor = follow(client, expect=len(varied_cases))
        for item in items:
            detail = client.get(f"/api/v1/cases/{item['id']}/")
            assert item["case"] == detail.json()
    assert {item["id"] for item in items} == {case.pk for case in varied_cases}
    petition = next(item["case"] for item in items if item["case"]["kind"] == "petition")
    assert petition["days_overdue"] == 14 and petition["is_overdue"] is True
    assert petition["fines_yuan"] == "12500.50"
    closed = next(item["case"] for item in items if item["case"]["status"] == "closed")
    assert closed["lead_unit"] == "南昌市生态环境局"
    assert closed["cooperating_units"] == "南昌市水务局、南昌市人民政府"
    assert len(closed["cooperating_unit_ids"]) == 2
