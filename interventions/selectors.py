"""Reads of the interventions app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import scope_to_user
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
QUEUE_LIMIT = 50


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
class QueueCounts:
    due_count: int  # open tasks due by the end of today
    overdue_count: int


@dataclass
class Queue(QueueCounts):
    due: list[Task]  # due by the end of today, overdue first
    upcoming: list[Task]  # due in the next 7 days


def _open_tasks(user: User, now: dt.datetime) -> tuple[QuerySet[Task], dt.datetime]:
    """The user's open tasks: assigned to them, or (for a CSM) unassigned on their accounts; for a
    manager also the unassigned ones on any account. With the end of the user's day."""
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    mine = Q(assignee=user) | Q(assignee__isnull=True)
    return scope_to_user(Task.objects.filter(mine, status=TaskStatus.OPEN), user), end_of_day


def task_counts(user: User, now: dt.datetime | None = None) -> QueueCounts:
    """How many of the user's open tasks are due by the end of today, and how many are overdue (one query)."""
    now = now or timezone.now()
    open_tasks, end_of_day = _open_tasks(user, now)
    counts = open_tasks.filter(due_at__lte=end_of_day).aggregate(due=Count("id"),
                                                                 overdue=Count("id", filter=Q(due_at__lt=now)))
    return QueueCounts(due_count=counts["due"], overdue_count=counts["overdue"])


def task_queue(user: User, now: dt.datetime | None = None) -> Queue:
    """The user's open tasks due today and in the next days, with the counts (three queries)."""
    now = now or timezone.now()
    open_tasks, end_of_day = _open_tasks(user, now)
    due = list(_task_rows(open_tasks.filter(due_at__lte=end_of_day))[:QUEUE_LIMIT])
    upcoming = list(_task_rows(open_tasks.filter(due_at__gt=end_of_day,
                                                 due_at__lte=end_of_day + dt.timedelta(days=UPCOMING_DAYS)))
                    [:QUEUE_LIMIT])
    counts = task_counts(user, now)
    return Queue(due_count=counts.due_count, overdue_count=counts.overdue_count, due=due, upcoming=upcoming)


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
