"""A division's batch report (most often "no change" on many cases) is one
transaction of a few statements, whatever the number of cases; each case
still gets its event and its new feed position, so a syncing client misses
none of them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.errors import ConcurrentChange
from cases.models import Case, CaseEvent
from cases.writes import Write, write_cases
from dispatch import services
from dispatch.models import RoundCase
from tests.api.test_change_feed import follow
from tests.conftest import token_client
from tests.factories import CaseFactory

from .conftest import CUTOFF


def reports_of(user, round, items):
    return token_client(user).post(f"/api/v1/dispatch/rounds/{round.pk}/reports/", {"reports": items}, format="json")


@pytest.mark.django_db(transaction=True)
def test_a_batch_report_reaches_a_syncing_client_through_the_change_feed(opened_round, round_cases, supervisor, xunyang_officer):
    syncing = token_client(supervisor)
    _items, cursor = follow(syncing, expect=len(round_cases))
    xunyang, waiting = round_cases["xunyang"], round_cases["xunyang_waiting"]

    answer = reports_of(xunyang_officer, opened_round, [{"case": xunyang.pk, "progress": "已清淤"}, {"case": waiting.pk, "no_change": True}])

    assert answer.status_code == 200
    items, _cursor = follow(syncing, cursor, expect=2)
    assert sorted((i["id"], i["version"]) for i in items) == sorted([(xunyang.pk, 2), (waiting.pk, 2)])
    assert {i["id"]: i["case"]["progress"] for i in items}[xunyang.pk] == "已清淤"
    events = {e.case_id: e for e in CaseEvent.objects.filter(action="reported")}
    assert {r["case"]: r["event"] for r in answer.json()["results"]} == {pk: e.pk for pk, e in events.items()}
    assert all(e.version == 2 and e.actor == xunyang_officer for e in events.values())


@pytest.mark.django_db
def test_the_queries_of_a_batch_report_do_not_grow_with_its_cases(monday, supervisor, xunyang_officer):
    def queries_for(count: int, name: str) -> int:
        cases = CaseFactory.create_batch(count, division_id="360403", city=None, status="in_progress", campaign__code=name)
        round = services.open_round(
            actor=supervisor, name=name, cadence="ad_hoc", cutoff_at=CUTOFF, campaigns=[cases[0].campaign]
        )
        with CaptureQueriesContext(connection) as queries:
            services.report(round=round, actor=xunyang_officer, items=[{"case": c.pk, "progress": None} for c in cases])
        assert RoundCase.objects.filter(round=round, reported_at__isnull=True).count() == 0
        assert CaseEvent.objects.filter(case__in=cases, action="reported").count() == count
        return len(queries)

    assert queries_for(3, "few") == queries_for(60, "many")


@pytest.mark.django_db
def test_a_batch_write_with_one_case_moved_on_writes_nothing(nanchang_officer, nanchang):
    first, second = CaseFactory(city=nanchang), CaseFactory(city=nanchang)
    Case.objects.filter(pk=second.pk).update(version=2)  # another writer came first; `second` is stale

    with pytest.raises(ConcurrentChange):
        write_cases([Write(first), Write(second, values={"progress": "x"})], actor=nanchang_officer, at=first.updated_at, action="reported")

    assert list(Case.objects.order_by("pk").values_list("version", "progress")) == [(1, ""), (2, "")]
    assert not CaseEvent.objects.exists()


@pytest.mark.django_db
def test_a_report_is_made_on_the_cases_as_they_are_now_after_a_concurrent_write(opened_round, round_cases, jiujiang_officer):
    """A report does not depend on the version the reporter read: a case
    moved on since the page was read is reported on as it is now."""
    case = round_cases["lianxi"]
    Case.objects.filter(pk=case.pk).update(version=5, progress="另一人刚写的")

    answer = reports_of(jiujiang_officer, opened_round, [{"case": case.pk, "progress": "推进中"}])

    assert answer.status_code == 200
    event = CaseEvent.objects.get(case=case, action="reported")
    assert event.version == 6 and event.changes["progress"] == ["另一人刚写的", "推进中"]


@pytest.mark.django_db
def test_more_reports_than_a_request_takes_are_refused_naming_the_field(opened_round, xunyang_officer):
    items = [{"case": n, "no_change": True} for n in range(1, services.MAX_REPORTS + 2)]
    answer = reports_of(xunyang_officer, opened_round, items)
    assert answer.status_code == 400 and answer.json()["field"] == "reports"
