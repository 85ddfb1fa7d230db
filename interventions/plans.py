"""Writes of success plans (docs/pages.md#success-plan): a plan made from the fired reasons of an account's latest
score (one objective per reason, its configured actions as steps, owned by the account's CSM and due soonest for
the riskiest reason; actions already ticked on the Next Best Action checklist come in done) or by hand;
objectives and steps added, edited and removed; a step's status changed. Every change is audited, and a refused
value raises DomainError naming its field with nothing written."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit import audit_record, audit_records
from accounts.models import Account, User
from healthcs.errors import DomainError
from healthcs.inputs import text_checked
from interventions.models import NextBestActionCheck, PlanObjective, PlanStep, StepStatus, SuccessPlan
from scoring.config import parse_config
from scoring.models import Snapshot
from scoring.selectors import latest_snapshot

TITLE_MAX = 200
FIRST_DUE_DAYS = (3, 7, 14, 21)  # the steps of the riskiest reason are due in 3 days, the next reason's in 7, ...
EARLIEST_DUE = dt.date(2000, 1, 1)
LATEST_DUE_DAYS = 3 * 366  # a due date further ahead than about three years is a typing slip
HEALTHY_OBJECTIVE = "Keep the account healthy"


@dataclass(frozen=True)
class StepDraft:
    title: str
    owner: User | None = None
    due_on: dt.date | None = None
    status: str = StepStatus.OPEN


@dataclass(frozen=True)
class ObjectiveDraft:
    title: str
    steps: tuple[StepDraft, ...] = field(default_factory=tuple)
    reason_key: str = ""


def can_own_steps(user: User, account: Account) -> bool:
    """Whether the user can reach the account, and so own a step of its plan: its CSM, a manager or an admin."""
    return user.is_active and (user.pk == account.csm_id or user.sees_all_accounts)


def _title(value: str, *, label: str, field: str) -> str:
    return text_checked(value, field=field, label=label, limit=TITLE_MAX, missing=f"Give the {label}.")


def _checked_step(draft: StepDraft, account: Account, today: dt.date) -> StepDraft:
    title = _title(draft.title, label="step", field="title")
    if draft.owner is not None and not can_own_steps(draft.owner, account):
        raise DomainError(f"{draft.owner.get_full_name() or draft.owner.username} cannot reach this account; "
                          "choose its CSM or a manager.", field="owner")
    latest = today + dt.timedelta(days=LATEST_DUE_DAYS)
    if draft.due_on is not None and not EARLIEST_DUE <= draft.due_on <= latest:
        raise DomainError(f"Give a due date between {EARLIEST_DUE:%Y-%m-%d} and {latest:%Y-%m-%d}.", field="due_on")
    if draft.status not in StepStatus.values:
        raise DomainError(f"'{draft.status[:40]}' is not a status; use one of: {', '.join(StepStatus.values)}.",
                          field="status")
    return StepDraft(title, draft.owner, draft.due_on, draft.status)


def _touch(plan_id: int, now: dt.datetime) -> None:
    SuccessPlan.objects.filter(pk=plan_id).update(updated_at=now)


# A whole plan ----------------------------------------------------------------------------------------------

def plan_drafts_from_reasons(account: Account, snapshot: Snapshot, today: dt.date) -> list[ObjectiveDraft]:
    """One objective per fired reason, riskiest first, with its action groups' actions not planned yet as steps
    (owned by the account's CSM, due FIRST_DUE_DAYS after today by the reason's rank, a day apart); the
    configuration's default action under "Keep the account healthy" when no rule fired."""
    config = parse_config(snapshot.config.data)
    planned: set[str] = set()
    objectives: list[ObjectiveDraft] = []
    for fired in sorted(snapshot.fired_rules, key=lambda f: -f["points"]):
        actions = [action for group in config.action_groups if fired["rule"] in group.rules
                   for action in group.actions if action not in planned]
        actions = list(dict.fromkeys(actions))
        if not actions:
            continue
        planned.update(actions)
        first = today + dt.timedelta(days=FIRST_DUE_DAYS[min(len(objectives), len(FIRST_DUE_DAYS) - 1)])
        steps = tuple(StepDraft(action[:TITLE_MAX], account.csm, first + dt.timedelta(days=k))
                      for k, action in enumerate(actions))
        objectives.append(ObjectiveDraft(fired["reason"][:TITLE_MAX], steps, fired["rule"][:64]))
    if not objectives:
        due = today + dt.timedelta(days=FIRST_DUE_DAYS[0])
        objectives = [ObjectiveDraft(HEALTHY_OBJECTIVE, (StepDraft(config.default_action[:TITLE_MAX], account.csm,
                                                                   due),))]
    return objectives


def plan_create_from_reasons(*, account: Account, user: User, now: dt.datetime | None = None) -> SuccessPlan:
    """The account's plan made from the fired reasons of its latest score; the actions ticked on its Next Best
    Action checklist come in done (by whom and when they were ticked). DomainError when the account has no
    score yet or already has a plan."""
    now = now or timezone.now()
    snapshot = latest_snapshot(account)
    if snapshot is None:
        raise DomainError("This account has no score yet, so there are no reasons to plan from; add objectives "
                          "by hand.", field="plan")
    drafts = plan_drafts_from_reasons(account, snapshot, timezone.localdate(now))
    return _plan_write(account=account, user=user, title=f"Success plan for {account.name}"[:TITLE_MAX],
                       drafts=drafts, now=now, source="reasons")


def plan_create(*, account: Account, user: User, title: str, objectives: list[ObjectiveDraft],
                now: dt.datetime | None = None) -> SuccessPlan:
    """The account's plan with the objectives and steps given (the API's body). DomainError naming the first
    refused value, or when the account already has a plan."""
    now = now or timezone.now()
    title = _title(title, label="plan's title", field="title") if title.strip() else \
        f"Success plan for {account.name}"[:TITLE_MAX]
    return _plan_write(account=account, user=user, title=title, drafts=objectives, now=now, source="by hand")


@transaction.atomic
def _plan_write(*, account: Account, user: User, title: str, drafts: list[ObjectiveDraft], now: dt.datetime,
                source: str) -> SuccessPlan:
    today = timezone.localdate(now)
    checked = [ObjectiveDraft(_title(d.title, label="objective", field="title"),
                              tuple(_checked_step(s, account, today) for s in d.steps), d.reason_key[:64])
               for d in drafts]
    ticked = {c.action: c for c in NextBestActionCheck.objects.filter(account=account, done=True)}
    try:
        with transaction.atomic():
            plan = SuccessPlan.objects.create(account=account, title=title, created_by=user, created_at=now,
                                              updated_at=now)
    except IntegrityError:
        raise DomainError("This account already has a success plan; add objectives and steps to it.",
                          field="plan") from None
    objectives = PlanObjective.objects.bulk_create(
        [PlanObjective(plan=plan, title=d.title, order=i, reason_key=d.reason_key) for i, d in enumerate(checked, 1)])
    steps = []
    for objective, draft in zip(objectives, checked, strict=True):
        for k, step in enumerate(draft.steps, 1):
            check = ticked.get(step.title)
            done = step.status == StepStatus.DONE or check is not None
            steps.append(PlanStep(
                objective=objective, account=account, title=step.title, order=k, owner=step.owner,
                due_on=step.due_on, status=StepStatus.DONE if done else step.status,
                done_at=(check.changed_at if check else now) if done else None,
                done_by=(check.changed_by if check else user) if done else None))
    PlanStep.objects.bulk_create(steps)
    audit_record(user=user, action="created", obj=plan,
                 changes={"account": [None, account.external_id], "source": [None, source],
                          "objectives": [None, len(objectives)], "steps": [None, len(steps)]})
    return plan


# Objectives ------------------------------------------------------------------------------------------------

@transaction.atomic
def objective_add(*, account: Account, user: User, title: str, now: dt.datetime | None = None) -> PlanObjective:
    """An objective typed at the end of the account's plan (the plan is started when there is none)."""
    now = now or timezone.now()
    title = _title(title, label="objective", field="title")
    plan, created = SuccessPlan.objects.get_or_create(
        account=account, defaults={"title": f"Success plan for {account.name}"[:TITLE_MAX], "created_by": user,
                                   "created_at": now, "updated_at": now})
    if created:
        audit_record(user=user, action="created", obj=plan,
                     changes={"account": [None, account.external_id], "source": [None, "by hand"]})
    last = plan.objectives.aggregate(last=Max("order"))["last"] or 0
    objective = PlanObjective.objects.create(plan=plan, title=title, order=last + 1)
    audit_record(user=user, action="created", obj=objective, changes={"title": [None, title]})
    _touch(plan.pk, now)
    return objective


@transaction.atomic
def objective_edit(*, objective: PlanObjective, user: User, title: str,
                   now: dt.datetime | None = None) -> PlanObjective:
    title = _title(title, label="objective", field="title")
    if title != objective.title:
        audit_record(user=user, action="changed", obj=objective, changes={"title": [objective.title, title]})
        objective.title = title
        objective.save(update_fields=["title"])
        _touch(objective.plan_id, now or timezone.now())
    return objective


@transaction.atomic
def objective_remove(*, objective: PlanObjective, user: User, now: dt.datetime | None = None) -> None:
    """Remove an objective with its steps (each step recorded in the audit log too)."""
    steps = list(objective.steps.all())
    audit_record(user=user, action="deleted", obj=objective, changes={"steps": [len(steps), 0]})
    audit_records(user=user, action="deleted", objects=steps)
    objective.delete()
    _touch(objective.plan_id, now or timezone.now())


# Steps -----------------------------------------------------------------------------------------------------

@transaction.atomic
def step_add(*, objective: PlanObjective, user: User, title: str, owner: User | None = None,
             due_on: dt.date | None = None, now: dt.datetime | None = None) -> PlanStep:
    now = now or timezone.now()
    account = objective.plan.account
    draft = _checked_step(StepDraft(title, owner, due_on), account, timezone.localdate(now))
    last = objective.steps.aggregate(last=Max("order"))["last"] or 0
    step = PlanStep.objects.create(objective=objective, account=account, title=draft.title, order=last + 1,
                                   owner=draft.owner, due_on=draft.due_on)
    audit_record(user=user, action="created", obj=step,
                 changes={"title": [None, step.title], "owner": [None, _name(step.owner)],
                          "due_on": [None, _day(step.due_on)]})
    _touch(objective.plan_id, now)
    return step


@transaction.atomic
def step_edit(*, step: PlanStep, user: User, title: str, owner: User | None, due_on: dt.date | None,
              now: dt.datetime | None = None) -> PlanStep:
    """A step's title, owner and due date as typed; the changed ones are audited with old and new values."""
    now = now or timezone.now()
    draft = _checked_step(StepDraft(title, owner, due_on, step.status), step.account, timezone.localdate(now))
    changes = {}
    if draft.title != step.title:
        changes["title"] = [step.title, draft.title]
    if (owner.pk if owner else None) != step.owner_id:
        changes["owner"] = [_name(step.owner), _name(owner)]
    if due_on != step.due_on:
        changes["due_on"] = [_day(step.due_on), _day(due_on)]
    if changes:
        step.title, step.owner, step.due_on = draft.title, owner, due_on
        step.save(update_fields=["title", "owner", "due_on"])
        audit_record(user=user, action="changed", obj=step, changes=changes)
        _touch(step.objective.plan_id, now)
    return step


@transaction.atomic
def step_status_set(*, step: PlanStep, user: User, status: str, now: dt.datetime | None = None) -> PlanStep:
    """Move a step to open, in progress, blocked or done (done records who and when; leaving done clears it)."""
    now = now or timezone.now()
    if status not in StepStatus.values:
        raise DomainError(f"'{status[:40]}' is not a status; use one of: {', '.join(StepStatus.values)}.",
                          field="status")
    if status == step.status:
        return step
    old = step.status
    done = status == StepStatus.DONE
    step.status, step.done_at, step.done_by = status, now if done else None, user if done else None
    step.save(update_fields=["status", "done_at", "done_by"])
    audit_record(user=user, action="changed", obj=step, changes={"status": [old, status]})
    _touch(step.objective.plan_id, now)
    return step


@transaction.atomic
def step_remove(*, step: PlanStep, user: User, now: dt.datetime | None = None) -> None:
    audit_record(user=user, action="deleted", obj=step, changes={"title": [step.title, None]})
    step.delete()
    _touch(step.objective.plan_id, now or timezone.now())


def _name(user: User | None) -> str | None:
    return user.username if user else None


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
