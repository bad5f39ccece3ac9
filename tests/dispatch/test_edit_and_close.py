"""The office edits an open round (name, cutoff, coverage) and closes it
early with a reason. A report is never lost to an edit; a closed round
takes no more reports and its missing divisions stay missing. Every edit
and the closing are in the round's history, which everyone who sees the
round reads."""

import datetime

import pytest
import time_machine

from dispatch.models import Round, RoundCase, RoundChange
from tests.conftest import shanghai, token_client
from tests.factories import CampaignFactory, CaseFactory

from .conftest import CUTOFF

pytestmark = pytest.mark.django_db


def url(round, action=""):
    return f"/api/v1/dispatch/rounds/{round.pk}/{action}"


def patch(user, round, body, **headers):
    return token_client(user).patch(url(round), body, format="json", **headers)


def close(user, round, body, **headers):
    return token_client(user).post(url(round, "close/"), body, format="json", **headers)


def report(user, round, *items, **headers):
    return token_client(user).post(url(round, "reports/"), {"reports": list(items)}, format="json", **headers)


def covered(round):
    return set(RoundCase.objects.filter(round=round).values_list("case_id", flat=True))


def test_the_office_renames_and_moves_the_cutoff_and_the_history_says_so(opened_round, supervisor, xunyang_officer, client):
    answer = patch(supervisor, opened_round, {"name": "第12期（延期）", "cutoff": "2024-03-18T12:00"})

    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["cutoff"]) == ("第12期（延期）", "2024-03-18T12:00:00+08:00")
    assert [(h["action"], h["by"]) for h in body["history"]] == [("opened", "sup"), ("edited", "sup")]
    assert body["history"][1]["changes"] == {
        "name": ["第12期", "第12期（延期）"],
        "cutoff": ["2024-03-15T17:00:00+08:00", "2024-03-18T12:00:00+08:00"],
    }
    # A county that sees the round reads the history too, in Chinese.
    client.force_login(xunyang_officer)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "调度记录" in page and "名称：第12期 → 第12期（延期）" in page
    assert "截止时间：2024-03-15 17:00 → 2024-03-18 12:00" in page


def test_extending_a_passed_cutoff_counts_the_reports_made_since_as_on_time(opened_round, round_cases, supervisor, xunyang_officer):
    late = CUTOFF + datetime.timedelta(hours=20)
    with time_machine.travel(late, tick=False):
        report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "no_change": True})
        assert token_client(supervisor).get(url(opened_round)).json()["totals"]["late"] == 1

        answer = patch(supervisor, opened_round, {"cutoff": "2024-03-18T17:00"})

    assert answer.status_code == 200
    assert (answer.json()["totals"]["on_time"], answer.json()["totals"]["late"]) == (1, 0)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"cutoff": "2024-03-11T08:00"}, "cutoff"),  # before now (the round opened at 09:00)
        ({"cutoff": "3000-01-01T00:00"}, "cutoff"),
        ({"name": ""}, "name"),
        ({"name": "第11期"}, "name"),  # another round's
        ({"divisions": ["369999"]}, "divisions"),
        ({"campaigns": ["no-such-campaign"]}, "campaigns"),
        ({}, "name"),
        ({"cadence": "monthly"}, "cadence"),
    ],
)
def test_a_bad_edit_is_400_naming_the_field_and_changes_nothing(opened_round, monday, supervisor, body, field):
    from dispatch.services import open_round

    open_round(actor=supervisor, name="第11期", cadence="weekly", cutoff_at=CUTOFF)
    before = covered(opened_round)

    answer = patch(supervisor, opened_round, body)

    assert answer.status_code == 400 and answer.json()["field"] == field
    opened_round.refresh_from_db()
    assert (opened_round.name, opened_round.cutoff_at) == ("第12期", CUTOFF)
    assert covered(opened_round) == before and opened_round.history.count() == 1


def test_growing_coverage_adds_the_newly_covered_open_cases_and_no_others(monday, supervisor, round_cases):
    from dispatch.services import open_round

    round = open_round(actor=supervisor, name="九江", cadence="ad_hoc", cutoff_at=CUTOFF, divisions=[round_cases["xunyang"].division.parent])
    later = CaseFactory(division_id="360403", city=None, status="in_progress")  # opened after the round: stays out
    CaseFactory(division_id="360102", city=None, status="closed")  # newly covered but closed: stays out

    answer = patch(supervisor, round, {"divisions": ["360400", "360100"]})

    assert answer.status_code == 200
    assert covered(round) == {round_cases[k].pk for k in ("xunyang", "xunyang_waiting", "lianxi", "nanchang", "donghu")}
    assert later.pk not in covered(round)
    assert answer.json()["divisions"] == ["360100", "360400"]
    assert answer.json()["history"][-1]["changes"] == {
        "divisions": {"added": ["360100"], "removed": []},
        "cases": {"added": 2, "removed": 0},
    }


def test_removing_a_division_that_has_reported_is_refused_naming_the_field(opened_round, round_cases, supervisor, nanchang_officer):
    report(nanchang_officer, opened_round, {"case": round_cases["donghu"].pk, "no_change": True})
    before = covered(opened_round)

    answer = patch(supervisor, opened_round, {"divisions": ["360400"]})

    assert answer.status_code == 400 and answer.json()["field"] == "divisions"
    assert "东湖区" in answer.json()["detail"] and "已报送" in answer.json()["detail"]
    english = patch(supervisor, opened_round, {"divisions": ["360400"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"] == "东湖区 reported in this round: a division that has reported stays covered."
    assert covered(opened_round) == before and not opened_round.divisions.exists()
    assert RoundCase.objects.get(round=opened_round, case=round_cases["donghu"]).reported_at is not None
    assert opened_round.history.count() == 1


def test_removing_divisions_without_reports_removes_their_cases(opened_round, round_cases, supervisor, xunyang_officer):
    report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "no_change": True})

    answer = patch(supervisor, opened_round, {"divisions": ["360400"]})

    assert answer.status_code == 200
    assert covered(opened_round) == {round_cases[k].pk for k in ("xunyang", "xunyang_waiting", "lianxi")}
    assert answer.json()["totals"] == {"cases": 3, "on_time": 1, "late": 0, "missing": 2}
    assert answer.json()["history"][-1]["changes"]["cases"] == {"added": 0, "removed": 3}


def test_removing_a_campaign_with_reports_is_refused_naming_the_field(opened_round, round_cases, supervisor, xunyang_officer):
    report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "no_change": True})
    other = CampaignFactory(code="other")

    answer = patch(supervisor, opened_round, {"campaigns": [other.code]})

    assert answer.status_code == 400 and answer.json()["field"] == "campaigns"
    assert round_cases["xunyang"].campaign.name in answer.json()["detail"]
    assert not opened_round.campaigns.exists() and RoundCase.objects.filter(round=opened_round).count() == 6


def test_only_the_office_edits_and_closes_a_round(opened_round, monday, supervisor, round_cases, nanchang_officer, xunyang_officer, province_client):
    from dispatch.services import open_round

    jiujiang_only = open_round(actor=supervisor, name="九江专项", cadence="ad_hoc", cutoff_at=CUTOFF, divisions=[round_cases["lianxi"].division])
    # Accounts that see the round: 403; an account that does not: 404.
    for account in (nanchang_officer, xunyang_officer, province_client):
        assert patch(account, opened_round, {"name": "改名"}).status_code == 403
        assert close(account, opened_round, {"reason": "提前结束"}).status_code == 403
    assert patch(nanchang_officer, jiujiang_only, {"name": "改名"}).status_code == 404
    assert close(nanchang_officer, jiujiang_only, {"reason": "提前结束"}).status_code == 404
    assert Round.objects.filter(name="改名").count() == 0 and not Round.objects.filter(closed_at__isnull=False).exists()
    assert RoundChange.objects.filter(action__in=["edited", "closed"]).count() == 0

    assert patch(supervisor, jiujiang_only, {"name": "改名"}).status_code == 200
    assert close(supervisor, jiujiang_only, {"reason": "提前结束"}).status_code == 200


def test_a_round_closed_early_keeps_its_missing_and_refuses_later_reports(opened_round, round_cases, supervisor, xunyang_officer, nanchang_officer):
    report(xunyang_officer, opened_round, {"case": round_cases["xunyang"].pk, "no_change": True})
    closing = shanghai(2024, 3, 13, 10, 0)  # two days before the cutoff
    with time_machine.travel(closing, tick=False):
        answer = close(supervisor, opened_round, {"reason": "省委调度会提前召开"})

    assert answer.status_code == 200
    body = answer.json()
    assert (body["closed"], body["closed_at"], body["closed_by"], body["close_reason"]) == (True, "2024-03-13T10:00:00+08:00", "sup", "省委调度会提前召开")
    assert body["totals"] == {"cases": 6, "on_time": 1, "late": 0, "missing": 5}
    assert body["history"][-1] == {
        "action": "closed", "at": "2024-03-13T10:00:00+08:00", "by": "sup", "changes": {"missing": 5}, "note": "省委调度会提前召开",
    }  # fmt: skip

    with time_machine.travel(closing + datetime.timedelta(hours=1), tick=False):
        refused = report(nanchang_officer, opened_round, {"case": round_cases["donghu"].pk, "no_change": True})
        english = report(nanchang_officer, opened_round, {"case": round_cases["donghu"].pk, "no_change": True}, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 409 and refused.json()["field"] == "round" and refused.json()["code"] == "round_closed"
    assert refused.json()["detail"] == "第12期已于 2024-03-13 10:00 关闭，不再接受报送或修改。"
    assert english.json()["detail"] == "Round 第12期 was closed at 2024-03-13 10:00; it no longer takes reports or changes."
    assert round_cases["donghu"].events.filter(action="reported").count() == 0
    assert token_client(supervisor).get(url(opened_round)).json()["totals"]["missing"] == 5
    # A closed round is not edited, urged or closed again.
    assert patch(supervisor, opened_round, {"name": "第12期（补）"}).status_code == 409
    assert token_client(supervisor).post(url(opened_round, "urge/"), {}, format="json").status_code == 409
    assert close(supervisor, opened_round, {"reason": "再关一次"}).status_code == 409
    assert opened_round.history.count() == 2


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_closing_needs_a_reason_naming_the_field(opened_round, supervisor, body):
    answer = close(supervisor, opened_round, body)
    assert answer.status_code == 400 and answer.json()["field"] == "reason"
    opened_round.refresh_from_db()
    assert opened_round.closed_at is None and opened_round.history.count() == 1


def test_the_rounds_list_says_which_are_closed(opened_round, supervisor):
    close(supervisor, opened_round, {"reason": "提前结束"})
    [listed] = token_client(supervisor).get("/api/v1/dispatch/rounds/").json()["results"]
    assert (listed["closed"], listed["close_reason"]) == (True, "提前结束")


# The pages


def test_the_office_edits_a_round_on_its_page(client, opened_round, supervisor):
    client.force_login(supervisor)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "修改本期调度" in page and "关闭本期调度" in page

    answer = client.post(f"/dispatch/{opened_round.pk}/edit/", {"name": "第12期", "cutoff": "2024-03-15T18:30", "divisions": ["360400"]})

    assert answer.status_code == 302
    opened_round.refresh_from_db()
    assert opened_round.cutoff_at == CUTOFF + datetime.timedelta(minutes=90)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "第12期已修改" in page and "涵盖的行政区划：增加 九江市" in page and "移出 3 件" in page
    # The same values again change nothing, and the page says so.
    again = client.post(f"/dispatch/{opened_round.pk}/edit/", {"name": "第12期", "cutoff": "2024-03-15T18:30", "divisions": ["360400"]}, follow=True)
    assert "没有修改任何内容" in again.content.decode() and opened_round.history.count() == 2


def test_a_refused_edit_on_the_page_says_why_on_the_field_and_changes_nothing(client, opened_round, round_cases, supervisor, nanchang_officer):
    client.force_login(nanchang_officer)
    client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["nanchang"].pk, "no_change": "on"})
    client.force_login(supervisor)

    answer = client.post(f"/dispatch/{opened_round.pk}/edit/", {"name": "第12期", "cutoff": "2024-03-15T17:00", "divisions": ["360400"]})

    assert answer.status_code == 400
    assert "南昌市已在本期报送：已报送的地区不能移出调度范围。" in answer.content.decode()
    assert not opened_round.divisions.exists() and RoundCase.objects.filter(round=opened_round).count() == 6


def test_the_office_closes_a_round_on_its_page_and_a_county_sees_it_closed(client, opened_round, round_cases, supervisor, xunyang_officer):
    client.force_login(supervisor)
    assert client.post(f"/dispatch/{opened_round.pk}/close/", {"reason": ""}).status_code == 400
    answer = client.post(f"/dispatch/{opened_round.pk}/close/", {"reason": "提前结束"}, follow=True)
    assert "第12期已关闭" in answer.content.decode()
    assert "修改本期调度" not in answer.content.decode() and f'action="/dispatch/{opened_round.pk}/urge/"' not in answer.content.decode()

    client.force_login(xunyang_officer)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "本期不再接受报送，未报送的案件仍计为未报" in page and "关闭调度：提前结束" in page
    assert '<span class="badge">已关闭</span>' in page and "已销号" not in page and "已阅" not in page
    assert 'form="no-change"' not in page
    answer = client.post(f"/dispatch/{opened_round.pk}/no-change/", {"case": [str(round_cases["xunyang"].pk)]}, follow=True)
    assert "不再接受报送" in answer.content.decode()
    answer = client.post(f"/dispatch/{opened_round.pk}/report/", {"case": round_cases["xunyang"].pk, "progress": "已整改"}, follow=True)
    assert "第12期已于" in answer.content.decode() and "不再接受报送" in answer.content.decode()
    assert not RoundCase.objects.filter(round=opened_round, reported_at__isnull=False).exists()


def test_a_city_cannot_edit_or_close_on_the_page(client, opened_round, monday, supervisor, round_cases, nanchang_officer):
    from dispatch.services import open_round

    jiujiang_only = open_round(actor=supervisor, name="九江专项", cadence="ad_hoc", cutoff_at=CUTOFF, divisions=[round_cases["lianxi"].division])
    client.force_login(nanchang_officer)
    page = client.get(f"/dispatch/{opened_round.pk}/").content.decode()
    assert "修改本期调度" not in page and "关闭本期调度" not in page and "调度记录" in page
    form = {"name": "改名", "cutoff": "2024-03-15T17:00"}
    assert client.post(f"/dispatch/{opened_round.pk}/edit/", form).status_code == 403
    assert client.post(f"/dispatch/{opened_round.pk}/close/", {"reason": "x"}).status_code == 403
    assert client.post(f"/dispatch/{jiujiang_only.pk}/edit/", form).status_code == 404
    assert client.post(f"/dispatch/{jiujiang_only.pk}/close/", {"reason": "x"}).status_code == 404
    assert not Round.objects.filter(closed_at__isnull=False).exists() and not Round.objects.filter(name="改名").exists()
