"""My queue in a real browser with more tasks than a page (issue 13): "show more" brings the next tasks in
place, and opening "Coming up in the next 7 days" fetches those tasks, without a reload."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import login_as
from tests.interventions.test_queue_paging import tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_shows_more_tasks_and_the_ones_coming_up(page, live_server, app_url, csm, own_account):
    # Given 12 tasks overdue since yesterday and 3 due in two days
    tasks(own_account, csm, 12, timezone.now() - dt.timedelta(days=1, hours=13), "Overdue")
    tasks(own_account, csm, 3, timezone.now() + dt.timedelta(days=2), "Soon")
    login_as(page, live_server, "casey")
    page.evaluate("window.sameDocument = true")
    due = page.get_by_test_id("due-tasks").get_by_test_id("task")
    expect(due).to_have_count(10)

    # When casey asks for more, the last two come in place of the link
    page.get_by_role("link", name="Show 2 more of 2").click()
    expect(due).to_have_count(12)
    expect(due.last).to_contain_text("Overdue 12")

    # When casey opens the tasks coming up, they are fetched into the folded list
    upcoming = page.get_by_test_id("upcoming-tasks").get_by_test_id("task")
    expect(upcoming).to_have_count(0)
    page.get_by_text("Coming up in the next 7 days (3)").click()
    expect(upcoming).to_have_count(3)
    expect(upcoming.first).to_contain_text("Soon 01")
    assert page.evaluate("window.sameDocument") is True
