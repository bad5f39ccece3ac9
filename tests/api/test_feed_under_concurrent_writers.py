"""The feed's exactness under concurrent writers, on PostgreSQL.

Writers commit overlapping transactions; some take their transaction id
early and hold it open while later ones commit (the case a naive "newest
position seen" cursor gets wrong). A reader follows the feed the whole
time. At the end its mirror equals the database, and it never got the
same (case, version) twice nor a case's versions out of order."""

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import F

from cases.feed import read_feed
from cases.models import Case
from tests.factories import CaseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 4
TRANSACTIONS_PER_WRITER = 15


def write(case_ids, seed, errors):
    rng = random.Random(seed)
    try:
        for n in range(TRANSACTIONS_PER_WRITER):
            with transaction.atomic():
                ids = sorted(rng.sample(case_ids, 3))  # one lock order: no deadlocks
                for case_id in ids:
                    Case.objects.filter(pk=case_id).update(version=F("version") + 1, progress=f"w{seed}-{n}")
                    if rng.random() < 0.3:
                        # Hold an early transaction id open while others commit.
                        time.sleep(rng.uniform(0.05, 0.2))
    except Exception as error:  # reported to the main thread
        errors.append(error)
    finally:
        connection.close()


def test_a_reader_following_the_feed_misses_nothing_and_repeats_nothing(supervisor, nanchang):
    case_ids = [CaseFactory(city=nanchang).pk for _ in range(12)]
    errors, mirror, delivered = [], {}, []
    writers = [threading.Thread(target=write, args=(case_ids, seed, errors)) for seed in range(WRITERS)]

    def follow(cursor):
        page = read_feed(user=supervisor, cursor=cursor, limit=5, fields=("id", "version", "progress"))
        for item in page.items:
            delivered.append((item.id, item.version))
            assert item.version > mirror.get(item.id, (0, None))[0], f"case {item.id} went back or repeated"
            mirror[item.id] = (item.version, item.row["progress"])
        return page

    for thread in writers:
        thread.start()
    cursor = None
    while any(thread.is_alive() for thread in writers):
        cursor = follow(cursor).cursor
        time.sleep(0.01)
    for thread in writers:
        thread.join()
    assert not errors

    expected = {pk: (version, progress) for pk, version, progress in Case.objects.values_list("id", "version", "progress")}
    deadline = time.monotonic() + 120
    while mirror != expected and time.monotonic() < deadline:
        page = follow(cursor)
        cursor = page.cursor
        if not page.has_more:
            time.sleep(0.05)
    connection.close()

    assert mirror == expected
    assert len(delivered) == len(set(delivered))
    assert sum(version for version, _progress in expected.values()) > len(case_ids) * 2
