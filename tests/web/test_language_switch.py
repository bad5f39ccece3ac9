"""Chinese by default, English on request, and the choice is remembered."""

import pytest
from django.conf import settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_pages_are_in_chinese_by_default(client):
    response = client.get("/login/")
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "登录" in response.content.decode()


def test_switching_to_english_is_remembered_for_the_next_pages(client):
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_the_choice_follows_the_account_to_a_new_browser(client, nanchang_officer, django_user_model):
    client.force_login(nanchang_officer)
    client.post("/language/", {"language": "en", "next": "/cases/"})
    assert django_user_model.objects.get(pk=nanchang_officer.pk).language == "en"

    client.logout()
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    response = client.post("/login/", {"username": nanchang_officer.username, "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_an_unknown_language_changes_nothing(client, nanchang_officer, django_user_model):
    client.force_login(nanchang_officer)
    client.post("/language/", {"language": "xx", "next": "/cases/"})
    assert django_user_model.objects.get(pk=nanchang_officer.pk).language == "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/cases/").content.decode()
