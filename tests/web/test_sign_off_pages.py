"""The sign-off chain as people read it (issue 14 point 7): the case page
shows each level's signed reviews, where the case waits now and the
publicity period in working days with its objections; the printable
验收销号审批表 carries the facts, the evidence standards ticked and every
opinion in order with its signer and date, to print or as a Word document,
only for accounts that may see the case."""

import io
import re

import pytest
import time_machine
from docx import Document

from cases import workflow
from cases.models import Review
from tests.conftest import shanghai
from tests.factories import CampaignFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, tags dropped and spaces folded."""
    assert response.status_code == 200
    body = response.content.decode().split("<main", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def reviewers(jiujiang):
    return {
        "officer": UserFactory(username="jj-bureau", first_name="李科长", city=jiujiang),
        "supervisor": UserFactory(username="prov-sup", first_name="王督察", role="supervisor", city=None),
    }


def walk(case, steps):
    """Each (day, actor, action, fields) through the workflow on its day."""
    for when, actor, action, fields in steps:
        with time_machine.travel(when, tick=False):
            workflow.transition(case=case, action=action, actor=actor, **fields)
        case.refresh_from_db()
    return case


@pytest.fixture
def walked(jiujiang, reviewers):
    """A Jiujiang case submitted, returned by the province, resubmitted, put
    in publicity on Wednesday 30 September 2026 (five working days: to
    Tuesday 13 October, across National Day and its make-up Saturday), an
    objection received, resubmitted and put in publicity again."""
    campaign = CampaignFactory(code="chain-pages", standards_required=True, allow_acceptance_without_evidence=True)
    codes = [s.code for s in workflow.standards_to_tick(campaign)]
    case = CaseFactory(
        reference="JJ-2026-07", title="某化工园区污水直排", division_id="360400", campaign=campaign, status="in_progress",
        measures="截断排污口，建设园区污水处理厂", target="园区污水全收集全处理",
    )  # fmt: skip
    officer, supervisor = reviewers["officer"], reviewers["supervisor"]
    return walk(
        case,
        [
            (shanghai(2026, 9, 21, 9), officer, "submit", {"note": "排污口已截断"}),
            (shanghai(2026, 9, 22, 9), supervisor, "return", {"note": "缺少第三方监测报告"}),
            (shanghai(2026, 9, 24, 9), officer, "submit", {"note": "已补充监测报告"}),
            (shanghai(2026, 9, 30, 9), supervisor, "publicize", {"note": "整改到位，同意公示", "standards": codes}),
        ],
    )


@time_machine.travel(shanghai(2026, 10, 9, 10), tick=False)
def test_the_case_page_shows_the_chain_who_signed_what_and_where_it_waits(client, walked, reviewers):
    client.force_login(reviewers["officer"])
    page = text(client.get(f"/cases/{walked.pk}/"))
    chain = page.split("验收销号流程", 1)[1].split("办理记录", 1)[0]
    assert "公示中；公示期满后由省级验收销号" in chain
    # The submission, then the province's reviews in order, each signed.
    order = [chain.index(part) for part in ("已补充监测报告", "缺少第三方监测报告", "整改到位，同意公示")]
    assert order[0] < order[1] < order[2]
    assert "2026-09-22" in chain and "王督察" in chain and "退回下级" in chain
    # Publicity in working days, running on 9 October.
    assert "2026-09-30 至 2026-10-13（5 个工作日）" in chain and "公示中" in chain
    assert "未收到异议" in chain


def test_an_objection_shows_with_its_reception_and_returns_the_case(client, walked, reviewers):
    with time_machine.travel(shanghai(2026, 10, 9, 15), tick=False):
        workflow.transition(
            case=walked, action="object", actor=reviewers["supervisor"], note="群众反映夜间仍有偷排", received_on="2026-10-08", channel="电话",
        )  # fmt: skip
        client.force_login(reviewers["supervisor"])
        page = text(client.get(f"/cases/{walked.pk}/"))
    objections = page.split("公示", 1)[1]
    assert "异议" in objections and "2026-10-08" in objections and "电话" in objections and "群众反映夜间仍有偷排" in objections
    assert "当前未报送验收" in page  # back with the side that rectifies


@time_machine.travel(shanghai(2026, 10, 9, 10), tick=False)
def test_the_case_page_links_its_printable_form(client, walked, reviewers):
    client.force_login(reviewers["officer"])
    assert f'href="/cases/{walked.pk}/sign-off/"' in client.get(f"/cases/{walked.pk}/").content.decode()


@pytest.fixture
def closed(walked, reviewers):
    """The same case closed by the province after its publicity ended."""
    return walk(walked, [(shanghai(2026, 10, 14, 9), reviewers["supervisor"], "close", {"note": "公示期满无异议，同意销号"})])


def form_opinions(page: str) -> list[str]:
    return re.findall(r'<tr class="opinion" data-testid="opinion">(.*?)</tr>', page, flags=re.S)


@time_machine.travel(shanghai(2026, 10, 15, 10), tick=False)
def test_the_printed_form_carries_the_facts_standards_and_each_opinion_in_order(client, closed, reviewers):
    client.force_login(reviewers["officer"])
    response = client.get(f"/cases/{closed.pk}/sign-off/")
    page = response.content.decode()
    words = text(response)
    assert "验收销号审批表" in words
    for fact in ("JJ-2026-07", "某化工园区污水直排", "九江市", "截断排污口，建设园区污水处理厂", "园区污水全收集全处理"):
        assert fact in words
    standards = re.search(r'data-testid="standards">(.*?)</ul>', page, flags=re.S).group(1)
    assert standards.count('class="ticked"') == 5 and "整改措施全部落实" in standards and "unticked" not in standards
    blocks = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)) for block in form_opinions(page)]
    assert len(blocks) == 2  # the submission, then the province (a city-level case)
    submission, province = blocks
    assert "自查" in submission and "已补充监测报告" in submission and "李科长" in submission and "2026-09-24" in submission
    assert "省级" in province and "王督察" in province and "2026-10-14" in province
    signed = [province.index(part) for part in ("缺少第三方监测报告", "整改到位，同意公示", "公示期满无异议，同意销号")]
    assert signed == sorted(signed)
    assert "2026-09-30 至 2026-10-13（5 个工作日）" in words


@time_machine.travel(shanghai(2026, 10, 15, 10), tick=False)
def test_a_case_not_yet_reviewed_prints_blank_lines_to_sign(client, jiujiang, reviewers):
    case = CaseFactory(reference="JJ-NEW", division_id="360400", status="in_progress")
    client.force_login(reviewers["officer"])
    page = client.get(f"/cases/{case.pk}/sign-off/").content.decode()
    province = form_opinions(page)[1]
    assert 'class="signer"></span>' in province and "sign-line short" in province


@time_machine.travel(shanghai(2026, 10, 15, 10), tick=False)
def test_the_word_form_holds_the_same_opinions_in_order(client, closed, reviewers):
    client.force_login(reviewers["supervisor"])
    response = client.get(f"/cases/{closed.pk}/sign-off.docx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    document = Document(io.BytesIO(b"".join(response.streaming_content)))
    assert document.paragraphs[0].text == "验收销号审批表"
    cells = [row.cells[1].text for row in document.tables[0].rows]
    body = "\n".join(cells)
    assert "JJ-2026-07" in body and "☑ 整改措施全部落实" in body
    signed = [body.index(part) for part in ("已补充监测报告", "缺少第三方监测报告", "整改到位，同意公示", "公示期满无异议，同意销号")]
    assert signed == sorted(signed)
    assert "签字：王督察" in body and "2026-10-14" in body


@time_machine.travel(shanghai(2026, 10, 15, 10), tick=False)
@pytest.mark.parametrize("path", ["sign-off/", "sign-off.docx"])
def test_only_accounts_that_see_the_case_get_its_form(client, closed, reviewers, nanchang_officer, path):
    client.force_login(nanchang_officer)
    assert client.get(f"/cases/{closed.pk}/{path}").status_code == 404
    client.force_login(UserFactory(username="lianxi", division_id="360402", city=None))  # a county of Jiujiang
    assert client.get(f"/cases/{closed.pk}/{path}").status_code == 404
    for allowed in (reviewers["officer"], reviewers["supervisor"]):
        client.force_login(allowed)
        assert client.get(f"/cases/{closed.pk}/{path}").status_code == 200
    client.logout()
    assert client.get(f"/cases/{closed.pk}/{path}").status_code == 302


def test_reviews_are_read_in_a_fixed_number_of_queries(client, closed, reviewers, django_assert_max_num_queries):
    """The chain costs the same whatever the case's history."""
    client.force_login(reviewers["supervisor"])
    with django_assert_max_num_queries(40) as before:
        client.get(f"/cases/{closed.pk}/sign-off/")
    Review.objects.bulk_create(
        [Review(case=closed, level="province", result="returned", opinion=f"补充 {n}", version=100 + n) for n in range(10)]
    )
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(f"/cases/{closed.pk}/sign-off/")


def test_a_submitted_case_says_which_level_it_waits_at(client, jiujiang, reviewers):
    case = CaseFactory(division_id="360400", status="in_progress")
    walk(case, [(shanghai(2026, 9, 21, 9), reviewers["officer"], "submit", {"note": "整改完成"})])
    client.force_login(reviewers["officer"])
    chain = text(client.get(f"/cases/{case.pk}/")).split("验收销号流程", 1)[1].split("办理记录", 1)[0]
    assert "等待省级审核" in chain and "本级尚未签署意见" in chain


def test_a_publicity_ended_without_objection_says_the_case_is_ready_for_sign_off(client, walked, reviewers):
    type(walked).objects.filter(pk=walked.pk).update(ready_for_sign_off_on="2026-10-14")
    with time_machine.travel(shanghai(2026, 10, 14, 10), tick=False):
        client.force_login(reviewers["supervisor"])
        page = text(client.get(f"/cases/{walked.pk}/"))
    assert "公示期满无异议，自 2026-10-14 起可验收销号" in page
