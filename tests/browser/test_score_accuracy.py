"""The Score accuracy page in a real browser: a manager opens it from the navigation, the calibration
charts are drawn by the vendored Chart.js (no inline script, CSP), the picker swaps the results in place
(HTMX) and draws the new charts, and a caught churner's link opens its Account 360."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.helpers import login_as, open_from_menu
from tests.scoring.backtest_book import build_snapshot_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_accuracy_and_follows_a_churner_to_account_360(page, live_server, manager):
    cache.clear()
    build_snapshot_book()
    login_as(page, live_server, "morgan")
    open_from_menu(page, "Score accuracy")

    expect(page.get_by_role("heading", name="Score accuracy")).to_be_visible()
    expect(page.get_by_test_id("chart-calibration-risk")).to_have_attribute("data-drawn", "true")
    expect(page.get_by_test_id("chart-calibration-health")).to_have_attribute("data-drawn", "true")
    expect(page.get_by_test_id("caught-risk")).to_have_text("caught 2 of 2 churners")

    page.get_by_test_id("accuracy-horizon").fill("31")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/accuracy/\?as_of=2025-03-31&horizon=31$"))
    expect(page.get_by_test_id("caught-risk")).to_have_text("caught 1 of 1 churners")
    expect(page.get_by_test_id("chart-calibration-risk")).to_have_attribute("data-drawn", "true")
    expect(page.get_by_role("heading", name="Score accuracy")).to_have_count(1)  # swapped in place

    page.get_by_test_id("churner-link").first.click()

    expect(page).to_have_url(re.compile(r"/accounts/a0/$"))
    expect(page.get_by_role("heading", name=re.compile("Clinic a0"))).to_be_visible()
