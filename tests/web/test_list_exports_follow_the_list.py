"""Every export offered on a list holds exactly the rows that list shows,
the page's own implied filters included (issue 11, pages point 1): the
overdue list exports the overdue cases, the acceptance queue the cases
awaiting acceptance, never every case of the filtered city."""

import datetime
import html
import io
import re

import pytest
import time_machine
from openpyxl import load_workbook

from imports.parsing.layouts import LEDGER, PETITIONS
from tests.conftest import shanghai
from tests.factories import CaseFactory, PetitionFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def cases(nanchang, jiujiang):
    made = [
        CaseFactory(reference="JJ-LATE-1", city=jiujiang, status="in_progress", deadline=days(-30)),
        CaseFactory(reference="JJ-LATE-2", city=jiujiang, status="assigned", deadline=days(-3)),
        PetitionFactory(acceptance_number="JJ-LATE-PETITION", city=jiujiang, status="in_progress", deadline=days(-9)),
        CaseFactory(reference="JJ-OPEN", city=jiujiang, status="in_progress", deadline=days(20)),
        CaseFactory(reference="JJ-WAITING", city=jiujiang, status="pending_acceptance", deadline=days(-40)),
        CaseFactory(reference="JJ-PUBLIC", city=jiujiang, status="in_publicity", deadline=days(-5)),
        CaseFactory(reference="JJ-CLOSED", city=jiujiang, status="closed", deadline=days(-50)),
        CaseFactory(reference="NC-LATE", city=nanchang, status="in_progress", deadline=days(-7)),
        CaseFactory(reference="NC-WAITING", city=nanchang, status="pending_acceptance"),
    ]
    return {case.reference: case for case in made}


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [case.reference for case in response.context["page"].object_list]


def links(response) -> dict[str, str]:
    """The page's two export buttons, as a person would click them."""
    page = response.content.decode()
    found = {}
    for href in re.findall(r'<a class="button" href="([^"]+\.xlsx[^"]*)"', page):
        href = html.unescape(href)
        found["ledger" if "ledger" in href else "excel"] = href
    assert set(found) == {"excel", "ledger"}, page
    return found


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


def excel_references(client, url) -> list[str]:
    rows = list(download(client, url).active.iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


def ledger_references(client, url) -> list[str]:
    found = []
    for sheet in download(client, url).worksheets:
        header, *rows = list(sheet.iter_rows(values_only=True))
        key = (PETITIONS.column("acceptance_number") if sheet.title == "信访件" else LEDGER.column("reference")).header
        found.extend(row[header.index(key)] for row in rows)
    return found


@pytest.mark.parametrize(
    "page, expected",
    [
        ("/overdue/?city=360400", ["JJ-LATE-1", "JJ-LATE-PETITION", "JJ-LATE-2"]),
        ("/acceptance/?city=360400", ["JJ-WAITING", "JJ-PUBLIC"]),
        ("/acceptance/", ["JJ-WAITING", "JJ-PUBLIC", "NC-WAITING"]),
        ("/cases/?city=360400&status=in_progress,assigned", ["JJ-LATE-1", "JJ-LATE-PETITION", "JJ-LATE-2", "JJ-OPEN"]),
        ("/overdue/?kind=petition", ["JJ-LATE-PETITION"]),
    ],
)
def test_both_exports_of_a_list_hold_exactly_the_rows_it_shows(client, supervisor, cases, page, expected):
    client.force_login(supervisor)
    response = client.get(page)
    shown = listed(response)
    assert sorted(shown) == sorted(expected)

    export = links(response)
    assert excel_references(client, export["excel"]) == shown  # same rows, same order
    assert sorted(ledger_references(client, export["ledger"])) == sorted(shown)


def test_an_officers_overdue_exports_hold_only_their_citys_overdue_cases(client, nanchang_officer, cases):
    client.force_login(nanchang_officer)
    response = client.get("/overdue/")
    assert listed(response) == ["NC-LATE"]
    export = links(response)
    assert excel_references(client, export["excel"]) == ["NC-LATE"]
    assert ledger_references(client, export["ledger"]) == ["NC-LATE"]


def test_a_county_bureau_has_no_acceptance_ledger(client, cases):
    client.force_login(UserFactory(username="xunyang", division_id="360403", city=None))
    assert client.get("/acceptance/ledger.xlsx").status_code == 403


def test_a_city_bureaus_acceptance_ledger_holds_only_what_waits_at_its_city(client, nanchang_officer, cases):
    """Nanchang's submitted case waits at the province: not in the city's queue nor its ledger."""
    client.force_login(nanchang_officer)
    response = client.get("/acceptance/")
    assert "NC-WAITING" not in listed(response)
    assert "NC-WAITING" not in ledger_references(client, "/acceptance/ledger.xlsx")


def test_a_bad_filter_exports_no_ledger(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get("/overdue/ledger.xlsx", {"status": "done"})
    assert response.status_code == 400
    assert "status" in response.context["filterset"].errors
