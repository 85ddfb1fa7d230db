"""A CSM works the alert inbox in a real browser: filters it by type, ticks two alerts and acknowledges them at once;
the rows, the counts per status and the address change in place, without a reload."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.models import Alert
from tests.browser.helpers import login_as
from tests.factories import AccountFactory, AlertFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_filters_by_type_and_acknowledges_two_alerts_at_once(page, live_server, app_url, csm):
    today = timezone.localdate()
    lakeside = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    birch = AccountFactory(external_id="A-BIRCH", name="Birch Street Clinic", csm=csm, segment="SMB")
    cliffs = [AlertFactory(account=lakeside, kind="usage_cliff", as_of=today, message="Usage fell 80%"),
              AlertFactory(account=birch, kind="usage_cliff", as_of=today - dt.timedelta(days=2),
                           message="Usage fell 60%")]
    AlertFactory(account=lakeside, kind="failed_payment", as_of=today, message="Invoice INV-7 failed")
    login_as(page, live_server, "casey")
    page.goto(app_url("/alerts/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    counts = page.get_by_test_id("alert-counts")
    expect(counts.locator('[data-status="new"] .count')).to_have_text("3")

    page.get_by_test_id("alert-filters").get_by_label("Type").select_option("usage_cliff")

    table = page.get_by_test_id("alert-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).not_to_contain_text("Invoice INV-7 failed")
    expect(page).to_have_url(app_url("/alerts/?kind=usage_cliff&status=open"))
    page.get_by_label("Select the Usage cliff alert of Lakeside Family Practice").check()
    page.get_by_label("Select the Usage cliff alert of Birch Street Clinic").check()
    form = page.get_by_test_id("alert-bulk-form")
    form.get_by_label("Action").select_option("acknowledge")
    form.get_by_role("button", name="Apply").click()

    expect(page.get_by_test_id("alert-notice")).to_have_text("2 alerts acknowledged.")
    expect(counts.locator('[data-status="new"] .count')).to_have_text("0")
    expect(counts.locator('[data-status="acknowledged"] .count')).to_have_text("2")
    expect(table.get_by_test_id("alert-state")).to_contain_text(["Acknowledged by", "Acknowledged by"])
    assert page.evaluate("window.sameDocument") is True
    assert set(Alert.objects.filter(acknowledged_by=csm).values_list("pk", flat=True)) == {a.pk for a in cliffs}
