"""Migration dispatch 0002 keeps every round as it was (open, its cases and
reports) and starts each one's history with its opening."""

import datetime

import pytest

from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory

BEFORE = [("dispatch", "0001_initial")]
AFTER = [("dispatch", "0002_close_and_history")]


@pytest.mark.django_db(transaction=True)
def test_existing_rounds_stay_open_with_their_reports_and_their_history_starts_at_the_opening(migrate):
    # Accounts and cases do not change in this migration: made as they are today.
    office = UserFactory(username="office", role="supervisor", division_id="360000", city=None)
    case = CaseFactory(division_id="360100", city=None, status="in_progress")
    apps = migrate(BEFORE)
    Round, RoundCase = apps.get_model("dispatch", "Round"), apps.get_model("dispatch", "RoundCase")
    opened = shanghai(2024, 3, 11, 9, 0)
    by_hand = Round.objects.create(name="第11期", cadence="weekly", cutoff_at=opened + datetime.timedelta(days=4), opened_by_id=office.pk, opened_at=opened)
    scheduled = Round.objects.create(name="第12期", cadence="weekly", cutoff_at=opened + datetime.timedelta(days=11), opened_at=opened + datetime.timedelta(days=7))
    RoundCase.objects.create(round=by_hand, case_id=case.pk, reported_at=opened + datetime.timedelta(days=1))

    apps = migrate(AFTER)
    Round, RoundChange = apps.get_model("dispatch", "Round"), apps.get_model("dispatch", "RoundChange")
    assert list(Round.objects.order_by("pk").values_list("name", "closed_at", "close_reason")) == [("第11期", None, ""), ("第12期", None, "")]
    assert list(RoundChange.objects.order_by("round_id").values_list("round_id", "action", "actor_id", "at")) == [
        (by_hand.pk, "opened", office.pk, opened),
        (scheduled.pk, "opened", None, opened + datetime.timedelta(days=7)),
    ]
    assert apps.get_model("dispatch", "RoundCase").objects.get(round_id=by_hand.pk).reported_at == opened + datetime.timedelta(days=1)
