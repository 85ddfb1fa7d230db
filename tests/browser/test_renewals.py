"""A CSM opens Renewals from the navigation in a real browser, sees the month chart drawn and the renewal ahead,
follows it to Account 360 and marks the account churned in place (HTMX); it leaves the renewals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account, ChurnEvent
from tests.browser.helpers import login_as, open_from_menu
from tests.factories import AccountFactory, SnapshotFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_follows_a_renewal_and_marks_the_account_churned(page, live_server, app_url, csm):
    today = timezone.localdate()
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm,
                             renewal_date=today + dt.timedelta(days=12))
    SubscriptionFactory(account=account, start_date=dt.date(2024, 1, 1), arr=Decimal("24000"))
    SnapshotFactory(account=account, as_of=today, arr=Decimal("24000"), risk_level="Medium")  # home lists its score
    login_as(page, live_server, "casey")

    open_from_menu(page, "Renewals")

    expect(page.get_by_role("heading", level=1)).to_have_text("Renewals")
    expect(page.get_by_test_id("renewal-arr")).to_have_text("$24,000")
    expect(page.get_by_test_id("renewal-forecast")).to_have_text("$18,000")  # Medium risk: 75 %
    expect(page.locator('canvas[data-chart="renewals"]')).to_have_attribute("data-drawn", "true")
    page.get_by_test_id("renewals-ahead").get_by_role("link", name="Lakeside Family Practice").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Lakeside Family Practice")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    page.get_by_text("Mark this account churned").click()
    page.get_by_label("Reason").select_option("competitor")
    page.get_by_label("The customer's feedback").fill("Moving to a bundled EHR suite")
    page.get_by_role("button", name="Mark churned").click()

    expect(page.locator("#churn .flash")).to_contain_text(f"Lakeside Family Practice is marked churned on {today}")
    expect(page.get_by_test_id("churn-events")).to_contain_text("Moving to a bundled EHR suite")
    assert page.evaluate("window.sameDocument") is True
    assert Account.objects.get(pk=account.pk).churned is True
    assert ChurnEvent.objects.get(account=account).reason_code == "competitor"
    open_from_menu(page, "Renewals")
    expect(page.get_by_test_id("renewal-arr")).to_have_text("$0")
