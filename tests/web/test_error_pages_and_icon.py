"""The demo (DEBUG on) shows the project's own error pages, never Django's
technical ones, and the icon every browser asks for is there."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_debug(settings):
    settings.DEBUG = True


def test_a_missing_page_in_the_demo_is_the_projects_404_not_the_url_list(client, supervisor, demo_debug):
    client.force_login(supervisor)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "返回首页" in page and "URLconf" not in page and "api/" not in page


def test_a_case_outside_the_boundary_in_the_demo_is_the_projects_404(client, nanchang_officer, jiujiang_case, demo_debug):
    client.force_login(nanchang_officer)
    response = client.get(f"/cases/{jiujiang_case.pk}/")
    assert response.status_code == 404
    assert "返回首页" in response.content.decode() and "Traceback" not in response.content.decode()


def test_a_page_refused_in_the_demo_is_the_projects_403(client, demo_debug):
    client.force_login(UserFactory(username="xunyang", division_id="360403", city=None))
    response = client.get("/acceptance/")
    assert response.status_code == 403
    assert "只有审核层级（市级主管部门、省级办公室）有待审核队列" in response.content.decode()


def test_an_error_in_the_demo_is_the_projects_500_and_is_logged(client, supervisor, demo_debug, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("statistics unavailable")

    monkeypatch.setattr("web.views.dashboard.case_statistics", broken)
    client.force_login(supervisor)
    client.raise_request_exception = False
    response = client.get("/dashboard/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器错误" in page and "statistics unavailable" not in page
    assert "statistics unavailable" in caplog.text


def test_the_api_keeps_its_own_answers_in_the_demo(client, supervisor, demo_debug):
    client.force_login(supervisor)
    assert "返回首页" not in client.get("/api/v1/no-such-endpoint/").content.decode()


def test_a_missing_slash_still_redirects_in_the_demo(client, supervisor, demo_debug):
    client.force_login(supervisor)
    response = client.get("/overdue")
    assert response.status_code == 301 and response["Location"] == "/overdue/"


def test_the_production_500_page_is_the_projects_too(client, supervisor, monkeypatch):
    monkeypatch.setattr("web.views.dashboard.case_statistics", lambda **kwargs: 1 / 0)
    client.force_login(supervisor)
    client.raise_request_exception = False
    response = client.get("/dashboard/")
    assert response.status_code == 500 and "服务器错误" in response.content.decode()


def test_the_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
