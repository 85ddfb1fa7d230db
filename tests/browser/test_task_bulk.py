"""The Tasks page in a real browser (issue 17, item 6): a CSM with many overdue tasks filters to one channel,
ticks three, marks them done at once and sees the message and the header's overdue count change in place,
without a reload."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.models import Task
from tests.browser.helpers import login_as, open_from_menu
from tests.factories import PlaybookFactory
from tests.interventions.task_book import add_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_ticks_three_overdue_calls_and_marks_them_done(page, live_server, app_url, csm, own_account):
    # Given casey has 12 overdue tasks on Lakeside, every other one a call
    playbook = PlaybookFactory(name="Renewal rescue", priority=10)
    start = timezone.now() - dt.timedelta(days=3)
    for n in range(1, 13):
        add_task(own_account, playbook, f"Overdue {n:02d}", start + dt.timedelta(hours=n),
                 channel="call" if n % 2 else "email")
    login_as(page, live_server, "casey")
    open_from_menu(page, "Tasks")
    expect(page.get_by_test_id("overdue-count")).to_have_text("12 overdue")
    page.evaluate("window.sameDocument = true")

    # When casey filters to calls, sorted by due, the six calls are listed and the address keeps the filter
    page.get_by_label("Channel").select_option("call")
    rows = page.get_by_test_id("task-rows").get_by_test_id("task")
    expect(rows).to_have_count(6)
    expect(page).to_have_url(app_url("/tasks/?channel=call&ordering=due"))

    # And ticks the first three and marks them done
    for title in ("Overdue 01", "Overdue 03", "Overdue 05"):
        page.get_by_label(f"Select {title} (Lakeside Family Practice)").check()
    page.get_by_label("Do", exact=True).select_option("done")
    page.get_by_role("button", name="Apply to the chosen tasks").click()

    # Then the message says so, the three leave the list and the header counts 9 overdue, in place
    expect(page.get_by_test_id("bulk-notice")).to_have_text("3 tasks marked done.")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Overdue 07")
    expect(page.get_by_test_id("overdue-count")).to_have_text("9 overdue")
    assert page.evaluate("window.sameDocument") is True
    assert sorted(Task.objects.filter(status="done").values_list("title", flat=True)) == [
        "Overdue 01", "Overdue 03", "Overdue 05"]
