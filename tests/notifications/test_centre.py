"""The notification centre: every digest also shows in the site, with an
unread count in the header, links to the cases, mark as read; the same
through /api/v1/notifications/. One's own only: anyone else's is a 404."""

import datetime

import pytest
import time_machine

from notifications.models import Notification
from notifications.services import notify
from tests.conftest import shanghai, token_client

TODAY = datetime.date(2024, 3, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture
def digest_posted(run_day, nanchang, nanchang_officer, jiujiang_officer, overdue_case, jiujiang):
    """Nothing configured: the day's run puts each digest in the centre."""
    case = overdue_case(nanchang, TODAY, days=4, title="合成：南昌某河段黑臭水体")
    overdue_case(jiujiang, TODAY, days=4)
    with time_machine.travel(shanghai(2024, 3, 15, 9, 0), tick=False):
        run_day(TODAY)
    return case


def test_the_days_digest_is_in_the_centre_with_links_to_its_cases(client, digest_posted, nanchang_officer):
    client.force_login(nanchang_officer)
    page = client.get("/notifications/").content.decode()

    assert "合成：南昌某河段黑臭水体" in page
    assert f'href="/cases/{digest_posted.pk}/"' in page
    assert "2024-03-15 南昌市整改提醒" in page
    assert Notification.objects.get(recipient=nanchang_officer).url == "/overdue/?city=360100"


def test_the_header_counts_the_unread_and_marking_read_clears_it(client, digest_posted, nanchang_officer):
    client.force_login(nanchang_officer)
    assert '<span class="badge" title="未读">1</span>' in client.get("/cases/").content.decode()

    client.post("/notifications/read/", {"all": "1"})

    assert 'class="badge"' not in client.get("/cases/").content.decode()
    assert Notification.objects.get(recipient=nanchang_officer).read_at is not None


def test_opening_a_notification_marks_it_read_and_leads_to_its_list(client, digest_posted, nanchang_officer):
    notification = Notification.objects.get(recipient=nanchang_officer)
    client.force_login(nanchang_officer)

    response = client.get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302 and response["Location"] == "/overdue/?city=360100"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_accounts_notification_is_a_404_and_marking_it_changes_nothing(client, digest_posted, nanchang_officer, jiujiang_officer):
    theirs = Notification.objects.get(recipient=jiujiang_officer)
    client.force_login(nanchang_officer)

    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    client.post("/notifications/read/", {"id": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert str(theirs.title) not in client.get("/notifications/").content.decode()


def test_the_centre_needs_a_login(client):
    assert client.get("/notifications/").status_code == 302


def test_the_api_lists_ones_own_notifications_with_case_links(digest_posted, nanchang_officer, jiujiang_officer):
    api = token_client(nanchang_officer)

    body = api.get("/api/v1/notifications/").json()

    assert body["unread"] == 1
    [item] = body["results"]
    assert item["kind"] == "digest" and item["read_at"] is None
    assert {"id": digest_posted.pk, "url": f"/cases/{digest_posted.pk}/"}.items() <= item["cases"][0].items()
    theirs = Notification.objects.get(recipient=jiujiang_officer)
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404


def test_the_api_marks_read_only_ones_own(digest_posted, nanchang_officer, jiujiang_officer):
    mine = Notification.objects.get(recipient=nanchang_officer)
    theirs = Notification.objects.get(recipient=jiujiang_officer)

    answer = token_client(nanchang_officer).post("/api/v1/notifications/read/", {"ids": [mine.pk, theirs.pk]}, format="json")

    assert answer.json() == {"marked": 1, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_refuses_a_bad_page_marker_naming_the_field(nanchang_officer):
    answer = token_client(nanchang_officer).get("/api/v1/notifications/?before=abc")
    assert answer.status_code == 400 and answer.json()["field"] == "before"


def test_the_api_pages_from_newest_to_oldest(nanchang_officer):
    for n in range(5):
        notify(recipient_id=nanchang_officer.pk, kind="urging", key=f"k{n}", title=f"合成 {n}")
    api = token_client(nanchang_officer)

    first = api.get("/api/v1/notifications/?page_size=3").json()
    second = api.get(first["next"]).json()

    assert [n["title"] for n in first["results"]] == ["合成 4", "合成 3", "合成 2"]
    assert [n["title"] for n in second["results"]] == ["合成 1", "合成 0"] and second["next"] is None


def test_the_same_notification_written_twice_is_kept_once(nanchang_officer):
    notify(recipient_id=nanchang_officer.pk, kind="urging", key="urging:1", title="first")
    notify(recipient_id=nanchang_officer.pk, kind="urging", key="urging:1", title="second")
    assert list(Notification.objects.values_list("title", flat=True)) == ["first"]


def test_the_api_refuses_a_misspelt_parameter(nanchang_officer):
    answer = token_client(nanchang_officer).get("/api/v1/notifications/?unred=true")
    assert answer.status_code == 400 and answer.json()["field"] == "unred"


def test_the_api_refuses_an_id_beyond_the_database_naming_the_field(nanchang_officer):
    notify(recipient_id=nanchang_officer.pk, kind="urging", key="k", title="t")
    mine = Notification.objects.get()
    answer = token_client(nanchang_officer).post("/api/v1/notifications/read/", {"ids": [mine.pk, 2**70]}, format="json")
    assert answer.status_code == 400 and answer.json()["field"].startswith("ids")
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_api_refuses_ids_that_only_read_like_numbers(nanchang_officer):
    notify(recipient_id=nanchang_officer.pk, kind="urging", key="k", title="t")
    mine = Notification.objects.get()
    answer = token_client(nanchang_officer).post("/api/v1/notifications/read/", {"ids": [str(mine.pk)]}, format="json")
    assert answer.status_code == 400 and answer.json()["field"].startswith("ids")
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_api_pages_only_within_the_documented_bounds(nanchang_officer):
    api = token_client(nanchang_officer)
    assert api.get("/api/v1/notifications/?page_size=0").status_code == 400
    assert api.get(f"/api/v1/notifications/?before={2**70}").json()["field"] == "before"
    assert api.get("/api/v1/notifications/?unread=false").json()["field"] == "unread"
    assert api.get("/api/v1/notifications/?unread=&before=").status_code == 200
