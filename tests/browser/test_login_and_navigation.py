"""Logging in, moving around by role, searching accounts with HTMX, and the log-in lockout,
as a user sees them in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import login_as, submit_login_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRONG_PASSWORD = "not the password"
BAD_CREDENTIALS = "Your user name and password did not match. Please try again."


def main_nav_links(page: Page):
    return page.get_by_role("navigation", name="Main").get_by_role("link")


def account_rows(page: Page):
    return page.locator("#account-rows tbody tr")


def test_a_csm_sees_only_their_own_book_and_can_log_out(page, live_server, app_url, csm, own_account, foreign_account):
    # Given casey (a CSM) owns Lakeside and robin owns Harbor
    # When casey logs in through the form
    login_as(page, live_server, "casey")

    # Then casey lands on home, named in the top bar, with one account and no Import link
    expect(page).to_have_url(app_url("/"))
    expect(page.get_by_test_id("current-user")).to_have_text(f"{csm.get_full_name()} · CSM")
    expect(page.get_by_test_id("account-count")).to_have_text("1")
    expect(main_nav_links(page)).to_have_text(["Home", "Accounts", "Tasks", "Alerts", "Digest",
                                               "Executive", "Renewals", "Drivers & insights", "Pipeline",
                                               "Ticket Analyzer", "Ask the book"]
                                              + (["Admin"] if csm.is_staff else []))

    # When casey opens Accounts, then only Lakeside is listed
    main_nav_links(page).get_by_text("Accounts", exact=True).click()
    expect(page).to_have_url(app_url("/accounts/"))
    expect(account_rows(page)).to_have_count(1)
    expect(account_rows(page).first.get_by_role("cell").first).to_have_text("Lakeside Family Practice")
    expect(page.get_by_text("Harbor Pediatrics")).to_have_count(0)

    # When casey opens the account, then its detail page is shown
    page.get_by_role("link", name="Lakeside Family Practice").click()
    expect(page).to_have_url(app_url("/accounts/A-OWN/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lakeside Family Practice A-OWN")

    # When casey types robin's account into the address bar, then it is not found, not shown
    response = page.goto(app_url("/accounts/A-FOREIGN/"))
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text(re.compile("not found", re.IGNORECASE))
    expect(page.get_by_text("Harbor Pediatrics")).to_have_count(0)

    # When casey goes to the import page by URL, then it is refused
    response = page.goto(app_url("/import/"))
    assert response is not None and response.status == 403

    # When casey logs out, then the login page is shown and home asks to log in again
    page.goto(app_url("/"))
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(app_url("/login/"))
    expect(page.get_by_role("heading", name="Log in to HealthCS")).to_be_visible()
    page.goto(app_url("/"))
    expect(page).to_have_url(app_url("/login/?next=/"))
    expect(page.get_by_test_id("current-user")).to_have_count(0)


def test_a_manager_sees_every_account_and_can_open_the_import_page(
    page, live_server, app_url, manager, own_account, foreign_account
):
    # Given morgan (a manager) and two accounts owned by two different CSMs
    # When morgan logs in
    login_as(page, live_server, "morgan")

    # Then the whole portfolio counts and the nav offers Import
    expect(page.get_by_test_id("current-user")).to_have_text(f"{manager.get_full_name()} · Manager")
    expect(page.get_by_test_id("account-count")).to_have_text("2")
    expect(main_nav_links(page)).to_have_text(
        ["Home", "Accounts", "Tasks", "Alerts", "Digest", "Executive", "Renewals", "Drivers & insights", "Pipeline",
         "Ticket Analyzer", "Ask the book", "Effectiveness", "ROI", "Score accuracy", "Recompute", "Import"]
        + (["Admin"] if manager.is_staff else []))

    # When morgan opens Accounts, then both accounts are listed, by name
    main_nav_links(page).get_by_text("Accounts", exact=True).click()
    expect(account_rows(page).locator("td:first-child")).to_have_text(["Harbor Pediatrics", "Lakeside Family Practice"])

    # When morgan follows Import, then the upload page loads
    main_nav_links(page).get_by_text("Import", exact=True).click()
    expect(page).to_have_url(app_url("/import/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import customer data")
    expect(page.get_by_role("button", name="Check and import")).to_be_visible()


def test_typing_in_the_search_box_filters_the_rows_without_reloading_the_page(
    page, live_server, app_url, manager, own_account, foreign_account
):
    # Given morgan on the account list showing both accounts
    login_as(page, live_server, "morgan")
    page.goto(app_url("/accounts/"))
    expect(account_rows(page)).to_have_count(2)
    page.evaluate("window.searchMarker = 'set before typing'")

    # When morgan types "lake" into the search box
    with page.expect_response(
        lambda r: "/accounts/?q=lake" in r.url and r.request.headers.get("hx-request") == "true"
    ) as htmx_response:
        page.get_by_label("Search").press_sequentially("lake")

    # Then HTMX fetched the rows fragment, swapped it in and pushed the search into the URL
    assert htmx_response.value.status == 200
    expect(account_rows(page).locator("td:first-child")).to_have_text(["Lakeside Family Practice"])
    expect(page.get_by_text("Harbor Pediatrics")).to_have_count(0)
    expect(page).to_have_url(app_url("/accounts/?q=lake"))
    # ...and the page itself was not reloaded: the marker and the typed text are still there
    assert page.evaluate("window.searchMarker") == "set before typing"
    expect(page.get_by_label("Search")).to_have_value("lake")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_a_wrong_password_shows_an_error_and_does_not_log_in(page, live_server, app_url, csm):
    # Given casey
    # When casey submits a wrong password
    response = submit_login_form(page, live_server, "casey", WRONG_PASSWORD)

    # Then the login form is shown again with the error, and nobody is logged in
    assert response.status == 200
    expect(page).to_have_url(app_url("/login/"))
    expect(page.get_by_role("alert")).to_have_text(BAD_CREDENTIALS)
    expect(page.get_by_label("User name")).to_have_value("casey")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.goto(app_url("/"))
    expect(page).to_have_url(app_url("/login/?next=/"))


def test_five_failures_lock_the_user_name_even_for_the_right_password(page, live_server, app_url, csm, other_csm):
    # Given casey fails four times: each shows the ordinary error
    for _ in range(4):
        submit_login_form(page, live_server, "casey", WRONG_PASSWORD)
        expect(page.get_by_role("alert")).to_have_text(BAD_CREDENTIALS)

    # When casey fails a fifth time, then the user name is locked
    response = submit_login_form(page, live_server, "casey", WRONG_PASSWORD)
    assert response.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed log-in attempts")

    # When casey now gives the right password, then it is still refused and nobody is logged in
    response = submit_login_form(page, live_server, "casey", "correct horse battery")
    assert response.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed log-in attempts")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.goto(app_url("/"))
    expect(page).to_have_url(app_url("/login/?next=/"))

    # ...while another user name from the same address can still log in
    login_as(page, live_server, "robin")
    expect(page.get_by_test_id("current-user")).to_have_text(f"{other_csm.get_full_name()} · CSM")
