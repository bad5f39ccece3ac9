"""The default work list order: overdue (most days overdue first), then open
cases by deadline, then handed-in cases most recently changed first, the
same across page boundaries and in the export."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from tests.conftest import shanghai
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 3, 1)


@pytest.fixture
def work(nanchang):
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        overdue = [
            CaseFactory(reference=f"O-{i:02d}", city=nanchang, status="in_progress", deadline=TODAY - datetime.timedelta(days=40 - i))
            for i in range(30)
        ]
        upcoming = [
            CaseFactory(reference=f"U-{i:02d}", city=nanchang, status="assigned", deadline=TODAY + datetime.timedelta(days=i))
            for i in range(29)
        ]
        upcoming.append(CaseFactory(reference="U-LONG", city=nanchang, status="in_progress", deadline_type="long_term", deadline=None))
    handed_in = []
    for i in range(30):
        with time_machine.travel(shanghai(2024, 2, 1 + i % 28, 10, i), tick=False):
            handed_in.append(CaseFactory(reference=f"H-{i:02d}", city=nanchang, status="closed", deadline=TODAY))
    handed_in.sort(key=lambda c: (c.updated_at, c.id), reverse=True)
    return [c.reference for c in overdue + upcoming + handed_in]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def test_pages_follow_the_urgency_order_across_segment_boundaries(client, nanchang_officer, work):
    client.force_login(nanchang_officer)
    shown = []
    for number in (1, 2):
        page = client.get("/cases/", {"page": number}).context["page"]
        assert page.paginator.count == 90
        shown += [case.reference for case in page.object_list]
    assert shown == work[:100]


def test_the_export_lists_the_same_order(client, nanchang_officer, work):
    client.force_login(nanchang_officer)
    response = client.get("/cases/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == work


def test_a_filter_applies_to_every_segment(client, nanchang_officer, work):
    client.force_login(nanchang_officer)
    page = client.get("/cases/", {"q": "-0"}).context["page"]
    expected = [ref for ref in work if "-0" in ref]
    assert [case.reference for case in page.object_list] == expected
    assert page.paginator.count == len(expected)
