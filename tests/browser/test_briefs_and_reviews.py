"""A CSM reads an account's briefs and its business review in a real browser: the brief opens inside Account 360
(HTMX, the page stays), and the review page changes its period with its own form."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as
from tests.factories import AccountFactory, SnapshotFactory, SubscriptionFactory, UsageRecordFactory
from workspace.reviews import period_choices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_opens_the_brief_in_account_360_and_changes_the_reviews_period(page, live_server, app_url, csm):
    earlier = period_choices()[1]  # the quarter before the last full one: not the page's default
    day = earlier.start + dt.timedelta(days=10)
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm, seats=10)
    reason = "High support load (3 tickets in 30d)"
    SnapshotFactory(account=account, as_of=day, health_score=64.0, risk_score=35, risk_level="Medium",
                    top_reasons=reason, fired_rules=[{"rule": "support_load", "points": 35, "reason": reason,
                                                      "evidence": {}}])
    UsageRecordFactory(subscription=SubscriptionFactory(account=account), date=day, usage_count=40)
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.get_by_test_id("show-brief").click()

    brief = page.get_by_test_id("risk-brief")
    expect(brief).to_contain_text(f"Lakeside Family Practice is at Medium churn risk (35/100) as of {day:%Y-%m-%d}.")
    expect(brief.get_by_test_id("brief-root-cause")).to_have_text(f"{reason} weighs most (35 of 35 points).")
    expect(page.get_by_test_id("expansion-brief")).to_contain_text("shows no open expansion signal")
    assert page.evaluate("window.sameDocument") is True

    page.goto(app_url("/accounts/A-OWN/review/"))
    expect(page.get_by_test_id("review-usage")).to_contain_text("0 uses in the period")
    page.get_by_label("Period").select_option(earlier.key)
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_test_id("review-period")).to_contain_text(
        f"{earlier.label} ({earlier.start:%Y-%m-%d} to {earlier.end:%Y-%m-%d})")
    expect(page.get_by_test_id("review-usage")).to_contain_text("40 uses in the period, 4.0 per seat.")
    expect(page.get_by_test_id("review-risks")).to_contain_text(reason)
