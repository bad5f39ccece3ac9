"""Every page fits the screen, on a phone (390×844) and on a laptop
(1366×768): nothing wider than the viewport, so nobody scrolls sideways.
On a phone the lists are rows showing status and deadline, the filters fold
away and a case page starts with the viewer's actions. Screenshots of each
page at each size go to test-output/layout/."""

import pytest

from tests.web.test_browser_acceptance import OUTPUT, browser_page, demo, log_in, log_out  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

# What sticks out past the right edge, to name it when a page overflows.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5 && !el.closest('.visually-hidden')) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
    // A box that scrolls sideways inside the page is sideways scrolling too.
    const overflowX = getComputedStyle(el).overflowX;
    if ((overflowX === 'auto' || overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} scrolls ${el.scrollWidth} in ${el.clientWidth}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


def fits(page, name: str, shot: str) -> list[str]:
    (OUTPUT / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "layout" / f"{name}-{shot}.png"), full_page=True)
    page.screenshot(path=str(OUTPUT / "layout" / f"{name}-{shot}-first-screen.png"))
    result = page.evaluate(OVERFLOW)
    if result["scroll"] > result["width"] or result["wide"]:
        return [f"{name}: {result['scroll']} px wide in {result['width']} ({', '.join(result['wide'])})"]
    return []


@pytest.fixture
def import_job(demo) -> int:
    """An import job with a report to show (a petition batch, dry run);
    made before the browser starts, whose event loop forbids the ORM."""
    from accounts.models import User
    from cases.models import Campaign
    from imports import services
    from tests.imports.conftest import PETITION_HEADER, csv_bytes, petition_row

    rows = [PETITION_HEADER] + [petition_row(n, f"X2JX2021041599{n:02d}") for n in range(1, 4)]
    job = services.start_import(
        actor=User.objects.get(username="supervisor"),
        data=csv_bytes(rows),
        filename="第三批信访件（合成数据）.csv",
        campaign_code=Campaign.objects.filter(kind="central").first().code,
        dry_run=True,
    )
    return job.pk


@pytest.fixture
def demo_round(demo) -> int:
    """The demo's dispatch round (read before the browser starts)."""
    from dispatch.models import Round

    return Round.objects.get().pk


@pytest.fixture
def long_term_case(demo) -> int:
    """An open long-term case with its yearly targets (阶段性目标), one missed."""
    from cases.models import Case

    return Case.objects.filter(deadline_type="long_term", status="in_progress", milestones__met_on__isnull=True).first().pk


def case_url(page, base, query: str) -> str:
    page.goto(f"{base}/cases/?{query}")
    return page.get_attribute("table.cases tbody tr:first-child td.ref a", "href")


@pytest.mark.parametrize(
    "size, language", [(PHONE, "zh-hans"), (LAPTOP, "zh-hans"), (PHONE, "en")], ids=["phone", "laptop", "phone-en"]
)
def test_no_page_is_wider_than_the_screen(demo, import_job, demo_round, long_term_case, live_server, browser_page, size, language):
    page, base = browser_page, live_server.url
    page.set_viewport_size(size)
    job = import_job
    problems = []

    def speak():
        # English words are longer: the same pages must fit in them too.
        # (Logging in applies the account's own language, so switch after.)
        if language != "zh-hans":
            page.click(f"form.language button[value={language}]")
            page.wait_for_load_state()

    page.goto(f"{base}/login/")
    speak()
    shot = str(size["width"]) if language == "zh-hans" else f"{size['width']}-{language}"
    problems += fits(page, "login", shot)

    log_in(page, base, "supervisor")
    speak()
    for name, path in (
        ("dashboard", "/dashboard/"),
        ("cases", "/cases/"),
        ("petitions", "/cases/?kind=petition&status=closed"),
        ("overdue", "/overdue/"),
        ("acceptance", "/acceptance/"),
        ("imports", "/imports/"),
        ("import-job", f"/imports/jobs/{job}/?outcome=all"),
        ("not-found", "/no-such-page/"),
        ("reports", "/reports/"),
        ("progress-report", "/reports/progress/"),
        ("disclosure", "/reports/disclosure/?campaign=central-2021-r2&batch=3"),
        ("overdue-ledger", "/overdue/print/"),
        ("dispatch", "/dispatch/"),
        ("dispatch-round", f"/dispatch/{demo_round}/"),
        ("long-term-case", f"/cases/{long_term_case}/"),
    ):
        page.goto(f"{base}{path}")
        problems += fits(page, name, shot)
    for name, query in (("case-petition", "kind=petition&status=pending_acceptance"), ("case-problem", "kind=feedback_problem&status=pending_acceptance")):
        page.goto(base + case_url(page, base, query))
        problems += fits(page, f"supervisor-{name}", shot)
    # The sign-off chain on the case page and the printable form, with
    # reviews, a publicity period and its objections.
    for status in ("closed", "in_publicity"):
        url = case_url(page, base, f"kind=feedback_problem&status={status}")
        for name, path in ((f"case-{status}", url), (f"sign-off-form-{status}", f"{url}sign-off/")):
            page.goto(base + path)
            problems += fits(page, name, shot)
    log_out(page)

    log_in(page, base, "jiujiang")
    speak()
    problems += fits(page, "officer-cases", shot)
    page.goto(base + case_url(page, base, "kind=feedback_problem&status=in_progress"))
    problems += fits(page, "officer-case", shot)
    page.goto(f"{base}/acceptance/")
    problems += fits(page, "forbidden", shot)
    assert not problems, "\n".join(problems)


def test_on_a_phone_lists_show_status_and_deadline_and_filters_fold_away(demo, live_server, browser_page):
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, "jiujiang")
    row = page.locator("table.cases tbody tr").first
    for cell in ("td.ref", "td.title", "td.deadline", "td.status-cell"):
        assert row.locator(cell).is_visible(), cell
    assert not page.locator("form.filters .filter-row").is_visible()
    page.click("form.filters summary")
    assert page.locator("#f-status").is_visible()


def test_on_a_phone_the_case_page_starts_with_the_officers_actions(demo, live_server, browser_page):
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, "jiujiang")
    page.goto(base + case_url(page, base, "kind=feedback_problem&status=in_progress"))
    tops = {
        action: page.locator(f"form[data-action={action}]").bounding_box()["y"]
        for action in ("progress", "evidence", "submit")
    }
    assert tops["progress"] < tops["evidence"] < tops["submit"]
    assert tops["progress"] < page.locator("#facts").bounding_box()["y"]
    assert tops["progress"] < 844  # on the first screen
