"""Writes of the interventions app: a CSM's work on tasks (done, snooze), outcomes (permanent records),
Next Best Action items ticked, escalation of late tasks to managers, and playbook firing failures
(recorded on the playbook, e-mailed to the people who can fix it), tasks handed over with a reassigned
account, and the Tasks page's bulk actions (done, snooze, reassign many tasks at once: set-based, audited,
all or nothing)."""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, DateTimeField, DurationField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_records
from accounts.models import Account, User, WebhookEvent
from accounts.webhooks.emit import webhooks_emit
from healthcs.errors import DomainError
from interventions.models import (
    AssigneeRole,
    Intervention,
    InterventionStatus,
    NextBestActionCheck,
    Notification,
    Outcome,
    OutcomeKind,
    Playbook,
    Task,
    TaskStatus,
)

logger = logging.getLogger(__name__)

MAX_SNOOZE_DAYS = 30
ESCALATION_DUE_HOURS = 4  # the manager's escalation step is due this long after the escalation
NOTE_MAX = 4000


def tasks_hand_over(*, moves: dict[int, tuple[int | None, int]]) -> int:
    """The open tasks of reassigned accounts ({account id: (old CSM id or None, new CSM id)}) that were the old
    CSM's (or, for an account without one, the CSM steps left unassigned) go to the new CSM; tasks of managers
    and executives stay. One UPDATE per (old, new) pair. Returns how many moved."""
    pairs: dict[tuple[int | None, int], list[int]] = {}
    for account_id, pair in moves.items():
        pairs.setdefault(pair, []).append(account_id)
    moved = 0
    for (old, new), account_ids in pairs.items():
        theirs = Q(assignee_id=old) if old is not None else Q(assignee__isnull=True, assignee_role=AssigneeRole.CSM)
        moved += Task.objects.filter(theirs, account_id__in=account_ids, status=TaskStatus.OPEN) \
            .update(assignee_id=new)
    return moved


@transaction.atomic
def task_done(*, task: Task, user: User, now: dt.datetime | None = None) -> Task:
    """Mark the task done (once: a second click changes nothing) and complete its intervention when it
    was the last open task."""
    now = now or timezone.now()
    Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(status=TaskStatus.DONE, done_at=now,
                                                                    done_by=user)
    _interventions_complete(intervention_ids=[task.intervention_id], now=now)
    task.refresh_from_db()
    return task


def _interventions_complete(*, intervention_ids, now: dt.datetime) -> int:
    """Complete the open interventions among these that have no open task left (one UPDATE)."""
    return Intervention.objects.filter(pk__in=intervention_ids, status=InterventionStatus.OPEN).exclude(
        tasks__status=TaskStatus.OPEN).update(status=InterventionStatus.COMPLETED, completed_at=now)


def _snooze_problem(*, until: dt.datetime, reason: str, now: dt.datetime) -> DomainError | None:
    """What is wrong with snoozing to `until` for `reason` (one task or many), or None."""
    if until <= now:
        return DomainError("Snooze until a time in the future.", field="until")
    if until > now + dt.timedelta(days=MAX_SNOOZE_DAYS):
        return DomainError(f"Snooze for {MAX_SNOOZE_DAYS} days at most.", field="until")
    if not reason:
        return DomainError("Say why the task waits (the manager sees it).", field="reason")
    return None


@transaction.atomic
def task_snooze(*, task: Task, user: User, until: dt.datetime, reason: str, now: dt.datetime | None = None) -> Task:
    """Move an open task's due time (and its escalation by the same amount) to `until`, with a reason.
    Raises DomainError (nothing changed) for a time in the past or beyond 30 days, or no reason."""
    now = now or timezone.now()
    reason = reason.strip()
    if task.status != TaskStatus.OPEN:
        raise DomainError("This task is already done.", field="until")
    if problem := _snooze_problem(until=until, reason=reason, now=now):
        raise problem
    shift = until - task.due_at
    task.due_at = until
    if task.escalate_at is not None and task.escalated_at is None:
        task.escalate_at = max(task.escalate_at + shift, until)
    task.snoozed_until, task.snooze_reason = until, reason[:300]
    task.save(update_fields=["due_at", "escalate_at", "snoozed_until", "snooze_reason"])
    return task


# Bulk work on tasks (the Tasks page) ----------------------------------------------------------------------

def _locked_open(tasks: QuerySet[Task]) -> list[Task]:
    """The open tasks among `tasks`, locked until the change commits, with their assignees (one query)."""
    return list(Task.objects.select_for_update(of=("self",)).filter(pk__in=tasks.order_by().values("pk"),
                                                                     status=TaskStatus.OPEN)
                .select_related("assignee").order_by("id"))


def _none_open() -> DomainError:
    return DomainError("None of the chosen tasks is open any more; reload the page.", field="task")


def _email(user: User | None) -> str | None:
    return (user.email or user.username) if user is not None else None


@transaction.atomic
def tasks_done(*, tasks: QuerySet[Task], user: User, now: dt.datetime | None = None) -> int:
    """Mark many open tasks done at once, as task_done does one (their interventions complete when no task is
    left open), with an audit entry each; a constant number of queries. Returns how many."""
    now = now or timezone.now()
    rows = _locked_open(tasks)
    if not rows:
        raise _none_open()
    Task.objects.filter(pk__in=[t.pk for t in rows]).update(status=TaskStatus.DONE, done_at=now, done_by=user)
    _interventions_complete(intervention_ids={t.intervention_id for t in rows}, now=now)
    audit_records(user=user, action="done", objects=rows, changes=lambda t: {"status": ["open", "done"]})
    return len(rows)


@transaction.atomic
def tasks_snooze(*, tasks: QuerySet[Task], user: User, until: dt.datetime, reason: str,
                 now: dt.datetime | None = None) -> int:
    """Snooze many open tasks to `until` with one reason, by task_snooze's rules (a time in the future, within
    30 days, a reason; DomainError and nothing changed otherwise): each due time moves to `until` and an
    escalation not yet made moves by the same amount (never before `until`). One UPDATE; audited. Returns
    how many."""
    now = now or timezone.now()
    reason = reason.strip()
    if problem := _snooze_problem(until=until, reason=reason, now=now):
        raise problem
    rows = _locked_open(tasks)
    if not rows:
        raise _none_open()
    moment = Value(until, output_field=DateTimeField())
    shift = ExpressionWrapper(moment - F("due_at"), output_field=DurationField())
    later = ExpressionWrapper(Greatest(F("escalate_at") + shift, moment), output_field=DateTimeField())
    Task.objects.filter(pk__in=[t.pk for t in rows]).update(
        due_at=moment, snoozed_until=moment, snooze_reason=reason[:300],
        escalate_at=Case(When(escalate_at__isnull=False, escalated_at__isnull=True, then=later),
                         default=F("escalate_at"), output_field=DateTimeField()))
    audit_records(user=user, action="snoozed", objects=rows, changes=lambda t: {
        "due_at": [t.due_at.isoformat(), until.isoformat()], "reason": reason[:300]})
    return len(rows)


def _reaches_all(target: User, rows: list[Task]) -> bool:
    """Whether `target` may see every task's account: a manager or admin, or the CSM of each account."""
    if target.sees_all_accounts:
        return True
    return not Account.objects.filter(pk__in={t.account_id for t in rows}).exclude(csm=target).exists()


@transaction.atomic
def tasks_reassign(*, tasks: QuerySet[Task], user: User, to: User) -> int:
    """Hand many open tasks to `to`, who must be active and reach every task's account (a manager or admin, or
    the accounts' CSM); DomainError and nothing changed otherwise. One UPDATE; audited. Returns how many
    changed hands (tasks already theirs stay as they are)."""
    if not to.is_active or to.role is None:
        raise DomainError(f"{_name(to)} cannot take tasks; choose a CSM, a manager or an admin.", field="assignee")
    rows = _locked_open(tasks)
    if not rows:
        raise _none_open()
    if not _reaches_all(to, rows):
        raise DomainError(f"{_name(to)} is not the CSM of every chosen task's account, so could not see them; "
                          "hand them to a manager, or choose only tasks of their accounts.", field="assignee")
    moving = [t for t in rows if t.assignee_id != to.pk]
    Task.objects.filter(pk__in=[t.pk for t in moving]).update(assignee=to)
    audit_records(user=user, action="reassigned", objects=moving, changes=lambda t: {
        "assignee": [_email(t.assignee), _email(to)]})
    return len(moving)


@transaction.atomic
def outcome_log(*, account: Account, user: User, kind: str, note: str = "",
                intervention: Intervention | None = None, now: dt.datetime | None = None) -> Outcome:
    """Record what came of the work on an account (and its intervention): who, when, what, a note.
    Raises DomainError (nothing written) for an unknown kind or an intervention of another account."""
    if kind not in OutcomeKind.values:
        raise DomainError(f"'{kind}' is not an outcome; use one of: {', '.join(OutcomeKind.values)}.", field="kind")
    if intervention is not None and intervention.account_id != account.pk:
        raise DomainError("That intervention belongs to another account.", field="intervention")
    if len(note) > NOTE_MAX:
        raise DomainError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    outcome = Outcome.objects.create(account=account, intervention=intervention, kind=kind, note=note.strip(),
                                     created_by=user, created_at=now or timezone.now())
    webhooks_emit(event=WebhookEvent.OUTCOME_LOGGED, payloads=[
        {"outcome_id": outcome.pk, "account": account.external_id, "kind": kind, "note": outcome.note,
         "intervention_id": intervention.pk if intervention else None, "logged_by": _email(user),
         "logged_at": outcome.created_at}])
    return outcome


# Escalation ---------------------------------------------------------------------------------------------

def escalate_overdue_tasks(*, now: dt.datetime | None = None, site_url: str = "", announce: bool = True) -> int:
    """Escalate every open task past its escalation time, each exactly once (claimed with a row lock and a
    conditional update; the escalation step is unique per task): the CSM's manager (or, without one,
    every manager) gets an in-app notification and an e-mail, and a manager's escalation step is added.
    Returns the number of tasks escalated. `announce=False` (the demo's history) records the
    notifications as already e-mailed."""
    now = now or timezone.now()
    with transaction.atomic():
        late = list(Task.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=TaskStatus.OPEN, escalated_at__isnull=True, escalate_at__lte=now,
                            escalation_of__isnull=True)
                    .select_related("account", "account__csm", "intervention__playbook").order_by("id"))
        if not late:
            return 0
        Task.objects.filter(pk__in=[t.pk for t in late], escalated_at__isnull=True).update(escalated_at=now)
        managers = list(User.objects.filter(Q(groups__name="Manager"), is_active=True).distinct())
        steps, notices = [], []
        for task in late:
            boss = task.account.csm.reports_to if task.account.csm and task.account.csm.reports_to_id else None
            hours = round((task.escalate_at - task.intervention.triggered_at).total_seconds() / 3600)
            message = (f"Escalated: \"{task.title}\" for {task.account.name} ({task.intervention.playbook.name}) "
                       f"was not done within {hours} hours")
            steps.append(Task(intervention_id=task.intervention_id, account_id=task.account_id, step=None,
                              order=task.order, title=f"Escalation: {task.title}", channel=task.channel,
                              assignee_role=AssigneeRole.MANAGER, assignee=boss, escalation_of=task,
                              message=message + f"; the assignee was {_name(task.assignee) or 'nobody'}.",
                              due_at=now + dt.timedelta(hours=ESCALATION_DUE_HOURS)))
            for manager in [boss] if boss else managers:
                notices.append(Notification(user=manager, account_id=task.account_id, task=task, message=message[:300],
                                            emailed_at=None if announce else now))
        Task.objects.bulk_create(steps, ignore_conflicts=True)
        Notification.objects.bulk_create(notices, ignore_conflicts=True)
        if announce:
            transaction.on_commit(lambda: notifications_email(site_url=site_url))
    return len(late)


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def notifications_email(*, site_url: str = "") -> int:
    """E-mail notifications not e-mailed yet, each once (claimed before sending; released on failure)."""
    with transaction.atomic():
        pending = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(emailed_at__isnull=True).exclude(user__email="")
                       .select_related("user", "account").order_by("id")[:1000])
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    sent = 0
    base = (site_url or settings.SITE_URL).rstrip("/")
    for notice in pending:
        link = base + reverse("account_detail", args=[notice.account.external_id])
        try:
            send_mail(subject=f"HealthCS: {notice.message[:120]}", message=f"{notice.message}.\n\n{link}\n",
                      from_email=None, recipient_list=[notice.user.email], fail_silently=False)
            sent += 1
        except OSError as error:  # SMTP down: released, tried again by the next escalation run
            logger.warning("Escalation e-mail to %s failed, will retry: %s", notice.user.email, error)
            Notification.objects.filter(pk=notice.pk).update(emailed_at=None)
    return sent


def notifications_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# Next Best Action ---------------------------------------------------------------------------------------

def next_best_action_set(*, account: Account, user: User, action: str, done: bool, allowed: list[str],
                         now: dt.datetime | None = None) -> NextBestActionCheck:
    """Tick (or untick) an action of the account's checklist, recording who and when. `allowed` is the
    checklist shown for the account; another action raises DomainError and nothing is written."""
    if action not in allowed:
        raise DomainError("That action is not on this account's checklist any more; reload the page to see the "
                          "current one.", field="action")
    check, _ = NextBestActionCheck.objects.update_or_create(
        account=account, action=action,
        defaults={"done": done, "changed_by": user, "changed_at": now or timezone.now()})
    return check


# Playbook failures --------------------------------------------------------------------------------------

def playbook_failure_record(*, playbook: Playbook, error: str, now: dt.datetime | None = None) -> bool:
    """Record why a playbook did not fire. A new failure (not the one already recorded) is e-mailed to the
    people who can fix playbooks once the firing commits; the same failure day after day is e-mailed once,
    until the playbook fires again. Returns whether the failure was new."""
    now = now or timezone.now()
    error = error[:4000]
    logger.warning("Playbook %r did not fire: %s", playbook.name, error)
    new = Playbook.objects.filter(pk=playbook.pk).exclude(last_error=error).update(last_error=error, last_error_at=now)
    if new:
        transaction.on_commit(partial(playbook_failure_email, playbook_id=playbook.pk))
    else:
        Playbook.objects.filter(pk=playbook.pk).update(last_error_at=now)
    return bool(new)


def playbook_editors() -> list[str]:
    """The e-mail addresses of active users who may change playbooks (superusers included)."""
    can_change = (Q(is_superuser=True) | Q(user_permissions__codename="change_playbook")
                  | Q(groups__permissions__codename="change_playbook"))
    return sorted(set(User.objects.filter(can_change, is_active=True).exclude(email="")
                      .values_list("email", flat=True)))


def playbook_failure_email(*, playbook_id: int, site_url: str = "") -> bool:
    """E-mail the playbook's recorded failure to its editors; False when nobody could be told."""
    playbook = Playbook.objects.filter(pk=playbook_id).first()
    recipients = playbook_editors()
    if playbook is None or not playbook.last_error or not recipients:
        return False
    link = (site_url or settings.SITE_URL).rstrip("/") + reverse("admin:interventions_playbook_change",
                                                                   args=[playbook.pk])
    try:
        send_mail(subject=f"HealthCS: the playbook \"{playbook.name[:80]}\" did not fire",
                  message=f"The playbook \"{playbook.name}\" did not fire on {playbook.last_error_at:%Y-%m-%d %H:%M}; "
                          f"the other playbooks fired.\n\n{playbook.last_error}\n\nFix it here: {link}\n",
                  from_email=None, recipient_list=recipients, fail_silently=False)
    except OSError as error:  # SMTP down: the failure stays recorded and shown in admin's list
        logger.warning("Playbook failure e-mail to %s failed: %s", ", ".join(recipients), error)
        return False
    return True
