"""A CSM makes an account's success plan from its fired reasons on Account 360 in a real browser, ticks a step
done in place (HTMX, no reload) and sees the progress move; the step then leaves My queue's plan steps."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.models import PlanStep
from tests.browser.helpers import htmx_settled, login_as
from tests.factories import AccountFactory, SnapshotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_makes_a_plan_from_reasons_and_ticks_a_step_without_a_reload(page, live_server, app_url, csm):
    account = AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)
    SnapshotFactory(account=account, as_of=timezone.localdate(),
                    fired_rules=[{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70% (30d vs prior)"}])
    login_as(page, live_server, "casey")
    page.goto(app_url("/accounts/A-OWN/"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    panel = page.get_by_test_id("success-plan")

    panel.get_by_role("button", name="Create plan from reasons").click()

    expect(panel.get_by_test_id("plan-flash")).to_have_text("Plan made: Success plan for Lakeside Family Practice.")
    expect(panel.get_by_test_id("plan-progress")).to_contain_text("0 of 2 steps done (0%)")
    expect(panel.get_by_test_id("objective")).to_contain_text("Usage dropped 70% (30d vs prior)")
    htmx_settled(page)  # the new plan's status forms answer a change only once htmx has bound them
    step = panel.get_by_test_id("plan-step").filter(has_text="Schedule a check-in to reset goals")
    step.get_by_label("Status").select_option("done")

    expect(panel.get_by_test_id("plan-progress")).to_contain_text("1 of 2 steps done (50%)")
    expect(panel.get_by_test_id("plan-step").filter(has_text="Schedule a check-in to reset goals")
           .get_by_test_id("step-done")).to_contain_text(f"done by {csm.get_full_name()} on ")
    assert page.evaluate("window.sameDocument") is True
    done = PlanStep.objects.get(status="done")
    assert (done.title, done.done_by) == ("Schedule a check-in to reset goals", csm)

    page.goto(app_url("/"))
    expect(page.get_by_test_id("plan-step-counts")).to_have_text("1 open")
    expect(page.get_by_test_id("plan-steps")).to_contain_text("Recommend 1-2 key features to activate this week")
    expect(page.get_by_test_id("plan-steps")).not_to_contain_text("Schedule a check-in to reset goals")
