"""Reads of the interventions app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import scope_to_user
from interventions.models import Intervention, InterventionStatus, Notification, Outcome, Task, TaskStatus

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
class Queue:
    due: list[Task]  # due by the end of today, overdue first
    upcoming: list[Task]  # due in the next 7 days
    due_count: int
    overdue_count: int


def task_queue(user: User, now: dt.datetime | None = None) -> Queue:
    """The user's open tasks: assigned to them, or (for a CSM) unassigned on their accounts; for a
    manager also the unassigned ones on any account (three queries)."""
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    mine = Q(assignee=user) | Q(assignee__isnull=True)
    open_tasks = scope_to_user(Task.objects.filter(mine, status=TaskStatus.OPEN), user)
    due = list(_task_rows(open_tasks.filter(due_at__lte=end_of_day))[:QUEUE_LIMIT])
    upcoming = list(_task_rows(open_tasks.filter(due_at__gt=end_of_day,
                                                 due_at__lte=end_of_day + dt.timedelta(days=UPCOMING_DAYS)))
                    [:QUEUE_LIMIT])
    counts = open_tasks.filter(due_at__lte=end_of_day).aggregate(due=Count("id"),
                                                                 overdue=Count("id", filter=Q(due_at__lt=now)))
    return Queue(due=due, upcoming=upcoming, due_count=counts["due"], overdue_count=counts["overdue"])


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
