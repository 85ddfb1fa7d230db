"""Saved views in a real browser: a CSM filters the account list, saves the filter as a view in place, pins it to
the home page, and opens it from there to find the list filtered again, with the view shown as active."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as
from tests.factories import AccountFactory, SnapshotFactory
from workspace.models import SavedView, SavedViewPin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_saves_a_view_pins_it_and_opens_it_from_home(page, live_server, app_url, csm, other_csm):
    # Given casey's High risk Lakeside and Low risk Brookside, and robin's High risk Harbor
    for external_id, name, owner, level in (("A-OWN", "Lakeside", csm, "High"), ("A-LOW", "Brookside", csm, "Low"),
                                            ("A-FOREIGN", "Harbor", other_csm, "High")):
        SnapshotFactory(account=AccountFactory(external_id=external_id, name=name, csm=owner), risk_level=level)
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/"))
    rows = page.locator("#account-rows tbody tr")
    expect(rows).to_have_count(2)

    # When casey filters to High risk and saves it as a view, in place
    page.get_by_label("Risk", exact=True).select_option("High")
    expect(rows).to_have_count(1)
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    form = page.get_by_test_id("save-view-form")
    form.get_by_label("Save these filters as").fill("My high risk")
    form.get_by_role("button", name="Save view").click()

    # Then the list says so and shows the view as the active one, without a reload
    expect(page.get_by_test_id("assign-notice")).to_have_text("Saved the view “My high risk”.")
    expect(page.get_by_test_id("active-view")).to_have_text("View: My high risk")
    assert page.evaluate("window.sameDocument") is True
    assert list(SavedView.objects.values_list("name", "query")) == [("My high risk", "risk_level=High")]

    # When casey pins it to the home page and opens it from there
    page.get_by_test_id("view-picker").locator("summary").first.click()
    page.get_by_role("button", name="Pin My high risk to home").click()
    expect(page.get_by_test_id("assign-notice")).to_have_text("Pinned “My high risk” to your home page.")
    assert SavedViewPin.objects.filter(user=csm).count() == 1
    page.goto(app_url("/"))
    pinned = page.get_by_test_id("pinned-views")
    expect(pinned.get_by_test_id("pinned-count")).to_have_text("1 account")
    pinned.get_by_role("link", name="My high risk").click()

    # Then the list is filtered to High risk again, with the view active and only casey's account
    expect(page).to_have_url(app_url("/accounts/?risk_level=High"))
    expect(page.get_by_test_id("active-view")).to_have_text("View: My high risk")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Lakeside")
    expect(page.get_by_label("Risk", exact=True)).to_have_value("High")
