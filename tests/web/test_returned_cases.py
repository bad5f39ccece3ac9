"""A case the supervisor returned says so, with the reason, at the top of
its page and in list rows, until the city submits it again."""

import pytest
import time_machine

from cases import workflow
from tests.conftest import shanghai
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(shanghai(2024, 3, 1, 10), tick=False):
        yield


@pytest.fixture
def returned_case(nanchang, nanchang_officer, supervisor):
    case = CaseFactory(city=nanchang, status="in_progress", reference="RET-1")
    workflow.transition(case=case, to="pending_acceptance", actor=nanchang_officer, note="已完成")
    workflow.transition(case=case, to="in_progress", actor=supervisor, note="缺少第三方监测报告")
    return case


def header(page: str) -> str:
    return page[page.index('<header class="case-head">') : page.index("</header>", page.index('<header class="case-head">'))]


def row_of(page: str, reference: str) -> str:
    start = page.index(f">{reference}</a>")
    return page[start : page.index("</tr>", start)]


def test_the_officer_sees_the_return_and_its_reason_at_the_top_of_the_page(client, nanchang_officer, returned_case):
    client.force_login(nanchang_officer)
    top = header(client.get(f"/cases/{returned_case.pk}/").content.decode())
    assert "已退回" in top and "缺少第三方监测报告" in top


def test_the_officers_list_marks_the_returned_row_with_its_reason(client, nanchang_officer, returned_case, nanchang):
    other = CaseFactory(city=nanchang, status="in_progress", reference="PLAIN-1")
    client.force_login(nanchang_officer)
    page = client.get("/cases/").content.decode()
    assert "已退回" in row_of(page, "RET-1") and "缺少第三方监测报告" in row_of(page, "RET-1")
    assert "已退回" not in row_of(page, other.reference)


def test_the_mark_goes_once_the_case_is_submitted_again(client, nanchang_officer, returned_case):
    workflow.transition(case=returned_case, to="pending_acceptance", actor=nanchang_officer, note="已补充报告")
    client.force_login(nanchang_officer)
    assert "已退回" not in header(client.get(f"/cases/{returned_case.pk}/").content.decode())
    assert "已退回" not in row_of(client.get("/cases/").content.decode(), "RET-1")


def test_a_reopened_case_is_not_called_returned(client, nanchang_officer, supervisor, nanchang):
    case = CaseFactory(city=nanchang, status="closed", reference="REOPEN-1")
    workflow.transition(case=case, to="in_progress", actor=supervisor, note="反弹回潮")
    client.force_login(nanchang_officer)
    assert "已退回" not in header(client.get(f"/cases/{case.pk}/").content.decode())


def test_the_list_asks_for_the_returns_of_a_page_in_one_query(client, nanchang_officer, nanchang, supervisor, django_assert_max_num_queries):
    for n in range(12):
        case = CaseFactory(city=nanchang, status="pending_acceptance")
        workflow.transition(case=case, to="in_progress", actor=supervisor, note=f"退回 {n}")
    client.force_login(nanchang_officer)
    client.get("/cases/")
    with django_assert_max_num_queries(12):
        page = client.get("/cases/").content.decode()
    assert page.count('class="mark returned"') == 12
