"""The at-risk list in a real browser: choosing a filter updates the rows in place and the address,
the export link follows the filter, and a header sorts."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as
from tests.scoring.page_data import score_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page):
    return page.locator("#account-rows tbody tr td:first-child")


def test_a_manager_filters_by_risk_level_and_sorts_by_risk(page, live_server, app_url, manager, own_account,
                                                           foreign_account):
    # Given a scored book: Lakeside at Medium risk (52), Harbor at Low (8)
    score_book(own_account, foreign_account)
    login_as(page, live_server, "morgan")
    page.goto(app_url("/accounts/"))
    expect(rows(page)).to_have_text(["Lakeside Family Practice", "Harbor Pediatrics"])  # riskiest first
    page.evaluate("window.marker = 'kept'")

    # When morgan picks "Low" in the Risk filter
    page.get_by_label("Risk", exact=True).select_option("Low")

    # Then only Harbor is listed, without a reload, and the address holds just that filter
    expect(rows(page)).to_have_text(["Harbor Pediatrics"])
    expect(page).to_have_url(app_url("/accounts/?risk_level=Low"))
    assert page.evaluate("window.marker") == "kept"
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", "/accounts/export.csv?risk_level=Low")

    # When morgan clears the filter and clicks the Risk header, the least risky comes first
    page.get_by_label("Risk", exact=True).select_option("")
    expect(rows(page)).to_have_count(2)
    page.locator("#account-rows thead").get_by_role("link", name="Risk").click()
    expect(rows(page)).to_have_text(["Harbor Pediatrics", "Lakeside Family Practice"])
    expect(page).to_have_url(app_url("/accounts/?ordering=-risk"))


def test_a_refused_search_says_why_in_the_page(page, live_server, app_url, manager, own_account, foreign_account):
    # Given the list, whose search box filters in place (HTMX)
    score_book(own_account, foreign_account)
    login_as(page, live_server, "morgan")
    page.goto(app_url("/accounts/"))
    expect(rows(page)).to_have_count(2)

    # When morgan pastes text holding a NUL character into the search box
    page.locator("#id_q").fill("Lake\u0000side")

    # Then the 400's sentence is shown at the top of the page (htmx-config's rule for 400s), the rows stay
    expect(page.locator("#refusal")).to_have_text("The parameter 'q' contains a NUL character (%00); remove it.")
    expect(rows(page)).to_have_count(2)
