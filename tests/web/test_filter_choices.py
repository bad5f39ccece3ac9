"""The filter form offers only choices that can list something on its page,
in the words of the chosen kind, and no select reads "---------"."""

import re

import pytest

from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def options(page: str, select_id: str) -> dict[str, str]:
    select = re.search(rf'<select[^>]* id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    if select is None:
        return {}
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_the_case_list_offers_every_status_and_both_overdue_answers(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/cases/").content.decode()
    assert set(options(page, "f-status")) == {"", "assigned", "in_progress", "pending_acceptance", "in_publicity", "closed"}
    assert set(options(page, "f-overdue")) == {"", "true", "false"}


def test_the_overdue_page_offers_no_status_or_answer_that_lists_nothing(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/overdue/").content.decode()
    assert set(options(page, "f-status")) == {"", "assigned", "in_progress"}
    assert options(page, "f-overdue") == {}  # every case here is overdue


def test_the_acceptance_page_does_not_offer_assigned(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/acceptance/").content.decode()
    assert set(options(page, "f-status")) == {"", "pending_acceptance", "in_publicity"}
    assert options(page, "f-overdue") == {}


def test_status_choices_read_in_the_chosen_kinds_words(client, supervisor):
    client.force_login(supervisor)
    petitions = options(client.get("/cases/?kind=petition").content.decode(), "f-status")
    assert (petitions["in_progress"], petitions["pending_acceptance"], petitions["closed"]) == ("办理中", "待审核", "已办结")
    problems = options(client.get("/cases/?kind=feedback_problem").content.decode(), "f-status")
    assert (problems["in_progress"], problems["pending_acceptance"], problems["closed"]) == ("整改中", "待验收", "已销号")
    any_kind = options(client.get("/cases/").content.decode(), "f-status")
    assert any_kind["in_progress"] == "整改中 / 办理中"


def test_no_select_shows_dashes(client, supervisor, nanchang):
    petition = PetitionFactory(city=nanchang, status="in_progress", veracity="")
    client.force_login(supervisor)
    for url in ("/cases/", "/overdue/", "/acceptance/", f"/cases/{petition.pk}/", "/imports/"):
        page = client.get(url).content.decode()
        assert "-----" not in page, url
    page = client.get(f"/cases/{petition.pk}/").content.decode()
    assert options(page, "id_progress-veracity")[""] == "未填写"
