"""Success plans' services (interventions.plans): a plan made from the fired reasons (one objective per reason,
riskiest first, its configured actions as steps owned by the CSM and due by the reason's rank; ticked checklist
actions come in done), objectives and steps by hand, a step's status; every change audited, every refusal names
its field and writes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from healthcs.errors import DomainError
from interventions.models import NextBestActionCheck, PlanObjective, PlanStep, StepStatus, SuccessPlan
from interventions.plans import (
    ObjectiveDraft,
    StepDraft,
    objective_add,
    objective_edit,
    objective_remove,
    plan_create,
    plan_create_from_reasons,
    step_add,
    step_edit,
    step_remove,
    step_status_set,
)
from interventions.selectors import account_plan, my_plan_steps, plan_progress_by_csm
from tests.factories import AccountFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 1)
FIRED = [{"rule": "support_load", "points": 20, "reason": "12 tickets in 30 days"},
         {"rule": "usage_drop", "points": 40, "reason": "Usage dropped 70% (30d vs prior)"},
         {"rule": "escalation", "points": 10, "reason": "2 escalated tickets"}]


@pytest.fixture
def scored(own_account):
    return SnapshotFactory(account=own_account, fired_rules=FIRED)


def steps_of(plan: SuccessPlan) -> list[tuple]:
    return [(s.objective.title, s.title, s.owner.username if s.owner else None, s.due_on, s.status)
            for s in PlanStep.objects.filter(objective__plan=plan).select_related("objective", "owner")
            .order_by("objective__order", "order")]


def test_a_plan_from_reasons_has_one_objective_per_reason_riskiest_first_due_by_rank(csm, own_account, scored):
    plan = plan_create_from_reasons(account=own_account, user=csm, now=NOON)

    assert (plan.title, plan.created_by, plan.created_at) == ("Success plan for Lakeside Family Practice", csm, NOON)
    assert list(plan.objectives.values_list("title", "reason_key", "order")) == [
        ("Usage dropped 70% (30d vs prior)", "usage_drop", 1), ("12 tickets in 30 days", "support_load", 2)]
    # The escalation rule shares the support group's actions: they are planned once, under the riskier reason.
    assert steps_of(plan) == [
        ("Usage dropped 70% (30d vs prior)", "Schedule a check-in to reset goals", "casey", dt.date(2026, 4, 4),
         "open"),
        ("Usage dropped 70% (30d vs prior)", "Recommend 1-2 key features to activate this week", "casey",
         dt.date(2026, 4, 5), "open"),
        ("12 tickets in 30 days", "Confirm resolution plan and close the loop", "casey", dt.date(2026, 4, 8), "open"),
        ("12 tickets in 30 days", "Escalate repeat issues with a clear timeline", "casey", dt.date(2026, 4, 9),
         "open")]
    event = AuditEvent.objects.get(object_type="interventions.SuccessPlan")
    assert (event.user, event.action, event.changes) == (csm, "created", {
        "account": [None, "A-OWN"], "source": [None, "reasons"], "objectives": [None, 2], "steps": [None, 4]})


def test_actions_ticked_on_the_checklist_come_in_done_by_whom_and_when(csm, other_csm, own_account, scored):
    ticked_at = NOON - dt.timedelta(days=2)
    NextBestActionCheck.objects.create(account=own_account, action="Schedule a check-in to reset goals", done=True,
                                       changed_by=other_csm, changed_at=ticked_at)
    NextBestActionCheck.objects.create(account=own_account, action="Confirm resolution plan and close the loop",
                                       done=False, changed_by=csm, changed_at=ticked_at)

    plan_create_from_reasons(account=own_account, user=csm, now=NOON)

    done = PlanStep.objects.get(status=StepStatus.DONE)
    assert (done.title, done.done_by, done.done_at) == ("Schedule a check-in to reset goals", other_csm, ticked_at)
    assert PlanStep.objects.filter(status=StepStatus.OPEN).count() == 3


def test_without_fired_rules_the_plan_holds_the_default_action(csm, own_account):
    SnapshotFactory(account=own_account, fired_rules=[])

    plan = plan_create_from_reasons(account=own_account, user=csm, now=NOON)

    assert steps_of(plan) == [("Keep the account healthy", "Maintain regular touchpoints and monitor health signals",
                               "casey", dt.date(2026, 4, 4), "open")]


def test_an_account_without_a_csm_gets_steps_without_an_owner(manager):
    account = AccountFactory(external_id="A-NOCSM", csm=None)
    SnapshotFactory(account=account, fired_rules=FIRED[1:2])

    plan = plan_create_from_reasons(account=account, user=manager, now=NOON)

    assert {owner for _, _, owner, _, _ in steps_of(plan)} == {None}


def test_a_second_plan_and_an_unscored_account_are_refused_with_nothing_written(csm, own_account, scored):
    plan_create_from_reasons(account=own_account, user=csm, now=NOON)

    with pytest.raises(DomainError) as second:
        plan_create_from_reasons(account=own_account, user=csm, now=NOON)
    unscored = AccountFactory(external_id="A-NEW", csm=csm)
    with pytest.raises(DomainError) as no_score:
        plan_create_from_reasons(account=unscored, user=csm, now=NOON)

    assert second.value.fields == {"plan": "This account already has a success plan; add objectives and steps to it."}
    assert no_score.value.message.startswith("This account has no score yet")
    assert (SuccessPlan.objects.count(), PlanObjective.objects.count(), PlanStep.objects.count()) == (1, 2, 4)


def test_a_plan_by_hand_checks_every_step_before_writing(csm, other_csm, manager, own_account):
    good = ObjectiveDraft("Adoption back to 80%", (StepDraft("Run a training", manager, TODAY, "in_progress"),))
    bad = ObjectiveDraft("Renewal", (StepDraft("Call the sponsor", other_csm),))

    with pytest.raises(DomainError) as problem:
        plan_create(account=own_account, user=csm, title="", objectives=[good, bad], now=NOON)
    plan = plan_create(account=own_account, user=csm, title="  Q2 plan ", objectives=[good], now=NOON)

    assert problem.value.fields == {"owner": f"{other_csm.get_full_name()} cannot reach this account; choose its "
                                             "CSM or a manager."}
    assert plan.title == "Q2 plan"
    assert steps_of(plan) == [("Adoption back to 80%", "Run a training", "morgan", TODAY, "in_progress")]


def test_objectives_and_steps_by_hand_are_added_edited_and_removed_with_an_audit_trail(csm, manager, own_account):
    objective = objective_add(account=own_account, user=csm, title=" Get the champion back ", now=NOON)
    step = step_add(objective=objective, user=csm, title="Meet the new practice manager", owner=csm,
                    due_on=dt.date(2026, 4, 10), now=NOON)
    step_edit(step=step, user=manager, title="Meet the new practice manager", owner=manager,
              due_on=dt.date(2026, 4, 12), now=NOON)
    objective_edit(objective=objective, user=csm, title="Win the new champion", now=NOON)

    step.refresh_from_db()
    assert (objective.plan.account, objective.title, objective.order) == (own_account, "Win the new champion", 1)
    assert (step.account, step.order, step.owner, step.due_on) == (own_account, 1, manager, dt.date(2026, 4, 12))
    changed = AuditEvent.objects.get(object_type="interventions.PlanStep", action="changed")
    assert (changed.user, changed.changes) == (manager, {"owner": ["casey", "morgan"],
                                                          "due_on": ["2026-04-10", "2026-04-12"]})

    step_remove(step=step, user=csm)
    objective_remove(objective=objective, user=csm)

    assert not PlanObjective.objects.exists() and not PlanStep.objects.exists()
    assert SuccessPlan.objects.get().account == own_account  # the plan stays, empty
    assert list(AuditEvent.objects.filter(action="deleted").values_list("object_type", flat=True).order_by("id")) == [
        "interventions.PlanStep", "interventions.PlanObjective"]


@pytest.mark.parametrize("title,owner,due_on,field,message", [
    ("", None, None, "title", "Give the step."),
    ("Call\x00", None, None, "title", "The step contains a NUL character (\\0); remove it."),
    ("x" * 201, None, None, "title", "The step has 201 characters; keep it to 200."),
    ("Call", None, dt.date(1999, 12, 31), "due_on", "Give a due date between 2000-01-01 and 2029-04-03."),
    ("Call", "other", None, "owner", "{name} cannot reach this account; choose its CSM or a manager."),
])
def test_a_refused_step_names_its_field_and_writes_nothing(csm, other_csm, own_account, title, owner, due_on, field,
                                                           message):
    objective = objective_add(account=own_account, user=csm, title="Renewal", now=NOON)

    with pytest.raises(DomainError) as problem:
        step_add(objective=objective, user=csm, title=title, owner=other_csm if owner else None, due_on=due_on,
                 now=NOON)

    assert problem.value.fields == {field: message.format(name=other_csm.get_full_name())}
    assert not PlanStep.objects.exists()


def test_a_step_done_records_who_and_when_and_reopening_clears_it(csm, own_account):
    objective = objective_add(account=own_account, user=csm, title="Renewal", now=NOON)
    step = step_add(objective=objective, user=csm, title="Send the proposal", owner=csm, now=NOON)

    step_status_set(step=step, user=csm, status="done", now=NOON)
    step.refresh_from_db()
    assert (step.status, step.done_by, step.done_at) == ("done", csm, NOON)

    step_status_set(step=step, user=csm, status="blocked", now=NOON)
    step.refresh_from_db()
    assert (step.status, step.done_by, step.done_at) == ("blocked", None, None)
    assert [e.changes for e in AuditEvent.objects.filter(object_type="interventions.PlanStep", action="changed")
            .order_by("id")] == [{"status": ["open", "done"]}, {"status": ["done", "blocked"]}]
    with pytest.raises(DomainError):
        step_status_set(step=step, user=csm, status="finished", now=NOON)


def test_my_plan_steps_are_mine_not_done_overdue_or_due_within_14_days(csm, manager, own_account):
    today = timezone.localdate()
    objective = objective_add(account=own_account, user=csm, title="Renewal")
    for title, owner, days in [("overdue", csm, -3), ("today", csm, 0), ("in 14", csm, 14), ("in 15", csm, 15),
                               ("no date", csm, None), ("the manager's", manager, 1), ("done", csm, 2)]:
        step = step_add(objective=objective, user=csm, title=title, owner=owner,
                        due_on=today + dt.timedelta(days=days) if days is not None else None)
        if title == "done":
            step_status_set(step=step, user=csm, status="done")

    queue = my_plan_steps(csm)

    assert [s.title for s in queue.steps] == ["overdue", "today", "in 14"]
    assert (queue.count, queue.overdue) == (3, 1)


def test_plan_progress_per_csm_counts_plans_steps_done_and_overdue(csm, other_csm, manager, own_account,
                                                                   foreign_account):
    today = timezone.localdate()
    for account, user in ((own_account, csm), (foreign_account, other_csm)):
        objective = objective_add(account=account, user=user, title="Renewal")
        for days in (-1, 5, 6):
            step_add(objective=objective, user=user, title=f"Step {days}", owner=user,
                     due_on=today + dt.timedelta(days=days))
    step_status_set(step=PlanStep.objects.get(account=own_account, title="Step 5"), user=csm, status="done")

    progress = plan_progress_by_csm(manager)

    assert (progress[csm.pk].plans, progress[csm.pk].steps_done, progress[csm.pk].steps_total,
            progress[csm.pk].overdue) == (1, 1, 3, 1)
    assert (progress[other_csm.pk].steps_done, progress[other_csm.pk].steps_total) == (0, 3)
    assert set(plan_progress_by_csm(csm)) == {csm.pk}  # a CSM counts their own book only


def test_the_panel_reads_progress_from_the_plan_in_three_queries(csm, own_account, scored,
                                                                 django_assert_num_queries):
    plan_create_from_reasons(account=own_account, user=csm, now=NOON)
    step_status_set(step=PlanStep.objects.first(), user=csm, status="done")

    with django_assert_num_queries(3):
        panel = account_plan(own_account)
        titles = [step.owner.username for o in panel.objectives for step in o.steps.all()]

    assert (panel.done, panel.total, panel.percent, len(titles)) == (1, 4, 25, 4)
