"""A morning's work in a real browser on the demo book (issue 4): a manager reads the team view, the
Executive page and Drivers & insights with every chart drawn; a CSM works from My queue to the
at-risk list and an account. Then the same pages without JavaScript: plain links and forms, tables in
place of charts.

Screenshots of each page are saved under docs/screenshots/ (docs/pages.md shows them).
"""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from scoring.models import Snapshot
from scoring.services import latest_as_of
from tests.browser.helpers import login_as, open_from_menu
from tests.browser.test_scoring_pages import screenshot_path
from tests.db_snapshot import restore_tables
from tests.shared_book import demo_book_install
from workspace.demo.users import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAINTED = """(canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
}"""


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, bytes]:
    """The run's demo book (tests.shared_book), kept as every table's rows; the database is emptied again
    afterwards."""
    with django_db_blocker.unblock():
        saved = demo_book_install(tmp_path_factory)
        call_command("flush", interactive=False, verbosity=0)
    return saved


@pytest.fixture
def demo_book(transactional_db, seeded):
    """The seeded book, put back before each test (a live server's test empties the tables after it)."""
    restore_tables(seeded)


def expect_every_chart_drawn(page: Page, names: list[str]) -> None:
    for name in names:
        canvas = page.get_by_test_id(f"chart-{name}")
        expect(canvas).to_have_attribute("data-drawn", "true")
        assert canvas.evaluate(PAINTED) > 1000, f"the {name} chart is empty"  # bars, lines, axes, labels


def test_a_manager_reads_the_team_executive_and_drivers_pages(page, live_server, app_url, demo_book):
    login_as(page, live_server, "manager", DEMO_PASSWORD)

    # Home is the team view: one row per demo CSM with figures, then the accounts most at risk.
    expect(page.get_by_role("heading", level=1)).to_have_text("Team view")
    team = page.get_by_test_id("team")
    expect(team.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("at-risk").locator("tbody tr").first).to_be_visible()
    page.screenshot(path=screenshot_path("home-manager.png"), full_page=True)

    # Executive: the figures and every chart, drawn.
    open_from_menu(page, "Executive")
    expect(page.get_by_role("heading", level=1)).to_have_text("Executive")
    as_of = latest_as_of()
    high = Snapshot.objects.filter(as_of=as_of, account__churned=False, risk_level="High").count()
    scored = Snapshot.objects.filter(as_of=as_of, account__churned=False).count()
    expect(page.get_by_test_id("high-risk-share")).to_have_text(f"{round(100 * high / scored)}%")
    expect_every_chart_drawn(page, ["tiers", "churn", "tier-trend", "risk-trend", "arr-trend"])
    trend_dates = page.evaluate("() => Chart.getChart(document.querySelector('[data-chart=\"tier-trend\"]'))"
                                ".data.labels.length")
    assert trend_dates == Snapshot.objects.filter(as_of__gt=as_of - dt.timedelta(days=90)).dates("as_of", "day") \
        .count()
    expect(page.locator("[data-chart-table='tiers']")).to_be_hidden()  # folded under "Show the numbers"
    page.screenshot(path=screenshot_path("executive.png"), full_page=True)

    # Drivers & insights: risk by plan tier and segment, reasons and churn reason codes.
    open_from_menu(page, "Drivers & insights")
    expect_every_chart_drawn(page, ["plan-tier", "segment", "reasons", "churn-reasons"])
    page.get_by_text("Show the numbers").nth(2).click()
    expect(page.get_by_test_id("reasons").locator("tbody tr").first).to_be_visible()
    page.screenshot(path=screenshot_path("insights.png"), full_page=True)

    # Effectiveness: each playbook against its control group, from the demo's 182 days of history.
    open_from_menu(page, "Effectiveness")
    expect(page.get_by_test_id("effectiveness").locator("tbody tr").first).to_be_visible()
    expect_every_chart_drawn(page, ["churn", "outcomes"])
    page.screenshot(path=screenshot_path("effectiveness.png"), full_page=True)


def test_a_csm_works_from_the_queue_to_an_account(page, live_server, app_url, demo_book):
    login_as(page, live_server, "csm1", DEMO_PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_have_text("My queue")
    at_risk = page.get_by_test_id("at-risk").locator("tbody tr")
    expect(at_risk.first).to_be_visible()
    first_account = at_risk.first.get_by_role("link").inner_text()
    page.screenshot(path=screenshot_path("my-queue.png"), full_page=True)

    page.get_by_role("link", name="All accounts at High risk").click()
    expect(page).to_have_url(app_url("/accounts/?risk_level=High"))
    expect(page.locator("#account-rows tbody tr").first).to_contain_text(first_account)
    page.screenshot(path=screenshot_path("accounts.png"), full_page=True)

    page.locator("#account-rows tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_account)
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "true")
    page.screenshot(path=screenshot_path("account-360.png"), full_page=True)


def test_the_workspace_works_without_javascript(browser, live_server, app_url, demo_book):
    context = browser.new_context(java_script_enabled=False, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    try:
        login_as(page, live_server, "manager", DEMO_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Team view")

        # The at-risk list filters through the plain form and pages through plain links.
        page.goto(app_url("/accounts/"))
        page.get_by_label("Risk", exact=True).select_option("High")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(app_url("/accounts/?q=&risk_level=High&health_tier=&plan_tier=&segment=&csm="
                                         "&min_arr=&renewal_within=&churned=&expansion_ready=&ordering="))
        levels = page.locator("#account-rows tbody tr td:nth-child(4)")
        expect(levels.first).to_contain_text("High")
        assert all("High" in text for text in levels.all_inner_texts())

        # Account 360 shows the trend as a table; the dashboards show theirs as tables too.
        page.locator("#account-rows tbody tr").first.get_by_role("link").first.click()
        expect(page.get_by_test_id("trend-table")).to_be_visible()
        page.goto(app_url("/executive/"))
        expect(page.locator("[data-chart-table='tiers'] tbody tr")).to_have_count(5)
        expect(page.locator("[data-chart-table='tiers']")).to_be_visible()
        page.goto(app_url("/insights/"))
        expect(page.get_by_test_id("reasons")).to_be_visible()
    finally:
        context.close()
