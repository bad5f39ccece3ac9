import pytest
import time_machine

from tests.conftest import shanghai
from tests.factories import CaseFactory, UserFactory
from tests.reminders.conftest import celery_in_process  # noqa: F401 (fixture)

# The round opens on Monday 2024-03-11 at 09:00; its cutoff is Friday 17:00.
OPENED = shanghai(2024, 3, 11, 9, 0)
CUTOFF = shanghai(2024, 3, 15, 17, 0)


@pytest.fixture
def monday():
    with time_machine.travel(OPENED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def xunyang_officer(cities):
    return UserFactory(username="xy_officer", role="officer", division_id="360403", city=None)


@pytest.fixture
def round_cases(cities):
    """Open cases in 南昌市 (the city's own and 东湖区's), 九江市浔阳区 and
    濂溪区, one closed case, and one of the province's own."""
    return {
        "nanchang": CaseFactory(division_id="360100", city=None, status="in_progress", title="合成：南昌市本级"),
        "donghu": CaseFactory(division_id="360102", city=None, status="assigned", title="合成：东湖区"),
        "xunyang": CaseFactory(division_id="360403", city=None, status="in_progress", title="合成：浔阳区"),
        "xunyang_waiting": CaseFactory(division_id="360403", city=None, status="pending_acceptance", title="合成：浔阳区待验收"),
        "lianxi": CaseFactory(division_id="360402", city=None, status="in_progress", title="合成：濂溪区"),
        "closed": CaseFactory(division_id="360403", city=None, status="closed", title="合成：已销号"),
        "province": CaseFactory(division_id="360000", city=None, status="in_progress", title="合成：省本级"),
    }


@pytest.fixture
def opened_round(monday, supervisor, round_cases):
    from dispatch.services import open_round

    return open_round(actor=supervisor, name="第12期", cadence="weekly", cutoff_at=CUTOFF)
