"""Assignment in a real browser: a manager filters the account list, ticks two rows, assigns them to a CSM and
sees the message and the new CSM in place."""

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from tests.browser.helpers import login_as
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_assigns_two_filtered_rows_to_a_csm(page, live_server, app_url, manager, own_account,
                                                      foreign_account, other_csm):
    # Given two SMB clinics without a CSM besides casey's Lakeside and robin's Harbor
    AccountFactory(external_id="A-SMB1", name="Birch Clinic", segment="SMB", csm=None)
    AccountFactory(external_id="A-SMB2", name="Cedar Clinic", segment="SMB", csm=None)
    login_as(page, live_server, "morgan")
    page.goto(app_url("/accounts/"))

    # When morgan filters to SMB, ticks both rows and assigns them to robin
    page.get_by_label("Segment", exact=True).select_option("SMB")
    rows = page.locator("#account-rows tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Select Birch Clinic").check()
    page.get_by_label("Select Cedar Clinic").check()
    page.get_by_label("Assign to").select_option(label=f"{other_csm.get_full_name()} (robin@example.org)")
    page.get_by_role("button", name="Assign").click()

    # Then the message says so and both rows show robin, still filtered to SMB
    expect(page.get_by_test_id("assign-notice")).to_have_text(f"2 accounts assigned to {other_csm.get_full_name()}.")
    expect(rows.locator("td:nth-child(11)")).to_have_text([other_csm.get_full_name()] * 2)
    expect(page).to_have_url(app_url("/accounts/?segment=SMB"))
    assert dict(Account.objects.filter(segment="SMB").values_list("external_id", "csm__username")) == {
        "A-SMB1": "robin", "A-SMB2": "robin"}
