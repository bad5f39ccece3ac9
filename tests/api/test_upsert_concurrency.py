"""Two systems pushing the same new cases at the same moment: one creates
them, the other finds them already there. No error, no duplicate."""

import threading

import pytest
from django.db import connection

from cases.models import Case, CaseEvent
from cases.upsert import upsert_cases
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_upserts_of_the_same_keys_create_each_case_once(supervisor, province_client):
    CampaignFactory()
    items = [
        {
            "campaign": "test-central-2",
            "reference": f"R-{n}",
            "kind": "feedback_problem",
            "title": f"并发问题 {n}（合成数据）",
            "city": "360100",
            "deadline_type": "immediate",
        }
        for n in range(200)
    ]
    start, outcomes, errors = threading.Barrier(2), {}, []

    def push(actor):
        try:
            start.wait()
            outcomes[actor.username] = {r.outcome for r in upsert_cases(actor=actor, items=items)}
        except Exception as error:  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=push, args=(actor,)) for actor in (supervisor, province_client)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(map(sorted, outcomes.values())) == [["created"], ["unchanged"]]
    assert Case.objects.count() == 200 and CaseEvent.objects.count() == 200
