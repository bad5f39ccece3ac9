"""The dispatch pages: the office opens a round and sees who reported;
a division reports on its cases there."""

import pytest

from cases.models import Case
from dispatch import services
from dispatch.models import Round, RoundCase
from notifications.models import Urging
from tests.factories import CaseFactory

from .conftest import CUTOFF

pytestmark = pytest.mark.django_db


def test_the_office_opens_a_round_on_the_page(client, monday, supervisor, round_cases):
    client.force_login(supervisor)
    assert "发起调度" in client.get("/dispatch/").content.decode()

    answer = client.post("/dispatch/open/", {"name": "第13期", "cadence": "weekly", "cutoff": "2024-03-15T17:00", "divisions": ["360400"]})

    round = Round.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/dispatch/{round.pk}/"
    assert round.cutoff_at == CUTOFF and RoundCase.objects.filter(round=round).count() == 3


def test_a_bad_round_form_says_which_field_and_opens_nothing(client, monday, supervisor):
    client.force_login(supervisor)
    answer = client.post("/dispatch/open/", {"name": "第13期", "cadence": "weekly", "cutoff": "2024-03-01T17:00"})
    assert answer.status_code == 400 and "截止时间须晚于发起时间" in answer.content.decode()
    assert not Round.objects.exists()


def test_an_officer_cannot_open_a_round_on_the_page(client, monday, nanchang_officer):
    client.force_login(nanchang_officer)
    assert "发起调度" not in client.get("/dispatch/").content.decode()
    answer = client.post("/dispatch/open/", {"name": "第13期", "cadence": "weekly", "cutoff": "2024-03-15T17:00"})
    assert answer.status_code == 403 and not Round.objects.exists()


def test_the_round_page_shows_reported_late_and_missing_divisions(client, opened_round, round_cases, supervisor, xunyang_officer, nanchang_officer):
    import time_machine

    client.force_login(xunyang_officer)
    answer = client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["xunyang"].pk, "progress": "已整改"})
    assert answer.status_code == 302
    client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["xunyang_waiting"].pk, "no_change": "on"})
    with time_machine.travel(CUTOFF.replace(hour=20), tick=False):
        client.force_login(nanchang_officer)
        client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["donghu"].pk, "no_change": "on"})
        client.force_login(supervisor)
        page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()

    assert 'class="dispatch-reported"' in page and 'class="dispatch-late"' in page and 'class="dispatch-missing"' in page
    assert "浔阳区" in page and "东湖区" in page and "催报" in page


def test_an_officer_reports_only_its_own_cases_on_the_page(client, opened_round, round_cases, xunyang_officer):
    client.force_login(xunyang_officer)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "合成：浔阳区" in page and "合成：濂溪区" not in page
    answer = client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["lianxi"].pk, "no_change": "on"})
    assert answer.status_code == 404
    assert client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["xunyang"].pk}).status_code == 400
    assert not RoundCase.objects.filter(reported_at__isnull=False).exists()


def test_urging_from_the_page(client, opened_round, supervisor, nanchang_officer, celery_in_process):
    client.force_login(nanchang_officer)
    assert client.post(f"/dispatch/{opened_round.pk}/urge/", {"note": ""}).status_code == 403
    client.force_login(supervisor)
    assert client.post(f"/dispatch/{opened_round.pk}/urge/", {"note": ""}).status_code == 302
    assert Urging.objects.count() == 4  # 南昌市, 东湖区, 浔阳区, 濂溪区: the province's own case is not urged


def test_a_county_reports_no_change_on_its_ticked_cases_at_once(client, opened_round, round_cases, xunyang_officer):
    from cases.models import CaseEvent

    client.force_login(xunyang_officer)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert 'form="no-change"' in page and "勾选的案件均无变化" in page
    ticked = [round_cases["xunyang"].pk, round_cases["xunyang_waiting"].pk]

    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"case": [str(pk) for pk in ticked]}, follow=True)

    assert "已报送 2 件案件无变化" in answer.content.decode()
    reported = RoundCase.objects.filter(round=opened_round, reported_at__isnull=False)
    assert sorted(reported.values_list("case_id", flat=True)) == sorted(ticked)
    assert CaseEvent.objects.filter(case_id__in=ticked, action="reported").count() == 2


def test_no_change_with_a_case_of_another_county_ticked_writes_nothing(client, opened_round, round_cases, xunyang_officer):
    client.force_login(xunyang_officer)
    ticked = [round_cases["xunyang"].pk, round_cases["lianxi"].pk]
    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"case": [str(pk) for pk in ticked]})
    assert answer.status_code == 404
    assert not RoundCase.objects.filter(reported_at__isnull=False).exists()
    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"case": ["x"]}, follow=True)
    assert "请勾选无变化的案件" in answer.content.decode()


def test_a_county_reports_no_change_on_all_its_cases_not_yet_reported_at_once(client, opened_round, round_cases, xunyang_officer, readonly_client):
    from cases.models import CaseEvent

    client.force_login(xunyang_officer)
    client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["xunyang"].pk, "progress": "已整改"})
    more = [CaseFactory(division_id="360403", city=None, status="in_progress") for _ in range(3)]
    services._snapshot(opened_round, Case.objects.filter(pk__in=[c.pk for c in more]))
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "未报送的 4 件案件均无变化" in page

    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"all_missing": "1"}, follow=True)

    assert "已报送 4 件案件无变化" in answer.content.decode()
    reported = set(RoundCase.objects.filter(round=opened_round, reported_at__isnull=False).values_list("case_id", flat=True))
    assert reported == {round_cases["xunyang"].pk, round_cases["xunyang_waiting"].pk, *(c.pk for c in more)}
    assert CaseEvent.objects.filter(case=round_cases["xunyang"], action="reported").count() == 1  # reported before: not again
    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"all_missing": "1"}, follow=True)
    assert "您在本期的案件均已报送" in answer.content.decode()
    # Another county's cases stay missing; an account that may not write is refused.
    assert RoundCase.objects.get(round=opened_round, case=round_cases["lianxi"]).reported_at is None
    client.force_login(readonly_client)
    assert client.post(f"/dispatch/{opened_round.pk}/no-change/", {"all_missing": "1"}).status_code == 403
    assert RoundCase.objects.get(round=opened_round, case=round_cases["nanchang"]).reported_at is None
