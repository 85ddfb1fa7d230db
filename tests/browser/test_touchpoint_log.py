"""A CSM logs a call on Account 360 in a real browser: the form is sent in place (HTMX), says what the text
reader read, and the new call shows on the timeline with its reading, without a reload."""

import pytest
from playwright.sync_api import expect

from accounts.models import Touchpoint
from tests.browser.helpers import login_as
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_logs_a_call_and_sees_it_on_the_timeline_without_a_reload(page, live_server, app_url, csm):
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    ContactFactory(external_id="C-DANA", account=account, name="Dana Reyes", title="Practice Manager")
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    expect(page.locator("#timeline")).to_contain_text("Nothing has happened on this account yet")

    form = page.get_by_test_id("log-form")
    form.get_by_label("What", exact=True).select_option("call")
    form.get_by_label("Direction").select_option("outbound")
    form.get_by_label("Contact").select_option("C-DANA")
    form.get_by_label("Subject").fill("Renewal call")
    form.get_by_label("What was said or agreed").fill("We will cancel at renewal")
    form.get_by_role("button", name="Log it").click()

    expect(page.get_by_test_id("log-flash")).to_contain_text("Logged: Call with Dana Reyes. Churn intent")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Call (outbound) with Dana Reyes: Renewal call")
    expect(timeline.get_by_test_id("reading")).to_have_text(
        "Churn intent: \u201ccancel at\u201d; topic account cancellation; sentiment +0.00.")
    expect(page.get_by_test_id("log-form").get_by_label("What was said or agreed")).to_have_value("")
    assert page.evaluate("window.sameDocument") is True
    assert Touchpoint.objects.get().contact.name == "Dana Reyes"
