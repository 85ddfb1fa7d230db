"""Success plans in the pages (docs/pages.md#success-plan): made from the fired reasons on Account 360, steps
moved between statuses in place (HTMX) or as plain forms, objectives and steps added with what was typed kept
when refused, the user's steps in My queue and each CSM's progress on the team view, with query counts that do
not grow with the plan."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from interventions.models import PlanObjective, PlanStep, SuccessPlan
from interventions.plans import objective_add, plan_create_from_reasons, step_add, step_status_set
from tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
FIRED = [{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70% (30d vs prior)"},
         {"rule": "support_load", "points": 20, "reason": "12 tickets in 30 days"}]
NOT_AN_OWNER = "That person cannot own steps of this account; choose its CSM or a manager."


@pytest.fixture
def scored(own_account, foreign_account):
    for account in (own_account, foreign_account):
        SnapshotFactory(account=account, as_of=timezone.localdate(), fired_rules=FIRED)
    return own_account


@pytest.fixture
def plan(csm, scored):
    return plan_create_from_reasons(account=scored, user=csm)


def first_step() -> PlanStep:
    return PlanStep.objects.order_by("objective__order", "order").first()


def test_without_a_plan_account_360_offers_to_make_one_from_the_checklists_reasons(client, csm, scored):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assertContains(response, "No success plan yet.")
    assertContains(response, 'data-testid="plan-from-reasons"')
    assertContains(response, "Schedule a check-in to reset goals")  # the checklist the plan would be made from


def test_making_the_plan_without_javascript_goes_back_to_the_account_which_shows_it(client, csm, scored):
    client.force_login(csm)

    response = client.post(reverse("success_plan", args=["A-OWN"]))

    assert (response.status_code, response["Location"]) == (302, "/accounts/A-OWN/#success-plan")
    page = client.get(response["Location"])
    assertContains(page, "Plan made: Success plan for Lakeside Family Practice.")
    assertContains(page, "0 of 4 steps done (0%)")
    assertContains(page, "<h3>Usage dropped 70% (30d vs prior)</h3>", html=True)
    assertNotContains(page, 'data-testid="plan-from-reasons"')


def test_making_it_in_place_returns_the_panel_and_tells_the_page(client, csm, scored):
    client.force_login(csm)

    response = client.post(reverse("success_plan", args=["A-OWN"]), headers=HTMX)

    assert response.status_code == 200 and response["HX-Trigger"] == "planChanged"
    assert [t.name for t in response.templates][0] == "interventions/_success_plan.html"
    assertContains(response, "Plan made: Success plan for Lakeside Family Practice.")
    assert SuccessPlan.objects.get().account == scored


def test_a_second_plan_is_refused_beside_the_panel(client, csm, plan):
    client.force_login(csm)

    response = client.post(reverse("success_plan", args=["A-OWN"]))

    assert response.status_code == 400
    assertContains(response, "This account already has a success plan; add objectives and steps to it.",
                   status_code=400)
    assert SuccessPlan.objects.count() == 1


def test_a_step_done_in_place_moves_the_progress_and_says_who(client, csm, plan):
    client.force_login(csm)
    step = first_step()

    response = client.post(reverse("plan_step_status", args=["A-OWN", step.pk]), {"status": "done"}, headers=HTMX)

    assertContains(response, "1 of 4 steps done (25%)")
    assertContains(response, f"done by {csm.get_full_name()} on ")
    step.refresh_from_db()
    assert (step.status, step.done_by) == ("done", csm)


def test_a_step_status_without_javascript_goes_back_to_the_plan(client, csm, plan):
    client.force_login(csm)
    step = first_step()

    response = client.post(reverse("plan_step_status", args=["A-OWN", step.pk]), {"status": "blocked"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/A-OWN/#success-plan")
    step.refresh_from_db()
    assert step.status == "blocked"


def test_an_unknown_status_is_refused_and_nothing_changes(client, csm, plan):
    client.force_login(csm)
    step = first_step()

    response = client.post(reverse("plan_step_status", args=["A-OWN", step.pk]), {"status": "finished"})

    assertContains(response, "&#x27;finished&#x27; is not a status; use one of: open, in_progress, blocked, done.",
                   status_code=400)
    step.refresh_from_db()
    assert step.status == "open"


def test_a_refused_step_keeps_what_was_typed_with_and_without_javascript(client, csm, plan):
    client.force_login(csm)
    objective = PlanObjective.objects.order_by("order").first()
    typed = {"title": "Book the training room", "owner": str(csm.pk), "due_on": "2026-02-30"}

    plain = client.post(reverse("plan_step_add", args=["A-OWN", objective.pk]), typed)
    in_place = client.post(reverse("plan_step_add", args=["A-OWN", objective.pk]), typed, headers=HTMX)

    for response, status in ((plain, 400), (in_place, 200)):
        assertContains(response, "Give the due date as a date, e.g. 2026-12-31.", status_code=status)
        assertContains(response, 'value="Book the training room"', status_code=status)
        assertContains(response, 'value="2026-02-30"', status_code=status)
        assertContains(response, f'<option value="{csm.pk}" selected>', status_code=status)
    assert PlanStep.objects.count() == 4


@pytest.mark.parametrize("typed,message", [
    ({"title": "Call\x00"}, "The step contains a NUL character (\\0); remove it."),
    ({"title": "x" * 10_000}, "The title has 10,000 characters; keep it to 200."),
    ({"title": "Call", "due_on": "\u0662\u0660\u0662\u0666-04-01"}, "Give the due date as a date, e.g. 2026-12-31."),
    ({"title": "Call", "owner": "99999999999999999999999"}, NOT_AN_OWNER),
    ({"title": "Call", "owner": "\u0661"}, NOT_AN_OWNER),
])
def test_hostile_input_is_refused_with_a_clear_message_and_nothing_written(client, csm, plan, typed, message):
    client.force_login(csm)
    objective = PlanObjective.objects.order_by("order").first()

    response = client.post(reverse("plan_step_add", args=["A-OWN", objective.pk]), typed)

    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert PlanStep.objects.count() == 4


def test_another_csm_cannot_own_a_step(client, csm, other_csm, plan):
    client.force_login(csm)
    objective = PlanObjective.objects.order_by("order").first()

    response = client.post(reverse("plan_step_add", args=["A-OWN", objective.pk]),
                           {"title": "Call", "owner": str(other_csm.pk)})

    assertContains(response, "That person cannot own steps of this account", status_code=400)
    assert PlanStep.objects.count() == 4


def test_objectives_and_steps_are_added_edited_and_removed_by_hand(client, csm, manager, own_account):
    client.force_login(csm)

    client.post(reverse("plan_objective_add", args=["A-OWN"]), {"title": "Win the new champion"})
    objective = PlanObjective.objects.get()
    client.post(reverse("plan_step_add", args=["A-OWN", objective.pk]),
                {"title": "Meet the practice manager", "owner": str(manager.pk), "due_on": "2026-12-31"})
    step = PlanStep.objects.get()
    client.post(reverse("plan_step_edit", args=["A-OWN", step.pk]),
                {"title": "Meet Dana", "owner": str(csm.pk), "due_on": "2026-12-30"}, headers=HTMX)
    client.post(reverse("plan_objective_edit", args=["A-OWN", objective.pk]), {"title": "Keep the champion"})

    step.refresh_from_db()
    objective.refresh_from_db()
    assert (objective.title, step.title, step.owner, step.due_on) == (
        "Keep the champion", "Meet Dana", csm, dt.date(2026, 12, 30))
    response = client.post(reverse("plan_step_edit", args=["A-OWN", step.pk]), {"remove": "1"}, headers=HTMX)
    assertContains(response, "Step removed: Meet Dana.")
    client.post(reverse("plan_objective_edit", args=["A-OWN", objective.pk]), {"remove": "1"})
    assert not PlanObjective.objects.exists()


def test_my_queue_lists_my_steps_due_soon_and_a_status_changes_in_its_row(client, csm, plan):
    step = first_step()
    PlanStep.objects.filter(pk=step.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(csm)

    home = client.get(reverse("home"))

    assertContains(home, 'data-testid="plan-step-counts">4 open, 1 overdue<')
    assertContains(home, "Schedule a check-in to reset goals")
    response = client.post(reverse("plan_step_status", args=["A-OWN", step.pk]), {"status": "in_progress",
                                                                                  "from": "queue"}, headers=HTMX)
    assert [t.name for t in response.templates][0] == "interventions/_plan_step_row.html"
    assertContains(response, "In progress: Schedule a check-in to reset goals.")
    assert response["HX-Trigger"] == "planChanged"


def test_my_queue_says_what_to_do_when_no_step_is_due(client, csm, own_account):
    client.force_login(csm)

    assertContains(client.get(reverse("home")), "No plan steps of yours are overdue or due in the next 14 days.")


def test_the_team_view_shows_each_csms_plan_progress(client, csm, manager, plan):
    step_status_set(step=first_step(), user=csm, status="done")
    PlanStep.objects.filter(status="open").order_by("id").filter(
        pk=PlanStep.objects.filter(status="open").order_by("id").first().pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(manager)

    response = client.get(reverse("home"))

    row = next(r for r in response.context["team"] if r.csm == csm)
    assert (row.plans.plans, row.plans.steps_done, row.plans.steps_total, row.plans.overdue) == (1, 1, 4, 1)
    assertContains(response, "1 of 4 <progress")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_account_360_and_my_queue_do_not_query_more_for_more_steps(client, csm, plan):
    client.force_login(csm)
    account_page, home = reverse("account_detail", args=["A-OWN"]), reverse("home")
    before = (_queries(client, account_page), _queries(client, home))
    for objective in PlanObjective.objects.all():
        for n in range(10):
            step_add(objective=objective, user=csm, title=f"Step {n}", owner=csm, due_on=timezone.localdate())
    objective_add(account=plan.account, user=csm, title="Another")

    assert PlanStep.objects.count() == 24
    assert (_queries(client, account_page), _queries(client, home)) == before


def test_each_owner_box_starts_at_its_steps_owner_and_a_new_step_at_the_accounts_csm(client, csm, manager,
                                                                                       own_account):
    objective = objective_add(account=own_account, user=csm, title="Keep the champion")
    managed = step_add(objective=objective, user=csm, title="Meet Dana", owner=manager)
    nobody = step_add(objective=objective, user=csm, title="Send the report", owner=None)
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()

    def owner_box(element_id: str) -> str:
        start = page.index(f'id="{element_id}"')
        return page[start:page.index("</select>", start)]

    assert f'<option value="{manager.pk}" selected>' in owner_box(f"step-owner-{managed.pk}")
    assert " selected" not in owner_box(f"step-owner-{nobody.pk}")  # "Nobody yet", the first option
    assert f'<option value="{csm.pk}" selected>' in owner_box(f"step-owner-new-{objective.pk}")
