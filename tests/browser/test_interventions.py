"""A CSM works an intervention end to end in a real browser: the task in My queue, marked done and an
outcome logged in place (HTMX, no reload), then the outcome on the account's timeline."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.firing import fire_playbooks
from interventions.models import Outcome, Playbook, PlaybookStep, Task
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
    call, plan = Task.objects.order_by("order")
    login_as(page, live_server, "casey")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    row = page.locator(f"#task-{call.pk}")
    expect(row).to_contain_text("Call the champion")
    row.get_by_role("button", name="Mark done").click()
    expect(row).to_contain_text("Done: Call the champion.")
    expect(row.get_by_role("button", name="Mark done")).to_have_count(0)

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
