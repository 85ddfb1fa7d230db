"""A CSM works an intervention end to end in a real browser: the task in My queue, marked done and an
outcome logged in place (HTMX, no reload) while the queue's counts follow, then on Account 360 an outcome
logged on a task appears on the timeline and a Next Best Action ticked stays ticked, without a reload."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.firing import fire_playbooks
from interventions.models import NextBestActionCheck, Outcome, Playbook, PlaybookStep, Task
from tests.browser.helpers import login_as
from tests.factories import AccountFactory, SnapshotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_works_an_intervention_without_reloading(page, live_server, app_url, csm):
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call the champion", due_offset_hours=1,
                                channel="call")
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Send the plan", due_offset_hours=4,
                                channel="email", template="Hi, here is the plan for {account}.")
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    SnapshotFactory(account=account, as_of=timezone.localdate(), health_tier="Critical")
    fire_playbooks(as_of=timezone.localdate())
    # Both steps due late today whatever the hour the test runs at (4 hours from 21:00 is tomorrow).
    Task.objects.update(due_at=timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(23, 59))))
    call, plan = Task.objects.order_by("order")
    login_as(page, live_server, "casey")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    row = page.locator(f"#task-{call.pk}")
    expect(row).to_contain_text("Call the champion")
    expect(page.get_by_test_id("queue-counts")).to_have_text("2 due")
    row.get_by_role("button", name="Mark done").click()
    expect(row).to_contain_text("Done: Call the champion.")
    expect(row.get_by_role("button", name="Mark done")).to_have_count(0)
    expect(page.get_by_test_id("queue-counts")).to_have_text("1 due")  # the header followed, no reload

    row = page.locator(f"#task-{plan.pk}")
    row.locator("summary", has_text="Log outcome").click()
    row.get_by_label("Outcome").select_option("meeting_scheduled")
    row.get_by_label("Note").fill("Review on Thursday")
    row.get_by_role("button", name="Log outcome").click()
    expect(row).to_contain_text("Outcome logged: Meeting scheduled.")
    assert page.evaluate("window.sameDocument") is True

    outcome = Outcome.objects.get()
    assert (outcome.kind, outcome.note, outcome.created_by) == ("meeting_scheduled", "Review on Thursday", csm)
    call.refresh_from_db()
    assert call.status == "done"
    page.goto(app_url("/accounts/A-OWN/"))
    expect(page.get_by_test_id("timeline")).to_contain_text("Outcome: Meeting scheduled (Rescue)")
    expect(page.get_by_test_id("outcomes")).to_contain_text("Review on Thursday")


@pytest.fixture
def rescue(csm):
    """Today's firing of a one-step playbook for the CSM's account, whose usage dropped."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call the champion", due_offset_hours=1,
                                channel="call")
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    SnapshotFactory(account=account, as_of=timezone.localdate(), health_tier="Critical",
                    fired_rules=[{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 79% (30d vs prior)"}])
    fire_playbooks(as_of=timezone.localdate())
    return Task.objects.get()


def test_an_outcome_logged_on_a_task_of_account_360_appears_on_the_timeline_without_reload(
        page, live_server, app_url, csm, rescue):
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Playbook fired: Rescue")
    expect(timeline).not_to_contain_text("Outcome:")

    row = page.locator(f"#task-{rescue.pk}")
    row.locator("summary", has_text="Log outcome").click()
    row.get_by_label("Outcome").select_option("contacted")
    row.get_by_label("Note").fill("Champion called back")
    row.get_by_role("button", name="Log outcome").click()

    expect(row).to_contain_text("Outcome logged: Contacted.")
    expect(page.get_by_test_id("timeline")).to_contain_text("Outcome: Contacted (Rescue)")
    expect(page.get_by_test_id("timeline")).to_contain_text("Champion called back")
    assert page.evaluate("window.sameDocument") is True


def test_a_next_best_action_ticked_is_saved_and_shown_after_a_reload(page, live_server, app_url, csm, rescue):
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    checklist = page.get_by_test_id("next-best-action")

    checklist.get_by_label("Schedule a check-in to reset goals").check()

    expect(checklist.get_by_test_id("action-check")).to_contain_text(f"done by {csm.get_full_name()} on ")
    check = NextBestActionCheck.objects.get()
    assert (check.action, check.done, check.changed_by) == ("Schedule a check-in to reset goals", True, csm)
    page.reload()
    expect(page.get_by_test_id("next-best-action").get_by_label("Schedule a check-in to reset goals")).to_be_checked()
    expect(page.get_by_test_id("next-best-action").get_by_label(
        "Recommend 1-2 key features to activate this week")).not_to_be_checked()
