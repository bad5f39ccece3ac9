"""Every list prints as a ledger: a title row (list, campaign, division,
date), the list's rows in its order, a 合计 row; within the viewer's scope."""

import datetime

import pytest
import time_machine

from cases.models import Case
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


@pytest.fixture
def cases(nanchang, jiujiang):
    campaign = CampaignFactory()
    return [
        CaseFactory(campaign=campaign, city=nanchang, status="in_progress", deadline=datetime.date(2024, 2, 1),
                    title="南昌逾期问题，电话13812345678（合成数据）"),  # fmt: skip
        CaseFactory(campaign=campaign, city=nanchang, status="assigned", deadline=datetime.date(2024, 2, 20)),
        CaseFactory(campaign=campaign, city=nanchang, status="closed"),
        CaseFactory(campaign=campaign, city=jiujiang, status="in_progress", deadline=datetime.date(2024, 1, 1)),
    ]


def test_the_overdue_list_prints_with_its_title_row_rows_and_total(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get("/overdue/print/", {"city": "360100", "campaign": "test-central-2"})
    assert response.status_code == 200
    page = response.content.decode()
    title = response.context["title"]
    assert str(title) in page and "南昌市" in page and "2024-03-01" in page and "第二轮中央生态环境保护督察（测试）" in page
    expected = list(Case.objects.overdue(TODAY).filter(city_id="360100").order_by("deadline").values_list("reference", flat=True))
    assert [row[1] for row in response.context["rows"]] == expected
    assert [row[8] for row in response.context["rows"]] == [29, 10]
    assert response.context["total"] == 2 and "合计" in page
    assert "138****5678" in page and "13812345678" not in page


def test_an_officer_prints_only_their_city(client, jiujiang_officer, cases):
    client.force_login(jiujiang_officer)
    response = client.get("/cases/print/")
    assert response.status_code == 200
    assert [row[1] for row in response.context["rows"]] == [cases[3].reference]
    assert response.context["division"] == "九江市"
    assert cases[0].reference not in response.content.decode()


def test_a_long_list_says_how_many_it_leaves_out(client, supervisor, cases, monkeypatch):
    monkeypatch.setattr("reports.ledger.PRINT_LIMIT", 2)
    client.force_login(supervisor)
    response = client.get("/cases/print/")
    assert len(response.context["rows"]) == 2 and response.context["total"] == 4 and response.context["limited"]


def test_the_list_page_links_its_printable_ledger(client, supervisor, cases):
    client.force_login(supervisor)
    assert 'href="/overdue/print/?city=360100"' in client.get("/overdue/", {"city": "360100"}).content.decode()
