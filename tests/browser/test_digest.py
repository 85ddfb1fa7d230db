"""A CSM opens their digest from home in a real browser and looks at another day in place (HTMX); a manager
opens the weekly summary and picks a CSM's digest."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.models import Alert
from tests.browser.helpers import login_as
from tests.factories import AccountFactory, AlertFactory, SnapshotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_reads_their_digest_and_another_days_in_place(page, live_server, app_url, csm):
    today = timezone.localdate()
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm,
                             renewal_date=today + dt.timedelta(days=12))
    SnapshotFactory(account=account, as_of=today, arr=Decimal("24000"))  # home lists renewals with their scores
    AlertFactory(account=account, kind="failed_payment", message="Invoice INV-7 failed")
    older = AlertFactory(account=account, kind="usage_cliff", message="Usage fell by 80%")
    Alert.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    login_as(page, live_server, "casey")

    page.get_by_role("link", name="My digest").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My digest")
    expect(page.get_by_test_id("digest-alert-count")).to_have_text("1")
    expect(page.locator("#digest-alerts")).to_contain_text("Failed payment: 1")
    expect(page.locator("#digest-alerts")).to_contain_text("Lakeside Family Practice — Invoice INV-7 failed")
    expect(page.get_by_test_id("digest-renewal-count")).to_have_text("1")

    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    three_days_ago = today - dt.timedelta(days=3)
    page.get_by_label("Day").fill(three_days_ago.isoformat())
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#digest-alerts")).to_contain_text("Usage cliff: 1")
    expect(page).to_have_url(app_url(f"/digest/?date={three_days_ago}"))
    assert page.evaluate("window.sameDocument") is True


def test_a_manager_opens_the_weekly_summary_and_a_csms_digest(page, live_server, app_url, csm, manager):
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    AlertFactory(account=account, kind="champion_left", message="Champion left")
    login_as(page, live_server, "morgan")

    page.get_by_role("link", name="Weekly summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly summary")
    expect(page.locator("#weekly-risk")).to_contain_text("risk figures appear after the first recompute")

    page.goto(app_url("/digest/"))
    page.get_by_label("CSM").select_option(label=f"{csm.get_full_name()} ({csm.email})")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#digest-alerts")).to_contain_text("Champion left: 1")
    expect(page.locator(".digest .lead")).to_contain_text(f"{csm.get_full_name()}'s accounts")
