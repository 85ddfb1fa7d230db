"""A manager imports the RavenStack files through the page; a real Celery worker (through Redis)
runs the import while the page polls its progress, then the page shows the report."""

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from accounts import models as m
from healthcs.celery import app
from tests.browser.helpers import login_as, open_from_menu
from tests.importing import ACCOUNTS_HEADER, RAVENSTACK_DIR, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as running:
        yield running


def test_a_manager_uploads_files_and_watches_the_import_finish(page, live_server, app_url, manager, worker):
    login_as(page, live_server, "morgan")
    open_from_menu(page, "Import")

    page.get_by_label("Files").set_input_files(sorted(str(p) for p in RAVENSTACK_DIR.glob("*.csv")))
    page.get_by_role("button", name="Check and import").click()

    expect(page.get_by_role("heading", name="Import #")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Imported in", timeout=60_000)
    report = page.locator("#import-status table")
    expect(report).to_contain_text("usage")
    expect(report.locator("tr", has_text="usage")).to_contain_text("25000")
    assert m.UsageRecord.objects.count() == 25000 and m.Account.objects.count() == 500


def test_problems_are_listed_on_the_page_and_nothing_is_written(page, live_server, manager, worker, tmp_path):
    bad = tmp_path / "ravenstack_accounts.csv"
    row = "A-1,Cedar Valley,Primary care,US,2024-02-31,partner,Pro,25,False,False"
    bad.write_bytes(csv_bytes(ACCOUNTS_HEADER, row))
    login_as(page, live_server, "morgan")
    page.goto(live_server.url + "/import/")

    page.get_by_label("Files").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 problem found", timeout=60_000)
    expect(page.locator("ul.problems")).to_contain_text(
        "ravenstack_accounts.csv, row 2, signup_date: '2024-02-31' is not a date (YYYY-MM-DD)")
    assert not m.Account.objects.exists()
