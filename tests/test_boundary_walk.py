"""Every URL of the API and the pages, walked as a county officer, an
officer of another city, a unit account and the supervisor: a case outside
the account's scope is a 404 wherever a URL names it, and no list, export,
feed or figure holds one.

The URLs come from the URL configuration itself, so a new endpoint is
walked without this file changing: one that names a case (``<int:pk>``)
must answer 404 outside the scope, one that does not must not show an
out-of-scope case's reference."""

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from cases.models import Attachment, Case, Milestone, Unit
from cases.services import attach_evidence
from tests.factories import CaseFactory, UserFactory

# Under these prefixes nothing is about cases, or it is for administrators.
SKIPPED = ("admin/", "i18n/", "healthz", "api/schema", "api/docs", "login/", "logout/", "language/", "favicon.ico")
EMPTY = object()


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route.lstrip("^").rstrip("$")


def routes():
    found = [route for route in _patterns() if not route.startswith(SKIPPED)]
    assert any("cases/<int:pk>" in route for route in found) and any("export" in route for route in found)
    return found


@pytest.fixture
def world(db, cities, supervisor):
    housing = Unit.objects.create(name="九江市住房和城乡建设局", division_id="360400", kind="bureau")
    made = {
        # reference: (division, lead unit, cooperating)
        "REFXUNYANG": CaseFactory(division_id="360403", reference="REFXUNYANG", deadline_type="dated"),
        "REFLIANXI": CaseFactory(division_id="360402", reference="REFLIANXI", status="in_progress"),
        "REFJIUJIANG": CaseFactory(division_id="360400", reference="REFJIUJIANG", lead_unit=housing),
        "REFNANCHANG": CaseFactory(division_id="360112", reference="REFNANCHANG", status="pending_acceptance"),
        "REFPROVINCE": CaseFactory(division_id="360000", reference="REFPROVINCE"),
    }
    made["REFLIANXI"].cooperating_units.add(housing)
    for case in made.values():
        upload = SimpleUploadedFile("evidence.txt", f"evidence of {case.reference}".encode(), content_type="text/plain")
        attach_evidence(case=case, actor=supervisor, upload=upload, note="")
    accounts = {
        "county": UserFactory(username="jiujiang-xunyang", division_id="360403", city=None, email="xy@example.test"),
        "other_city": UserFactory(username="nc_officer", role="officer", division_id="360100", city=None),
        "unit": UserFactory(username="jj-housing", division_id="360400", unit=housing, city=None),
        "supervisor": supervisor,
    }
    scopes = {
        "county": {"REFXUNYANG"},
        "other_city": {"REFNANCHANG"},
        "unit": {"REFJIUJIANG", "REFLIANXI"},
        "supervisor": set(made),
    }
    return {"cases": {r: Case.objects.get(reference=r) for r in made}, "accounts": accounts, "scopes": scopes}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    client.force_authenticate(user=user)
    return client


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # a workbook or a Word document: the text of every part
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")


def _fill(route: str, case: Case) -> str:
    attachment = Attachment.objects.filter(case=case).first()
    milestone, _made = Milestone.objects.get_or_create(case=case, defaults={"due_on": "2030-12-31", "target": "合成目标"})
    route = route.replace("<int:pk>", str(case.pk)).replace("<int:attachment_id>", str(attachment.pk))
    return "/" + route.replace("<int:mid>", str(milestone.pk))


@pytest.mark.parametrize("who", ["county", "other_city", "unit", "supervisor"])
def test_every_url_naming_a_case_is_404_outside_the_scope(world, who):
    client = _client(world["accounts"][who])
    scope = world["scopes"][who]
    walked = 0
    for route in routes():
        if "cases/<int:pk>" not in route:
            continue  # a pk of something else (an import job, a notification, an urging)
        for reference, case in world["cases"].items():
            url = _fill(route, case)
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url, {}, format="json")
            if response.status_code == 405:
                response = client.patch(url, {}, format="json")
            walked += 1
            if reference in scope:
                assert response.status_code != 404, (who, url)
            else:
                assert response.status_code == 404, (who, url, response.status_code)
    assert walked >= 5 * 8


@pytest.mark.parametrize("who", ["county", "other_city", "unit", "supervisor"])
def test_no_list_export_feed_or_figure_holds_a_case_outside_the_scope(world, who):
    client = _client(world["accounts"][who])
    scope = world["scopes"][who]
    outside = set(world["cases"]) - scope
    for route in routes():
        if "<" in route:
            continue
        response = client.get("/" + route)
        if response.status_code in (400, 403, 405):
            continue  # needs parameters (a report's batch), not this account's page, or not a GET
        assert response.status_code in (200, 302), (who, route, response.status_code)
        text = _text(response)
        shown = set(re.findall(r"REF[A-Z]+", text))
        assert not shown & outside, (who, route, shown & outside)


@pytest.mark.parametrize("who", ["county", "other_city", "unit", "supervisor"])
def test_the_lists_hold_exactly_the_scope(world, who):
    client = _client(world["accounts"][who])
    body = client.get("/api/v1/cases/", {"page_size": 200}).json()
    assert {row["reference"] for row in body["results"]} == world["scopes"][who]
    stats = client.get("/api/v1/stats/").json()
    assert sum(row["total"] for row in stats["by_kind"]) == len(world["scopes"][who])


# Committed: on PostgreSQL the change feed shows only settled transactions.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["county", "other_city", "unit", "supervisor"])
def test_the_feed_holds_exactly_the_scope(world, who):
    # The feed holds back changes while any older transaction of the server
    # still runs (cases/feed.py): ask until they are settled.
    deadline = time.monotonic() + 60
    while True:
        feed = _client(world["accounts"][who]).get("/api/v1/changes/").json()
        shown = {row["case"]["reference"] for row in feed["results"] if row["case"]}
        if shown or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert shown == world["scopes"][who]


@pytest.mark.django_db(transaction=True)
def test_a_case_that_leaves_a_county_reaches_the_county_as_gone(world):
    county = _client(world["accounts"]["county"])
    first = county.get("/api/v1/changes/").json()
    case = world["cases"]["REFXUNYANG"]
    Case.objects.filter(pk=case.pk).update(division_id="360402", version=case.version + 1)
    deadline = time.monotonic() + 60  # until the update is settled (see above)
    while not (after := county.get("/api/v1/changes/", {"cursor": first["cursor"]}).json()["results"]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [(row["id"], row["case"], row["left_scope"]) for row in after] == [(case.pk, None, True)]
    # The city still holds it: for its bureau it is a change, not a departure.
    city = _client(UserFactory(username="jj_city", role="officer", division_id="360400", city=None))
    rows = city.get("/api/v1/changes/").json()["results"]
    assert [row["case"]["division"] for row in rows if row["id"] == case.pk] == ["360402"]
