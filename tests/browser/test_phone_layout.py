"""The layout on a phone and the account filters' select boxes, in a real browser (issue 13, item 8): at
390 x 844 no page scrolls sideways (wide tables scroll inside themselves) and the main menu is a compact
"Menu" button that drops the links down; on /accounts/ every filter's select box is wide enough to show
the value chosen in it."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from expansion.models import ExpansionSignal
from expansion.services import opportunity_create, opportunity_update
from tests.browser.helpers import login_as
from tests.factories import AccountFactory
from tests.scoring.page_data import score_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PAGE_WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def book(csm, own_account, foreign_account):
    """A scored book with the pipeline's cards (one with long words), a signal and a second account."""
    score_book(own_account, foreign_account)
    brookside = AccountFactory(external_id="A-SMB", name="Brookside Community Health Partnership", csm=csm,
                               segment="SMB", renewal_date=dt.date(2025, 4, 30))
    opportunity_create(account=own_account, user=csm, title="Add 10 seats for the telehealth programme",
                       amount=Decimal("1000"), expected_close=dt.date(2025, 6, 15),
                       next_step="Confirm-the-seat-count-with-the-practice-manager-and-the-CFO")
    sites = opportunity_create(account=brookside, user=csm, title="Two more sites", amount=Decimal("800"))
    opportunity_update(opportunity=sites, user=csm, changes={"stage": "proposal"})
    ExpansionSignal.objects.create(account=brookside, kind="promoter", first_detected_on=dt.date(2025, 3, 20),
                                   last_detected_on=dt.date(2025, 3, 28), estimated_mrr=Decimal("150"),
                                   summary="NPS 10 from the practice manager; health Thriving")


def fits_the_screen(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate(PAGE_WIDTH)
    assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px screen"


def test_no_page_scrolls_sideways_on_a_phone(page, live_server, app_url, book, manager):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "casey")

    for path in ("/", "/accounts/", "/accounts/A-OWN/", "/pipeline/", "/alerts/"):
        fits_the_screen(page, app_url(path))

    # The wide account table scrolls inside itself, not the page
    page.goto(app_url("/accounts/"))
    table = page.locator("#account-rows table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"

    page.context.clear_cookies()
    login_as(page, live_server, "morgan")
    for path in ("/", "/accounts/", "/accounts/A-FOREIGN/", "/pipeline/"):
        fits_the_screen(page, app_url(path))


def test_the_menu_is_a_compact_button_on_a_phone(page, live_server, app_url, book):
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "casey")
    menu = page.get_by_role("navigation", name="Main")

    # The links are folded away behind "Menu"
    expect(menu).to_be_hidden()
    expect(page.locator(".menu > summary")).to_have_text("Menu")
    page.locator(".menu > summary").click()

    # Then they drop down, one under the other, within the screen
    expect(menu.get_by_role("link", name="Pipeline")).to_be_visible()
    boxes = [menu.get_by_role("link", name=name).bounding_box() for name in ("Home", "Accounts", "Pipeline")]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    assert all(box["x"] + box["width"] <= PHONE["width"] for box in boxes)
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
    menu.get_by_role("link", name="Pipeline").click()
    expect(page).to_have_url(app_url("/pipeline/"))


def test_the_menu_is_a_plain_row_of_links_on_a_wide_screen(page, live_server, app_url, book):
    login_as(page, live_server, "casey")  # 1280 px wide

    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Accounts")).to_be_visible()
    expect(page.locator(".menu > summary")).to_be_hidden()
    home, accounts = (menu.get_by_role("link", name=name).bounding_box() for name in ("Home", "Accounts"))
    assert home["y"] == accounts["y"] and home["x"] < accounts["x"]


SELECTED_TEXT_WIDTH = """(select) => {
  // The chosen option's text, measured in the select box's own font.
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = getComputedStyle(select).font;
  return canvas.measureText(select.options[select.selectedIndex].text).width;
}"""


def test_the_account_filters_show_the_chosen_values(page, live_server, app_url, book, manager):
    login_as(page, live_server, "morgan")
    page.goto(app_url("/accounts/?expansion_ready=false&health_tier=At+risk&segment=Mid-Market&churned=false"))

    selects = page.get_by_test_id("account-filters").locator("select")
    expect(selects).to_have_count(7)
    for index in range(7):
        select = selects.nth(index)
        name = select.get_attribute("name")
        box = select.bounding_box()
        assert box["width"] >= 100, f"the {name} filter is {box['width']} px wide"
        # the text of the chosen value fits inside, beside the drop-down arrow
        assert select.evaluate(SELECTED_TEXT_WIDTH) + 24 <= select.evaluate("s => s.clientWidth"), name
    expect(page.get_by_label("Expansion", exact=True)).to_have_value("false")

    page.set_viewport_size(PHONE)
    assert page.evaluate(PAGE_WIDTH) <= PHONE["width"]
    assert selects.first.bounding_box()["width"] >= 100
