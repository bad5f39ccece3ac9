"""Urging (催办) down the tree: the provincial office urges a city's or a
county's cases, a city bureau its counties' (its own city-level cases to
their units: test_urging_own_level.py); the urged division's accounts
get it in the site and on their channels, once; opening it or pressing 签收
records the receipt; both show in the case's timeline; not signed for
within the campaign's working hours, it is escalated to the level above
the urged division, once."""

import datetime

import pytest
import time_machine
from django.core import mail

from notifications.models import CampaignReceiptHours, Notification, Urging, UrgingReceipt
from notifications.services import add_channel
from notifications.urgings import add_working_hours, escalate_unreceived, urge
from reminders.models import DigestState, ReminderLog
from cases.models import Unit
from tests.conftest import shanghai, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 15)  # a Friday


@pytest.fixture(autouse=True)
def friday_ten_oclock(celery_in_process):
    with time_machine.travel(shanghai(2024, 3, 15, 10, 0), tick=False):
        yield


@pytest.fixture
def nanchang_late(nanchang, overdue_case):
    return [overdue_case(nanchang, TODAY, days=d, title=f"合成：南昌逾期问题{d}") for d in (3, 9)]


def urge_on_the_site(client, supervisor, **data):
    client.force_login(supervisor)
    return client.post("/notifications/urge/", data)


def test_working_hours_skip_nights_weekends_and_holidays():
    friday_4pm = shanghai(2024, 3, 15, 16, 0)
    assert add_working_hours(friday_4pm, 8) == shanghai(2024, 3, 18, 16, 0)  # one hour Friday, seven Monday
    # 2024-04-04/05 Qingming holiday (Thu, Fri), 04-07 (Sunday) a make-up working day.
    assert add_working_hours(shanghai(2024, 4, 3, 16, 0), 2) == shanghai(2024, 4, 7, 10, 0)


def test_urging_a_citys_overdue_cases_reaches_its_accounts_on_every_channel_once(client, django_capture_on_commit_callbacks, supervisor, nanchang_officer, jiujiang_officer, nanchang_late, robots):
    add_channel(user=nanchang_officer, kind="wecom", address=robots.wecom_robot("key-nc"))

    with django_capture_on_commit_callbacks(execute=True):
        answer = urge_on_the_site(client, supervisor, city="360100", note="请于本周内报送整改进展", next="/overdue/")

    assert answer.status_code == 302 and answer["Location"] == "/overdue/"
    urging = Urging.objects.get()
    assert set(urging.cases.all()) == set(nanchang_late) and urging.note == "请于本周内报送整改进展"
    assert [m.to for m in mail.outbox] == [[nanchang_officer.email]]
    assert "请于本周内报送整改进展" in mail.outbox[0].body and "合成：南昌逾期问题9" in mail.outbox[0].body
    [posted] = robots.messages("key-nc")
    assert "催办" in posted.text and f"/notifications/urgings/{urging.pk}/" in posted.text
    note = Notification.objects.get(recipient=nanchang_officer)
    assert note.kind == "urging" and len(note.cases) == 2
    assert not Notification.objects.filter(recipient=jiujiang_officer).exists()
    states = set(ReminderLog.objects.filter(urging=urging).values_list("channel_kind", "state"))
    assert states == {("email", DigestState.SENT), ("wecom", DigestState.SENT)}


@pytest.fixture
def xunyang_officer(jiujiang):
    return UserFactory(username="xy_officer", role="officer", division_id="360403")


@pytest.fixture
def xunyang_late(jiujiang, overdue_case):
    return overdue_case(jiujiang, TODAY, days=5, division_id="360403", title="合成：浔阳区逾期问题")


@pytest.fixture
def donghu_late(nanchang, overdue_case):
    return overdue_case(nanchang, TODAY, days=5, division_id="360102", title="合成：东湖区逾期问题")


def test_a_county_officer_may_not_urge(client, xunyang_officer, xunyang_late):
    client.force_login(xunyang_officer)
    assert client.post("/notifications/urge/", {"case": xunyang_late.pk, "note": "x"}).status_code == 403
    api = token_client(xunyang_officer)
    assert api.post("/api/v1/urgings/", {"cases": [xunyang_late.pk], "note": "x"}, format="json").status_code == 403
    assert api.post("/api/v1/urgings/", {"division": "360403", "note": "x"}, format="json").status_code == 403
    assert not Urging.objects.exists()


def test_a_city_urges_its_county_but_not_another_citys_county(django_capture_on_commit_callbacks, jiujiang_officer, xunyang_officer, xunyang_late, donghu_late):
    api = token_client(jiujiang_officer)
    assert api.post("/api/v1/urgings/", {"cases": [donghu_late.pk], "note": "x"}, format="json").status_code == 404
    assert api.post("/api/v1/urgings/", {"division": "360102", "note": "x"}, format="json").status_code == 404
    assert not Urging.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/urgings/", {"cases": [xunyang_late.pk], "note": "本周内报送"}, format="json")

    assert answer.status_code == 201
    [urging] = answer.json()
    assert (urging["division"], urging["city"], urging["cases"]) == ("360403", "360400", [xunyang_late.pk])
    assert [m.to for m in mail.outbox] == [[xunyang_officer.email]]
    assert "浔阳区" in mail.outbox[0].subject and "九江市" in mail.outbox[0].body  # urged by the city bureau
    assert not Notification.objects.filter(recipient=jiujiang_officer).exists()


def test_a_city_does_not_urge_its_own_case_that_has_no_unit_naming_the_field(nanchang_officer, nanchang_late):
    answer = token_client(nanchang_officer).post("/api/v1/urgings/", {"cases": [nanchang_late[0].pk], "note": "x"}, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "cases"
    assert not Urging.objects.exists()


def test_an_unseen_case_is_a_404(nanchang_officer, jiujiang_case):
    answer = token_client(nanchang_officer).post("/api/v1/urgings/", {"cases": [jiujiang_case.pk], "note": "x"}, format="json")
    assert answer.status_code == 404 and not Urging.objects.exists()


def test_the_province_urges_a_citys_overdue_cases_by_division_one_urging_per_county(django_capture_on_commit_callbacks, supervisor, xunyang_officer, jiujiang_officer, xunyang_late, overdue_case, jiujiang):
    city_level = overdue_case(jiujiang, TODAY, days=2)
    with django_capture_on_commit_callbacks(execute=True):
        answer = token_client(supervisor).post("/api/v1/urgings/", {"city": "360400", "note": "x"}, format="json")
    assert answer.status_code == 201
    assert sorted((u["division"], tuple(u["cases"])) for u in answer.json()) == [
        ("360400", (city_level.pk,)), ("360403", (xunyang_late.pk,))
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([jiujiang_officer.email, xunyang_officer.email])


def test_a_units_accounts_get_the_urging_of_their_units_cases_and_sign_for_it(django_capture_on_commit_callbacks, jiujiang_officer, xunyang_late):
    housing = Unit.objects.create(name="浔阳区住建局（合成）", division_id="360403")
    water = Unit.objects.create(name="浔阳区水利局（合成）", division_id="360403")
    xunyang_late.cooperating_units.add(housing)
    housing_officer = UserFactory(username="xy_housing", role="officer", division_id="360403", unit=housing)
    water_officer = UserFactory(username="xy_water", role="officer", division_id="360403", unit=water)

    with django_capture_on_commit_callbacks(execute=True):
        [urging] = token_client(jiujiang_officer).post(
            "/api/v1/urgings/", {"cases": [xunyang_late.pk], "note": "x"}, format="json"
        ).json()

    assert [m.to for m in mail.outbox] == [[housing_officer.email]]
    assert token_client(water_officer).post(f"/api/v1/urgings/{urging['id']}/receipt/").status_code == 404
    answer = token_client(housing_officer).post(f"/api/v1/urgings/{urging['id']}/receipt/")
    assert answer.status_code == 200 and answer.json()["receipts"][0]["account"] == "xy_housing"


def test_urging_without_a_note_is_refused_naming_it(supervisor, nanchang_late):
    answer = token_client(supervisor).post("/api/v1/urgings/", {"cases": [nanchang_late[0].pk], "note": " "}, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "note"
    assert not Urging.objects.exists()


def test_urging_a_case_that_does_not_exist_is_a_404(supervisor):
    answer = token_client(supervisor).post("/api/v1/urgings/", {"cases": [999999], "note": "x"}, format="json")
    assert answer.status_code == 404 and not Urging.objects.exists()


@pytest.fixture
def urged(django_capture_on_commit_callbacks, supervisor, nanchang_officer, nanchang_late):
    with django_capture_on_commit_callbacks(execute=True):
        answer = token_client(supervisor).post(
            "/api/v1/urgings/", {"cases": [nanchang_late[0].pk], "note": "请尽快整改"}, format="json"
        )
    assert answer.status_code == 201
    return Urging.objects.get(pk=answer.json()[0]["id"])


def test_opening_the_urging_records_the_receipt_and_the_timeline_shows_both(client, urged, nanchang_officer, nanchang_late):
    note = Notification.objects.get(recipient=nanchang_officer)
    client.force_login(nanchang_officer)

    assert client.get(f"/notifications/{note.pk}/")["Location"] == f"/notifications/urgings/{urged.pk}/"

    receipt = UrgingReceipt.objects.get()
    assert (receipt.account, receipt.way) == (nanchang_officer, "opened")
    timeline = client.get(f"/cases/{nanchang_late[0].pk}/").content.decode()
    assert "催办" in timeline and "请尽快整改" in timeline and "已阅" in timeline


def test_pressing_sign_records_the_receipt_once(client, urged, nanchang_officer):
    client.force_login(nanchang_officer)
    client.post(f"/notifications/urgings/{urged.pk}/")
    client.post(f"/notifications/urgings/{urged.pk}/")

    assert list(UrgingReceipt.objects.values_list("way", flat=True)) == ["signed"]
    assert Notification.objects.get(recipient=nanchang_officer).read_at is not None


def test_another_citys_officer_cannot_see_or_sign_the_urging(client, urged, jiujiang_officer):
    client.force_login(jiujiang_officer)
    assert client.get(f"/notifications/urgings/{urged.pk}/").status_code == 404
    assert client.post(f"/notifications/urgings/{urged.pk}/").status_code == 404
    assert token_client(jiujiang_officer).post(f"/api/v1/urgings/{urged.pk}/receipt/").status_code == 404
    assert not UrgingReceipt.objects.exists()


def test_the_urging_level_reads_the_urging_but_does_not_sign_it(urged, supervisor):
    api = token_client(supervisor)
    assert api.get(f"/api/v1/urgings/{urged.pk}/").json()["division"] == "360100"
    assert api.post(f"/api/v1/urgings/{urged.pk}/receipt/").status_code == 403
    assert not UrgingReceipt.objects.exists()


def test_the_api_signs_for_an_urging(urged, nanchang_officer):
    answer = token_client(nanchang_officer).post(f"/api/v1/urgings/{urged.pk}/receipt/")
    assert answer.status_code == 200 and answer.json()["receipts"][0]["way"] == "signed"


def test_an_urging_not_signed_for_in_time_is_escalated_to_the_province_once(urged, supervisor, django_capture_on_commit_callbacks):
    due = urged.receipt_due_at
    assert due == shanghai(2024, 3, 18, 10, 0)  # eight working hours: Monday 10:00
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_unreceived(now=due - datetime.timedelta(minutes=1)) == []
        first = escalate_unreceived(now=due)
        second = escalate_unreceived(now=due + datetime.timedelta(hours=1))

    assert [u.pk for u in first] == [urged.pk] and second == []
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert Notification.objects.get(recipient=supervisor, kind="escalation").url == f"/notifications/urgings/{urged.pk}/"


def test_a_county_urging_not_signed_for_escalates_to_its_city_not_the_province_once(django_capture_on_commit_callbacks, jiujiang_officer, supervisor, xunyang_officer, xunyang_late, nanchang_officer):
    with django_capture_on_commit_callbacks(execute=True):
        [urging] = token_client(supervisor).post("/api/v1/urgings/", {"cases": [xunyang_late.pk], "note": "x"}, format="json").json()
    mail.outbox.clear()
    due = Urging.objects.get(pk=urging["id"]).receipt_due_at

    with django_capture_on_commit_callbacks(execute=True):
        assert [u.pk for u in escalate_unreceived(now=due)] == [urging["id"]]
        assert escalate_unreceived(now=due + datetime.timedelta(hours=1)) == []

    assert [m.to for m in mail.outbox] == [[jiujiang_officer.email]]
    assert "浔阳区" in mail.outbox[0].subject
    assert set(Notification.objects.filter(kind="escalation").values_list("recipient__username", flat=True)) == {"jj_officer"}
    client = token_client(jiujiang_officer)
    assert client.get(f"/api/v1/urgings/{urging['id']}/").json()["escalated_at"] is not None
    assert token_client(nanchang_officer).get(f"/api/v1/urgings/{urging['id']}/").status_code == 404


def test_a_signed_urging_is_not_escalated(urged, nanchang_officer):
    token_client(nanchang_officer).post(f"/api/v1/urgings/{urged.pk}/receipt/")
    assert escalate_unreceived(now=urged.receipt_due_at + datetime.timedelta(days=3)) == []


def test_the_campaign_sets_the_working_hours_to_sign(django_capture_on_commit_callbacks, supervisor, nanchang_late):
    CampaignReceiptHours.objects.create(campaign=nanchang_late[0].campaign, working_hours=2)
    answer = token_client(supervisor).post("/api/v1/urgings/", {"cases": [nanchang_late[0].pk], "note": "x"}, format="json")
    assert Urging.objects.get(pk=answer.json()[0]["id"]).receipt_due_at == shanghai(2024, 3, 15, 12, 0)


def test_urging_from_the_site_never_leads_off_the_site(client, supervisor, nanchang_late, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = urge_on_the_site(client, supervisor, case=nanchang_late[0].pk, note="x", next="//evil.example/")
    assert answer["Location"] == "/notifications/"
    assert Urging.objects.count() == 1


def test_urging_a_city_with_nothing_overdue_says_so_and_urges_nothing(client, supervisor, jiujiang):
    answer = urge_on_the_site(client, supervisor, city="360400", note="x", next="/overdue/")
    assert answer["Location"] == "/overdue/"
    assert "没有可催办的逾期案件" in client.get("/overdue/").content.decode()
    assert not Urging.objects.exists()


def test_the_supervisors_centre_has_the_urge_form_once_and_a_plain_title(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/notifications/").content.decode()
    assert page.count('action="/notifications/urge/"') == 1
    assert "<title>通知 ·" in page


def test_urging_refuses_a_note_that_is_not_text_naming_it(supervisor, nanchang_late):
    answer = token_client(supervisor).post("/api/v1/urgings/", {"cases": [nanchang_late[0].pk], "note": 0}, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "note"
    assert not Urging.objects.exists()


def test_urging_refuses_a_case_id_given_as_text(supervisor, nanchang_late):
    answer = token_client(supervisor).post("/api/v1/urgings/", {"cases": [str(nanchang_late[0].pk)], "note": "x"}, format="json")
    assert answer.status_code == 400 and answer.json()["field"].startswith("cases")
    assert not Urging.objects.exists()


def test_the_case_page_offers_urging_to_the_city_above_not_to_the_county(client, jiujiang_officer, xunyang_officer, xunyang_late):
    client.force_login(jiujiang_officer)
    assert 'data-action="urge"' in client.get(f"/cases/{xunyang_late.pk}/").content.decode()
    client.force_login(xunyang_officer)
    assert 'data-action="urge"' not in client.get(f"/cases/{xunyang_late.pk}/").content.decode()


def test_the_centre_offers_a_city_its_counties_and_its_own_cases_not_another_citys(client, jiujiang_officer):
    client.force_login(jiujiang_officer)
    page = client.get("/notifications/").content.decode()
    assert 'value="360403"' in page and 'value="360400"' in page and 'value="360102"' not in page


def test_an_escalation_skips_a_level_with_no_bureau_account(django_capture_on_commit_callbacks, supervisor, xunyang_officer, xunyang_late):
    with django_capture_on_commit_callbacks(execute=True):
        [urging] = urge(actor=supervisor, case_ids=[xunyang_late.pk], note="x")
        escalate_unreceived(now=urging.receipt_due_at)
    assert list(Notification.objects.filter(kind="escalation").values_list("recipient__username", flat=True)) == ["sup"]
