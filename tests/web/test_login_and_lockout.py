"""Logging in and out, where each role lands, and the lockout message."""

import pytest
from django.test import override_settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_is_the_only_page_an_anonymous_visitor_sees(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_a_supervisor_lands_on_the_dashboard(client, supervisor):
    response = client.post("/login/", {"username": supervisor.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"


def test_an_officer_lands_on_their_citys_case_list(client, nanchang_officer):
    response = client.post("/login/", {"username": nanchang_officer.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/cases/"


def test_a_wrong_password_is_refused_with_a_message(client, nanchang_officer):
    response = client.post("/login/", {"username": nanchang_officer.username, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_locked_account_is_told_so_on_the_login_page_even_with_the_right_password(client, nanchang_officer):
    for _attempt in range(3):
        client.post("/login/", {"username": nanchang_officer.username, "password": "wrong"})
    response = client.post("/login/", {"username": nanchang_officer.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert response.context["locked_out"] is True
    page = response.content.decode()
    assert 'name="username"' in page  # still the login page, not a bare error
    assert "15" in page  # the cool-off, in minutes


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lockout_does_not_touch_other_accounts(client, nanchang_officer, jiujiang_officer):
    for _attempt in range(3):
        client.post("/login/", {"username": nanchang_officer.username, "password": "wrong"})
    response = client.post("/login/", {"username": jiujiang_officer.username, "password": PASSWORD})
    assert response.status_code == 302


def test_logging_out_ends_the_session(login, nanchang_officer):
    client = login(nanchang_officer)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/cases/").status_code == 302


def test_a_deactivated_user_is_locked_out_of_the_pages_at_once(login, nanchang_officer):
    client = login(nanchang_officer)
    nanchang_officer.is_active = False
    nanchang_officer.save()
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
