"""Reads of the interventions app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, Role, User
from accounts.selectors import scope_to_user
from healthcs.errors import DomainError
from healthcs.paging import ShowMore
from interventions.models import (
    Intervention,
    InterventionStatus,
    NextBestActionCheck,
    Notification,
    Outcome,
    PlanObjective,
    PlanStep,
    StepStatus,
    SuccessPlan,
    Task,
    TaskStatus,
    TriggerKind,
)

UPCOMING_DAYS = 7
QUEUE_PAGE = 10  # tasks each list of My queue shows at first, and how many more each "show more" adds
QUEUE_LISTS = ("due", "upcoming")


def get_task_for_user(user: User, task_id: int) -> Task:
    """A task on one of the user's accounts; 404 otherwise (another CSM's task is not revealed)."""
    try:
        return scope_to_user(Task.objects.select_related("account", "intervention__playbook", "assignee"), user) \
            .get(pk=task_id)
    except Task.DoesNotExist:
        raise Http404("No such task.") from None


def get_intervention_for_user(user: User, intervention_id: int) -> Intervention:
    try:
        return scope_to_user(Intervention.objects.select_related("account", "playbook"), user).get(pk=intervention_id)
    except Intervention.DoesNotExist:
        raise Http404("No such intervention.") from None


def _task_rows(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """A task row's tasks with what the row shows of their account, assignee and playbook (an escalation shows only
    that it is one: escalation_of_id)."""
    return queryset.select_related("account", "assignee", "intervention__playbook") \
        .order_by("due_at", "intervention__playbook__priority", "id")


@dataclass
class TaskList(ShowMore):
    """One list of the queue ("due" or "upcoming"): its tasks from `offset` on, and how many it holds."""

    which: str
    tasks: list[Task]
    count: int
    offset: int = 0
    page_size = QUEUE_PAGE

    @property
    def shown(self) -> int:
        return len(self.tasks)

    @property
    def total(self) -> int:
        return self.count


@dataclass
class QueueCounts:
    due_count: int  # open tasks due by the end of today
    overdue_count: int
    upcoming_count: int = 0  # due in the next 7 days: listed on demand (queue_tasks)


@dataclass
class Queue(QueueCounts):
    due: list[Task] = field(default_factory=list)  # due by the end of today, overdue first (the first QUEUE_PAGE)

    @property
    def due_list(self) -> TaskList:
        return TaskList("due", self.due, self.due_count)


def _open_tasks(user: User, now: dt.datetime) -> tuple[QuerySet[Task], dict[str, Q]]:
    """The user's open tasks: assigned to them, or (for a CSM) unassigned on their accounts; for a manager
    also the unassigned ones on any account; with what puts a task in each list of the queue."""
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    mine = Q(assignee=user) | Q(assignee__isnull=True)
    lists = {"due": Q(due_at__lte=end_of_day),
             "upcoming": Q(due_at__gt=end_of_day, due_at__lte=end_of_day + dt.timedelta(days=UPCOMING_DAYS))}
    return scope_to_user(Task.objects.filter(mine, status=TaskStatus.OPEN), user), lists


def _counts(open_tasks: QuerySet[Task], lists: dict[str, Q], now: dt.datetime) -> QueueCounts:
    counts = open_tasks.filter(lists["due"] | lists["upcoming"]).aggregate(
        due=Count("id", filter=lists["due"]), overdue=Count("id", filter=Q(due_at__lt=now)),
        upcoming=Count("id", filter=lists["upcoming"]))
    return QueueCounts(due_count=counts["due"], overdue_count=counts["overdue"], upcoming_count=counts["upcoming"])


def task_counts(user: User, now: dt.datetime | None = None) -> QueueCounts:
    """How many of the user's open tasks are due by the end of today, overdue, and due in the next days (one
    query): the queue header's counts, fetched again after a task changed."""
    now = now or timezone.now()
    return _counts(*_open_tasks(user, now), now)


def task_queue(user: User, now: dt.datetime | None = None, limit: int = QUEUE_PAGE) -> Queue:
    """The first `limit` tasks due today or overdue, and the counts of both lists of the user's queue (two
    queries, however many tasks there are: the rest, and the upcoming tasks, are fetched on demand by
    queue_tasks)."""
    now = now or timezone.now()
    open_tasks, lists = _open_tasks(user, now)
    due = list(_task_rows(open_tasks.filter(lists["due"]))[:limit])
    counts = _counts(open_tasks, lists, now)
    return Queue(due=due, due_count=counts.due_count, overdue_count=counts.overdue_count,
                 upcoming_count=counts.upcoming_count)


def queue_tasks(user: User, which: str, offset: int, now: dt.datetime | None = None,
                limit: int = QUEUE_PAGE) -> TaskList:
    """One list of the user's queue from `offset` on (at most `limit`): what its "show more" fetches (two
    queries)."""
    open_tasks, lists = _open_tasks(user, now or timezone.now())
    listed = open_tasks.filter(lists[which])
    return TaskList(which, list(_task_rows(listed)[offset:offset + limit]), listed.count(), offset)


def task_scope(user: User, now: dt.datetime | None = None) -> QuerySet[Task]:
    """The open tasks the Tasks page lists and its bulk actions may change: a CSM's queue (their tasks and the
    unassigned ones on their accounts); for managers and admins every open task of the team, whoever has it."""
    if user.is_authenticated and user.sees_all_accounts:
        return scope_to_user(Task.objects.filter(status=TaskStatus.OPEN), user)
    return _open_tasks(user, now or timezone.now())[0]


def task_page_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """What a task row shows of each task, in one query whatever the page's length (the caller orders)."""
    return tasks.select_related("account", "assignee", "intervention__playbook", "escalation_of")


def chosen_tasks(user: User, task_ids: list[int]) -> QuerySet[Task]:
    """The ticked tasks of a bulk action; DomainError (nothing changes) when any of them is not an open task the
    user may work (another CSM's task, one done meanwhile, or no such task), or none was ticked."""
    wanted = set(task_ids)
    if not wanted:
        raise DomainError("No task was chosen: tick the tasks to change, or choose all the tasks matching the "
                          "filter.", field="task")
    chosen = task_scope(user).filter(pk__in=wanted)
    missing = len(wanted) - chosen.count()
    if missing:
        raise DomainError(f"{missing} of the {len(wanted)} chosen tasks cannot be changed: they are done already or "
                          "not in your queue. Nothing was changed; reload the page and choose again.", field="task")
    return chosen


def task_assignees(user: User) -> QuerySet[User]:
    """Whom the user may hand tasks to: managers and admins (they reach every account) and, for a manager, every
    active CSM (a task goes to the CSM of its account); for a CSM, themselves."""
    leads = Q(is_superuser=True) | Q(groups__name__in=[Role.MANAGER, Role.ADMIN])
    them = leads | (Q(groups__name=Role.CSM) if user.sees_all_accounts else Q(pk=user.pk))
    return User.objects.filter(them, is_active=True).distinct().order_by("first_name", "last_name", "username")


def account_interventions(account: Account, read: list[Intervention] | None = None) -> list[Intervention]:
    """The account's open interventions with their tasks, by playbook priority, newest first within one: two queries,
    or one when `read` holds the open ones with their playbooks already (among others: Account 360's timeline reads
    them with its own, accounts.timeline.timeline_sources). A task's intervention is the one it is listed under (the
    prefetch sets it, with its playbook), and its account the page's: neither is read again."""
    if read is None:
        read = account.interventions.filter(status=InterventionStatus.OPEN).select_related("playbook")
    interventions = sorted(sorted((i for i in read if i.status == InterventionStatus.OPEN),
                                  key=lambda i: (i.triggered_at, i.pk), reverse=True),
                           key=lambda i: i.playbook.priority)
    tasks = Task.objects.select_related("assignee").order_by("due_at", "id")  # one intervention: one playbook
    prefetch_related_objects(interventions, Prefetch("tasks", queryset=tasks))
    for intervention in interventions:
        for task in intervention.tasks.all():
            if task.account_id == account.pk:
                task.account = account
    return interventions


def account_outcomes(account: Account, limit: int = 20) -> list[Outcome]:
    return list(account.outcomes.select_related("created_by", "intervention__playbook")[:limit])


def unread_notifications(user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True).select_related("account", "task")
                [:limit])


@dataclass(frozen=True)
class ChecklistItem:
    """An action of the Next Best Action checklist with its recorded state (None: never ticked)."""

    action: str
    because: str
    check: NextBestActionCheck | None

    @property
    def done(self) -> bool:
        return self.check is not None and self.check.done


def next_best_action_items(account: Account, steps) -> list[ChecklistItem]:
    """The checklist's steps (scoring.outreach.Step) with who ticked each and when (one query)."""
    checks = {c.action: c for c in NextBestActionCheck.objects.select_related("changed_by")
              .filter(account=account, action__in=[s.action for s in steps])}
    return [ChecklistItem(step.action, step.because, checks.get(step.action)) for step in steps]


# Success plans ----------------------------------------------------------------------------------------------

PLAN_QUEUE_DAYS = 14  # My queue lists the user's plan steps due within this many days, and the overdue ones
PLAN_QUEUE_ROWS = 50


@dataclass
class PlanPanel:
    """An account's plan with its objectives and their steps, and how far it has come."""

    plan: SuccessPlan
    objectives: list[PlanObjective]
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def account_plan(account: Account) -> PlanPanel | None:
    """The account's plan (with who made it), its objectives and their steps with owners (three queries), or
    None."""
    plan = SuccessPlan.objects.filter(account=account).select_related("created_by").prefetch_related(
        Prefetch("objectives", queryset=PlanObjective.objects.order_by("order", "id").prefetch_related(
            Prefetch("steps", queryset=PlanStep.objects.select_related("owner", "done_by").order_by("order", "id"))))
    ).first()
    if plan is None:
        return None
    objectives = list(plan.objectives.all())
    steps = [step for objective in objectives for step in objective.steps.all()]
    return PlanPanel(plan, objectives, sum(step.status == StepStatus.DONE for step in steps), len(steps))


def get_plan_objective(account: Account, objective_id: int) -> PlanObjective:
    """An objective of the account's plan (the account already checked for the user); 404 otherwise."""
    try:
        return PlanObjective.objects.select_related("plan__account").get(pk=objective_id, plan__account=account)
    except PlanObjective.DoesNotExist:
        raise Http404("No such objective on this account's plan.") from None


def get_plan_step(account: Account, step_id: int) -> PlanStep:
    """A step of the account's plan (the account already checked for the user); 404 otherwise."""
    try:
        return PlanStep.objects.select_related("account", "objective", "owner", "done_by") \
            .get(pk=step_id, account=account)
    except PlanStep.DoesNotExist:
        raise Http404("No such step on this account's plan.") from None


def plan_owner_choices(account: Account) -> QuerySet[User]:
    """Who may own a step of the account's plan: its CSM and the active managers and admins, by name."""
    return (User.objects.filter(Q(pk=account.csm_id) | Q(groups__name__in=[Role.MANAGER, Role.ADMIN])
                                | Q(is_superuser=True), is_active=True)
            .distinct().order_by("first_name", "last_name", "username"))


@dataclass
class PlanQueue:
    """The user's plan steps not done that are overdue or due within PLAN_QUEUE_DAYS (the first rows), and
    how many there are."""

    steps: list[PlanStep]
    count: int
    overdue: int


def my_plan_steps(user: User, today: dt.date | None = None, limit: int = PLAN_QUEUE_ROWS) -> PlanQueue:
    """My queue's plan steps: owned by the user, not done, due by PLAN_QUEUE_DAYS from today, soonest first
    (two queries, however many there are)."""
    today = today or timezone.localdate()
    mine = scope_to_user(PlanStep.objects.filter(owner=user, due_on__lte=today + dt.timedelta(days=PLAN_QUEUE_DAYS))
                         .exclude(status=StepStatus.DONE), user)
    steps = list(mine.select_related("account", "objective").order_by("due_on", "id")[:limit])
    counts = mine.aggregate(count=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    return PlanQueue(steps, counts["count"], counts["overdue"])


@dataclass(frozen=True)
class PlanProgress:
    """A CSM's plans on the team view: how many of their accounts have one, steps done of all, overdue steps."""

    plans: int = 0
    steps_done: int = 0
    steps_total: int = 0
    overdue: int = 0


def plan_progress_by_csm(user: User, today: dt.date | None = None) -> dict[int | None, PlanProgress]:
    """Plan progress per account CSM id (None: unassigned accounts) over the live accounts the user sees (two
    queries)."""
    today = today or timezone.localdate()
    plans = dict(scope_to_user(SuccessPlan.objects.filter(account__churned=False), user).order_by()
                 .values_list("account__csm_id").annotate(n=Count("id")))
    steps = (scope_to_user(PlanStep.objects.filter(account__churned=False), user).order_by()
             .values("account__csm_id").annotate(
                 total=Count("id"), done=Count("id", filter=Q(status=StepStatus.DONE)),
                 overdue=Count("id", filter=Q(due_on__lt=today) & ~Q(status=StepStatus.DONE))))
    progress = {csm_id: PlanProgress(plans=n) for csm_id, n in plans.items()}
    for row in steps:
        csm_id = row["account__csm_id"]
        progress[csm_id] = PlanProgress(plans=plans.get(csm_id, 0), steps_done=row["done"],
                                        steps_total=row["total"], overdue=row["overdue"])
    return progress
def with_fired_interventions(alerts: QuerySet) -> QuerySet:
    """The alerts with the intervention each one fired, when there is one (`intervention_id`, `playbook_name`,
    `intervention_status`, `intervention_on`): the first firing, on the alert's scoring day or after it, of a
    playbook triggered by alerts of its type on its account (subqueries of the same query, no query per row)."""
    fired = (Intervention.objects.filter(account_id=OuterRef("account_id"), playbook__trigger_kind=TriggerKind.ALERT,
                                         playbook__trigger_value=OuterRef("kind"), triggered_on__gte=OuterRef("as_of"))
             .order_by("triggered_on", "pk"))
    return alerts.annotate(
        intervention_id=Subquery(fired.values("pk")[:1]), playbook_name=Subquery(fired.values("playbook__name")[:1]),
        intervention_status=Subquery(fired.values("status")[:1]),
        intervention_on=Subquery(fired.values("triggered_on")[:1]))
