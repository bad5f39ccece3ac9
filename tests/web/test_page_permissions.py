"""Every page for every role: anonymous visitors go to the login page, an
officer sees only their own city (another city's case is a 404, never a
403), supervisors see the province."""

import pytest

from cases.services import attach_evidence
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "/",
    "/dashboard/",
    "/cases/",
    "/overdue/",
    "/cases/export.xlsx",
    "/overdue/export.xlsx",
    "/cases/ledger.xlsx",
    "/overdue/ledger.xlsx",
]
SUPERVISOR_PAGES = ["/acceptance/", "/acceptance/export.xlsx", "/acceptance/ledger.xlsx"]


@pytest.fixture
def evidence(nanchang_case, nanchang_officer):
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 synthetic", content_type="application/pdf")
    return attach_evidence(case=nanchang_case, actor=nanchang_officer, upload=upload)


def case_pages(case, evidence=None):
    pages = [f"/cases/{case.pk}/"]
    if evidence is not None:
        pages.append(f"/cases/{case.pk}/evidence/{evidence.pk}/")
    return pages


@pytest.mark.parametrize("url", LIST_PAGES + SUPERVISOR_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_visitors_cannot_open_a_case_or_its_evidence(client, nanchang_case, evidence):
    for url in case_pages(nanchang_case, evidence):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_anonymous_visitors_cannot_post_an_action(client, nanchang_case):
    response = client.post(f"/cases/{nanchang_case.pk}/transition/", {"to": "pending_acceptance"})
    assert response.status_code == 302
    nanchang_case.refresh_from_db()
    assert nanchang_case.status == "in_progress"


@pytest.mark.parametrize("url", LIST_PAGES)
def test_officers_and_supervisors_open_the_list_pages(client, nanchang_officer, supervisor, url):
    for user in (nanchang_officer, supervisor):
        client.force_login(user)
        assert client.get(url, follow=True).status_code == 200


@pytest.mark.parametrize("url", SUPERVISOR_PAGES)
def test_only_reviewing_levels_have_a_review_queue(client, nanchang_officer, supervisor, url):
    client.force_login(UserFactory(username="xunyang", division_id="360403", city=None))
    assert client.get(url).status_code == 403
    for reviewer in (nanchang_officer, supervisor):
        client.force_login(reviewer)
        assert client.get(url).status_code == 200


def test_an_officer_opens_their_own_citys_case_and_evidence(client, nanchang_officer, nanchang_case, evidence):
    client.force_login(nanchang_officer)
    for url in case_pages(nanchang_case, evidence):
        assert client.get(url).status_code == 200


def test_another_citys_case_and_evidence_are_not_found_for_an_officer(
    client, jiujiang_officer, nanchang_case, evidence
):
    client.force_login(jiujiang_officer)
    for url in case_pages(nanchang_case, evidence):
        assert client.get(url).status_code == 404


def test_another_citys_case_cannot_be_acted_on_by_an_officer(client, jiujiang_officer, nanchang_case):
    client.force_login(jiujiang_officer)
    urls = ["transition/", "progress/", "evidence/"]
    for url in urls:
        assert client.post(f"/cases/{nanchang_case.pk}/{url}", {"to": "pending_acceptance"}).status_code == 404
    nanchang_case.refresh_from_db()
    assert nanchang_case.version == 1


def test_a_supervisor_opens_any_citys_case_and_evidence(client, supervisor, nanchang_case, jiujiang_case, evidence):
    client.force_login(supervisor)
    for url in case_pages(nanchang_case, evidence) + case_pages(jiujiang_case):
        assert client.get(url).status_code == 200


def test_evidence_is_found_only_under_its_own_case(client, supervisor, jiujiang_case, evidence):
    client.force_login(supervisor)
    assert client.get(f"/cases/{jiujiang_case.pk}/evidence/{evidence.pk}/").status_code == 404


def test_evidence_downloads_as_the_file_that_was_uploaded(client, nanchang_officer, nanchang_case, evidence):
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{nanchang_case.pk}/evidence/{evidence.pk}/")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 synthetic"
    assert 'filename="report.pdf"' in response["Content-Disposition"]


def test_an_officer_lists_only_their_own_citys_cases(client, nanchang_officer, nanchang_case, jiujiang_case):
    client.force_login(nanchang_officer)
    page = client.get("/cases/").content.decode()
    assert nanchang_case.reference in page
    assert jiujiang_case.reference not in page


def test_an_officer_asking_for_another_city_gets_an_empty_list(client, nanchang_officer, jiujiang_case):
    client.force_login(nanchang_officer)
    response = client.get("/cases/", {"city": jiujiang_case.city_id})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
