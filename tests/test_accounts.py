"""Account rules of DESIGN section 4: lockout after repeated failures (a
cool-off, not forever) and deactivation taking effect at once."""

import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests.conftest import shanghai
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def try_login(username, password):
    request = RequestFactory().post("/login/")
    return authenticate(request=request, username=username, password=password)


def test_repeated_failed_logins_lock_the_account_for_a_cool_off(nanchang, settings):
    user = UserFactory(username="nanchang_clerk", city=nanchang)
    start = shanghai(2024, 3, 1, 9)
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            assert try_login("nanchang_clerk", "wrong") is None
        assert try_login("nanchang_clerk", PASSWORD) is None  # locked although the password is right
    with time_machine.travel(start + datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1), tick=False):
        assert try_login("nanchang_clerk", PASSWORD) == user


def test_a_few_mistakes_do_not_lock_the_account(nanchang, settings):
    user = UserFactory(username="careful", city=nanchang)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert try_login("careful", "wrong") is None
    assert try_login("careful", PASSWORD) == user


def test_one_account_locked_leaves_the_colleague_on_the_same_office_ip_alone(nanchang, settings):
    UserFactory(username="clumsy", city=nanchang)
    colleague = UserFactory(username="colleague", city=nanchang)
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        try_login("clumsy", "wrong")
    assert try_login("colleague", PASSWORD) == colleague


def test_a_deactivated_users_session_stops_working_at_once(client, cities):
    staff = UserFactory(username="staffer", role="supervisor", city=None, is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]
