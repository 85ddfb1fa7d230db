"""What counts as timely help in the demo's simulation (workspace.demo.interventions.treated_on_time): the first
step of a treated intervention done by its due time, whatever the later steps; control-group firings never help."""

import datetime as dt

import pytest
from django.utils import timezone

from interventions.firing import fire_playbooks
from interventions.models import Arm, Intervention, Playbook, PlaybookStep, Task, TaskStatus
from tests.factories import AccountFactory, SnapshotFactory
from workspace.demo.interventions import treated_on_time

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 1, 10)


def fired(external_id: str, *, control: bool = False) -> list[Task]:
    """A Critical account whose two-step playbook fired on DAY; its tasks in order."""
    SnapshotFactory(account=AccountFactory(external_id=external_id), as_of=DAY, health_tier="Critical")
    fire_playbooks(as_of=DAY)
    intervention = Intervention.objects.get(account__external_id=external_id)
    if control:
        Intervention.objects.filter(pk=intervention.pk).update(group=Arm.CONTROL)
    return list(intervention.tasks.order_by("order"))


def done(task: Task, hours_after_due: float) -> None:
    task.status, task.done_at = TaskStatus.DONE, task.due_at + dt.timedelta(hours=hours_after_due)
    task.save(update_fields=["status", "done_at"])


def test_the_first_step_on_time_is_timely_help_and_later_steps_do_not_matter():
    Playbook.objects.all().delete()
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical", control_share=0)
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=24)
    PlaybookStep.objects.create(playbook=playbook, order=2, title="Plan", due_offset_hours=120)
    on_time_first, late_rest = fired("A-ON-TIME")
    done(on_time_first, -2)
    done(late_rest, 48)
    late_first, _ = fired("A-LATE")
    done(late_first, 3)
    fired("A-OPEN")  # nothing done
    control_first, _ = fired("A-CONTROL", control=True)
    done(control_first, -1)

    helped = treated_on_time(account_ids=["A-ON-TIME", "A-LATE", "A-OPEN", "A-CONTROL"])

    assert helped == {"A-ON-TIME": timezone.localdate(on_time_first.done_at)}
