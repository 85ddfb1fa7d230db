"""Reads of the interventions app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
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
    Task,
    TaskStatus,
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
    return queryset.select_related("account", "assignee", "intervention__playbook", "escalation_of") \
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


def account_interventions(account: Account) -> list[Intervention]:
    """The account's open interventions with their tasks (two queries)."""
    return list(account.interventions.filter(status=InterventionStatus.OPEN).select_related("playbook")
                .prefetch_related(Prefetch("tasks", queryset=_task_rows(Task.objects.all())))
                .order_by("playbook__priority", "-triggered_at"))


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
