"""A CSM's work on tasks and outcomes, and the escalation of late tasks (docs/interventions.md): done once, snoozed with
a reason, outcomes as permanent records, escalation to the manager in app and by e-mail, never twice."""

import datetime as dt

import pytest
from django.core import mail

from healthcs.errors import DomainError
from interventions.firing import fire_playbooks
from interventions.models import (
    Intervention,
    InterventionStatus,
    Notification,
    Outcome,
    OutcomeKind,
    Playbook,
    PlaybookStep,
    Task,
)
from interventions.services import (
    escalate_overdue_tasks,
    outcome_log,
    task_done,
    task_snooze,
)
from tests.factories import AccountFactory, SnapshotFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
MORNING = dt.datetime(2025, 3, 31, 8, tzinfo=dt.UTC)


@pytest.fixture
def intervention(csm):
    """Lakeside in the Critical tier, fired on AS_OF: a call due at 10:00 (escalates after 24 hours) and an
    e-mail due at 12:00 (never escalates)."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=2, channel="call",
                                escalate_after_hours=24)
    PlaybookStep.objects.create(playbook=playbook, order=2, title="E-mail", due_offset_hours=4)
    account = AccountFactory(name="Lakeside", csm=csm)
    SnapshotFactory(account=account, as_of=AS_OF, health_tier="Critical")
    fire_playbooks(as_of=AS_OF, now=MORNING + dt.timedelta(days=30))
    return Intervention.objects.get()


def tasks(intervention) -> list[Task]:
    return list(intervention.tasks.filter(escalation_of__isnull=True).order_by("order"))


def test_marking_the_last_task_done_completes_the_intervention(intervention, csm):
    call, email = tasks(intervention)
    done_at = MORNING + dt.timedelta(hours=1)

    task_done(task=call, user=csm, now=done_at)
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.OPEN

    task_done(task=email, user=csm, now=done_at + dt.timedelta(hours=1))
    task_done(task=email, user=csm, now=done_at + dt.timedelta(hours=5))  # a second click changes nothing

    intervention.refresh_from_db()
    email.refresh_from_db()
    assert (intervention.status, intervention.completed_at) == (InterventionStatus.COMPLETED,
                                                               done_at + dt.timedelta(hours=1))
    assert (email.status, email.done_at, email.done_by) == ("done", done_at + dt.timedelta(hours=1), csm)


def test_a_snooze_moves_the_due_time_and_the_escalation_with_a_reason(intervention, csm):
    call, _ = tasks(intervention)
    until = MORNING + dt.timedelta(days=2)

    task_snooze(task=call, user=csm, until=until, reason="Customer on holiday", now=MORNING)

    call.refresh_from_db()
    assert (call.due_at, call.snoozed_until, call.snooze_reason) == (until, until, "Customer on holiday")
    assert call.escalate_at == MORNING + dt.timedelta(hours=24) + (until - MORNING - dt.timedelta(hours=2))


@pytest.mark.parametrize(("until", "reason", "field", "message"), [
    (MORNING - dt.timedelta(hours=1), "Away", "until", "Snooze until a time in the future."),
    (MORNING + dt.timedelta(days=31), "Away", "until", "Snooze for 30 days at most."),
    (MORNING + dt.timedelta(days=1), "  ", "reason", "Say why the task waits (the manager sees it)."),
])
def test_a_bad_snooze_says_why_and_changes_nothing(intervention, csm, until, reason, field, message):
    call, _ = tasks(intervention)
    before = (call.due_at, call.escalate_at)

    with pytest.raises(DomainError) as problem:
        task_snooze(task=call, user=csm, until=until, reason=reason, now=MORNING)

    assert (problem.value.field, problem.value.message) == (field, message)
    call.refresh_from_db()
    assert (call.due_at, call.escalate_at, call.snooze_reason) == (*before, "")


def test_an_outcome_is_recorded_with_who_and_when(intervention, csm):
    at = MORNING + dt.timedelta(hours=3)

    outcome = outcome_log(account=intervention.account, user=csm, kind="meeting_scheduled", note=" Thursday 10:00 ",
                          intervention=intervention, now=at)

    assert (outcome.kind, outcome.note, outcome.created_by, outcome.created_at, outcome.intervention) == (
        "meeting_scheduled", "Thursday 10:00", csm, at, intervention)


def test_a_bad_outcome_is_refused_and_nothing_written(intervention, csm):
    with pytest.raises(DomainError) as unknown:
        outcome_log(account=intervention.account, user=csm, kind="won")
    with pytest.raises(DomainError) as foreign:
        outcome_log(account=AccountFactory(csm=csm), user=csm, kind="contacted", intervention=intervention)

    assert (unknown.value.field, unknown.value.message) == (
        "kind", "'won' is not an outcome; use one of: " + ", ".join(OutcomeKind.values) + ".")
    assert (foreign.value.field, foreign.value.message) == (
        "intervention", "That intervention belongs to another account.")

    assert not Outcome.objects.exists()


def test_a_late_task_is_escalated_to_the_csms_manager_once(intervention, csm, settings):
    boss = UserFactory(username="boss", email="boss@example.org", role="Manager")
    UserFactory(username="other-manager", email="other@example.org", role="Manager")
    csm.reports_to = boss
    csm.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert escalate_overdue_tasks(now=MORNING + dt.timedelta(hours=23)) == 0
    escalated = escalate_overdue_tasks(now=MORNING + dt.timedelta(hours=25))
    again = escalate_overdue_tasks(now=MORNING + dt.timedelta(hours=50))

    call, email = tasks(intervention)
    assert (escalated, again) == (1, 0)
    assert call.escalated_at == MORNING + dt.timedelta(hours=25) and email.escalated_at is None
    step = call.escalation
    assert (step.title, step.assignee, step.assignee_role, step.due_at) == (
        "Escalation: Call", boss, "manager", MORNING + dt.timedelta(hours=29))
    notice = Notification.objects.get()
    assert (notice.user, notice.task, notice.message) == (
        boss, call, 'Escalated: "Call" for Lakeside (Rescue) was not done within 24 hours')


def test_without_a_manager_of_their_own_every_manager_is_told(intervention, manager, django_capture_on_commit_callbacks,
                                                             settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = UserFactory(username="second", email="second@example.org", role="Manager")

    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue_tasks(now=MORNING + dt.timedelta(hours=25))

    assert sorted(Notification.objects.values_list("user__username", flat=True)) == sorted([manager.username,
                                                                                          second.username])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, second.email])
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_done_tasks_are_not_escalated(intervention, csm):
    call, _ = tasks(intervention)
    task_done(task=call, user=csm, now=MORNING + dt.timedelta(hours=30))

    assert escalate_overdue_tasks(now=MORNING + dt.timedelta(hours=31)) == 0
    assert not Notification.objects.exists()
