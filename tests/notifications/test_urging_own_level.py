"""A city bureau urges its own city-level cases (催办 to the units): the
cases' lead and cooperating units answer the urging, not the bureau; one
not signed for in time goes up to the province. A county bureau or a unit
account may not urge (403), a case outside the bureau's scope is a 404,
and the provincial office still urges only the levels below it."""

import datetime

import pytest
import time_machine
from django.core import mail

from cases.models import Unit
from notifications.models import Notification, Urging, UrgingReceipt
from notifications.urgings import escalate_unreceived
from tests.conftest import shanghai, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 15)  # a Friday


@pytest.fixture(autouse=True)
def friday_ten_oclock(celery_in_process):
    with time_machine.travel(shanghai(2024, 3, 15, 10, 0), tick=False):
        yield


@pytest.fixture
def units(nanchang):
    return {
        "housing": Unit.objects.create(name="南昌市住建局（合成）", division_id="360100"),
        "water": Unit.objects.create(name="南昌市水务局（合成）", division_id="360100"),
        "transport": Unit.objects.create(name="南昌市交通局（合成）", division_id="360100"),
    }


@pytest.fixture
def unit_accounts(units):
    return {
        name: UserFactory(username=f"nc_{name}", role="officer", division_id="360100", unit=unit)
        for name, unit in units.items()
    }


@pytest.fixture
def city_level_late(nanchang, overdue_case, units):
    """A Nanchang city-level case led by the housing bureau with the water
    bureau cooperating, overdue."""
    case = overdue_case(nanchang, TODAY, days=6, lead_unit=units["housing"], title="合成：南昌市级逾期问题")
    case.cooperating_units.add(units["water"])
    return case


def urge(user, **data):
    return token_client(user).post("/api/v1/urgings/", data, format="json")


def test_a_city_bureau_urges_its_own_city_level_case_and_its_units_not_itself_get_it(django_capture_on_commit_callbacks, nanchang_officer, unit_accounts, city_level_late):
    with django_capture_on_commit_callbacks(execute=True):
        answer = urge(nanchang_officer, cases=[city_level_late.pk], note="请本周内报送市级问题进展")

    assert answer.status_code == 201
    [urging] = answer.json()
    assert (urging["division"], urging["to_units"], urging["cases"]) == ("360100", True, [city_level_late.pk])
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [unit_accounts["housing"].email, unit_accounts["water"].email]
    )
    assert "请本周内报送市级问题进展" in mail.outbox[0].body
    got = set(Notification.objects.filter(kind="urging").values_list("recipient__username", flat=True))
    assert got == {"nc_housing", "nc_water"}  # not the bureau, not the unit with no part in the case


def test_the_units_sign_for_it_and_the_bureau_reads_it_but_does_not_sign(client, django_capture_on_commit_callbacks, nanchang_officer, unit_accounts, city_level_late):
    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(nanchang_officer, cases=[city_level_late.pk], note="x").json()

    bureau = token_client(nanchang_officer)
    assert bureau.get(f"/api/v1/urgings/{urging['id']}/").status_code == 200
    assert bureau.post(f"/api/v1/urgings/{urging['id']}/receipt/").status_code == 403
    assert token_client(unit_accounts["transport"]).post(f"/api/v1/urgings/{urging['id']}/receipt/").status_code == 404
    assert not UrgingReceipt.objects.exists()

    answer = token_client(unit_accounts["water"]).post(f"/api/v1/urgings/{urging['id']}/receipt/")
    assert answer.status_code == 200 and answer.json()["receipts"][0]["account"] == "nc_water"
    client.force_login(unit_accounts["housing"])
    page = client.get(f"/notifications/urgings/{urging['id']}/").content.decode()
    assert "市生态环境局自身案件的牵头和配合单位" in page


def test_not_signed_for_in_time_it_goes_to_the_province_not_the_city_bureau(django_capture_on_commit_callbacks, supervisor, nanchang_officer, unit_accounts, city_level_late):
    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(nanchang_officer, cases=[city_level_late.pk], note="x").json()
    mail.outbox.clear()
    due = Urging.objects.get(pk=urging["id"]).receipt_due_at

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_unreceived(now=due - datetime.timedelta(minutes=1)) == []
        assert [u.pk for u in escalate_unreceived(now=due)] == [urging["id"]]
        assert escalate_unreceived(now=due + datetime.timedelta(hours=1)) == []

    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert "南昌市自身案件的责任单位" in mail.outbox[0].body
    assert set(Notification.objects.filter(kind="escalation").values_list("recipient__username", flat=True)) == {"sup"}


def test_a_city_level_case_with_no_unit_is_refused_naming_the_field(nanchang_officer, nanchang, overdue_case):
    case = overdue_case(nanchang, TODAY, days=3, reference="NC-NO-UNIT")
    answer = urge(nanchang_officer, cases=[case.pk], note="x")
    assert answer.status_code == 400 and answer.json()["field"] == "cases"
    assert "NC-NO-UNIT" in str(answer.json())
    assert not Urging.objects.exists()


def test_a_unit_account_or_a_county_bureau_may_not_urge(unit_accounts, city_level_late, jiujiang, overdue_case):
    county_case = overdue_case(jiujiang, TODAY, days=5, division_id="360403")
    county_officer = UserFactory(username="xy_officer", role="officer", division_id="360403")
    assert urge(unit_accounts["housing"], cases=[city_level_late.pk], note="x").status_code == 403
    assert urge(unit_accounts["housing"], division="360100", note="x").status_code == 403
    assert urge(county_officer, cases=[county_case.pk], note="x").status_code == 403
    assert not Urging.objects.exists()


def test_another_citys_bureau_gets_a_404_for_the_case(jiujiang_officer, city_level_late):
    assert urge(jiujiang_officer, cases=[city_level_late.pk], note="x").status_code == 404
    assert urge(jiujiang_officer, division="360100", note="x").status_code == 404
    assert not Urging.objects.exists()


def test_the_province_still_does_not_urge_its_own_province_level_cases(supervisor, overdue_case, units):
    case = overdue_case(None, TODAY, days=4, division_id="360000", lead_unit=units["housing"])
    answer = urge(supervisor, cases=[case.pk], note="x")
    assert answer.status_code == 400 and answer.json()["field"] == "cases"
    assert not Urging.objects.exists()


def test_urging_the_whole_city_urges_its_counties_and_its_own_cases_with_a_unit(django_capture_on_commit_callbacks, nanchang_officer, unit_accounts, city_level_late, nanchang, overdue_case):
    no_unit = overdue_case(nanchang, TODAY, days=2, title="合成：无责任单位")
    county = overdue_case(nanchang, TODAY, days=5, division_id="360102")
    with django_capture_on_commit_callbacks(execute=True):
        answer = urge(nanchang_officer, division="360100", note="x")

    assert answer.status_code == 201
    urged = sorted((u["division"], u["to_units"], tuple(u["cases"])) for u in answer.json())
    assert urged == [("360100", True, (city_level_late.pk,)), ("360102", False, (county.pk,))]
    assert not Urging.objects.filter(cases=no_unit).exists()


def test_the_centre_and_the_case_page_offer_the_city_its_own_cases(client, nanchang_officer, unit_accounts, city_level_late, nanchang, overdue_case):
    no_unit = overdue_case(nanchang, TODAY, days=2)
    client.force_login(nanchang_officer)
    centre = client.get("/notifications/").content.decode()
    assert 'value="360100"' in centre and 'value="360102"' in centre and 'value="360400"' not in centre
    assert 'data-action="urge"' in client.get(f"/cases/{city_level_late.pk}/").content.decode()
    assert 'data-action="urge"' not in client.get(f"/cases/{no_unit.pk}/").content.decode()

    client.force_login(unit_accounts["housing"])
    assert 'data-action="urge"' not in client.get(f"/cases/{city_level_late.pk}/").content.decode()
