"""Each CSM's book for a manager balancing them (docs/pages.md#csm-books): live accounts, ARR, accounts at High
risk and in the Critical tier (the latest scoring day's snapshots), open and overdue tasks, with every CSM who
could take accounts (an empty book too) and the unassigned accounts last. A fixed number of grouped queries."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import assignable_csms
from interventions.models import AssigneeRole, Task, TaskStatus
from workspace.dashboards import team_view


@dataclass
class CsmBook:
    csm: User | None  # None: the unassigned accounts
    accounts: int = 0
    arr: float = 0.0
    high_risk: int = 0
    arr_at_risk: float = 0.0
    critical: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0

    @property
    def csm_email(self) -> str:
        return self.csm.email if self.csm else ""


def csm_books(user: User, as_of: dt.date | None, now: dt.datetime | None = None) -> list[CsmBook]:
    """One book per CSM who holds live accounts or could take some, by name, then the unassigned accounts (their
    open tasks: the CSM steps nobody holds). Six queries whatever the number of CSMs and accounts."""
    now = now or timezone.now()
    books: dict[int | None, CsmBook] = {c.pk: CsmBook(csm=c) for c in assignable_csms()}
    for row in team_view(user, as_of):
        key = row.csm.pk if row.csm else None
        book = books.setdefault(key, CsmBook(csm=row.csm))
        book.accounts, book.arr, book.high_risk = row.accounts, row.arr, row.high_risk
        book.arr_at_risk, book.critical = row.arr_at_risk, row.critical
    held = Q(assignee__isnull=False) | Q(assignee_role=AssigneeRole.CSM)
    tasks = (Task.objects.filter(held, status=TaskStatus.OPEN).order_by().values("assignee_id")
             .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now))))
    for row in tasks:
        book = books.get(row["assignee_id"])
        if book is not None:  # managers' and executives' tasks are in nobody's book
            book.open_tasks, book.overdue_tasks = row["open"], row["overdue"]
    books.setdefault(None, CsmBook(csm=None))
    return sorted(books.values(), key=lambda b: (b.csm is None, _name(b.csm)))


def _name(user: User | None) -> tuple[str, str]:
    return ((user.get_full_name() or user.username).casefold(), user.username) if user else ("", "")
