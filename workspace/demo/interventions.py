"""The demo's intervention history (seed_demo): after each scored day the playbooks fire as they would
have that morning, and the demo CSMs work their tasks as three kinds of CSM do — one acts on time and
logs outcomes, one acts on most tasks, a few hours late now and then, one does not act (their tasks
escalate) — so the queue, the timeline and the effectiveness page have real numbers on first start: with
two of three CSMs working their tasks, treated accounts churn less than the control group, as in a team
whose playbooks work. Deterministic for a seed."""

import datetime as dt
import random

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from interventions.models import Arm, Intervention, InterventionStatus, Outcome, OutcomeKind, Task, TaskStatus

# Per demo CSM (in DEMO_CSMS order): share of tasks done, hours late when done (range), share of
# interventions with an outcome logged.
BEHAVIOURS = ((0.95, (-1.5, 0.0), 0.9), (0.9, (-6.0, 2.0), 0.6), (0.0, (0.0, 0.0), 0.0))
RECENT_DAYS = 7  # interventions fired this close to the end of the history are left to the queue
STALE_DAYS = 30  # steps of interventions older than this were all done in the end, if late
CATCH_UP_DAYS = (3.0, 20.0)  # how late such a step was done, in days
NOTES = {
    OutcomeKind.CONTACTED: ["Spoke with the practice manager", "Reached the champion by phone",
                            "E-mail answered the same day"],
    OutcomeKind.MEETING: ["Review booked for next week", "Training session scheduled", "QBR in the calendar"],
    OutcomeKind.RESOLVED: ["Sync issue fixed with support", "Billing question sorted", "Workflow re-configured"],
    OutcomeKind.NO_RESPONSE: ["Voicemail left", "No answer to two e-mails"],
    OutcomeKind.RENEWED: ["Renewal signed"],
    OutcomeKind.DOWNGRADED: ["Moved to a smaller plan"],
    OutcomeKind.CANCELLED: ["Customer confirmed they are leaving"],
}


@transaction.atomic
def simulate_csm_work(*, fired_on: dt.date, history_end: dt.date, csm_ids: list[int], seed: int) -> int:
    """Work the interventions fired on `fired_on` as the demo CSMs would; returns the tasks done."""
    if (history_end - fired_on).days < RECENT_DAYS:
        return 0
    rng = random.Random(f"{seed}-{fired_on.isoformat()}")
    stale = (history_end - fired_on).days > STALE_DAYS
    behaviour = {csm_id: BEHAVIOURS[n % len(BEHAVIOURS)] for n, csm_id in enumerate(csm_ids)}
    # Only interventions nobody has worked yet: a second seed_demo run changes nothing.
    worked = Exists(Task.objects.filter(intervention=OuterRef("pk"), status=TaskStatus.DONE))
    interventions = list(Intervention.objects.filter(triggered_on=fired_on, status=InterventionStatus.OPEN)
                         .exclude(worked).exclude(outcomes__isnull=False)
                         .select_related("account").prefetch_related("tasks").order_by("id"))
    done_tasks, outcomes, completed = [], [], []
    for intervention in interventions:
        csm_id = intervention.account.csm_id
        if csm_id not in behaviour:
            continue
        share_done, lateness, share_outcome = behaviour[csm_id]
        tasks = sorted(intervention.tasks.all(), key=lambda t: t.order)
        finished = []
        for task in tasks:
            if rng.random() < share_done:
                task.done_at = task.due_at + dt.timedelta(hours=rng.uniform(*lateness))
            elif stale:  # nobody leaves a task open for months: it is caught up with, late
                task.done_at = task.due_at + dt.timedelta(days=rng.uniform(*CATCH_UP_DAYS))
            else:
                continue
            task.status = TaskStatus.DONE
            task.done_by_id = task.assignee_id or csm_id
            finished.append(task)
        done_tasks += finished
        if tasks and len(finished) == len(tasks):
            intervention.status = InterventionStatus.COMPLETED
            intervention.completed_at = max(t.done_at for t in finished)
            completed.append(intervention)
        if rng.random() < share_outcome:
            first = intervention.triggered_at + dt.timedelta(hours=rng.uniform(1, 6) + (lateness[1] or 0))
            kinds = [OutcomeKind.CONTACTED, rng.choice([OutcomeKind.MEETING, OutcomeKind.RESOLVED,
                                                        OutcomeKind.NO_RESPONSE])]
            for n, kind in enumerate(kinds):
                outcomes.append(Outcome(account=intervention.account, intervention=intervention, kind=kind,
                                        note=rng.choice(NOTES[kind]), created_by_id=csm_id,
                                        created_at=first + dt.timedelta(days=2 * n)))
    Task.objects.bulk_update(done_tasks, ["status", "done_at", "done_by"], batch_size=1000)
    Intervention.objects.bulk_update(completed, ["status", "completed_at"], batch_size=1000)
    Outcome.objects.bulk_create(outcomes, batch_size=1000)
    return len(done_tasks)


def treated_on_time(*, account_ids: list[str]) -> dict[str, dt.date]:
    """Per account (external id): the day its first treated intervention had its first step done on time — the
    customer was reached while it mattered; later steps follow up.

    One query; what seed_demo's fate of a planned churner depends on (workspace.demo.outcomes)."""
    rows = (Task.objects.filter(intervention__account__external_id__in=account_ids, escalation_of__isnull=True,
                                intervention__group=Arm.TREATED)
            .order_by("intervention_id", "order")
            .values_list("intervention__account__external_id", "intervention_id", "status", "due_at", "done_at"))
    first_steps: dict[int, tuple[str, str, dt.datetime, dt.datetime | None]] = {}
    for account_id, intervention_id, status, due_at, done_at in rows:
        first_steps.setdefault(intervention_id, (account_id, status, due_at, done_at))
    helped: dict[str, dt.date] = {}
    for account_id, status, due_at, done_at in first_steps.values():
        if status == TaskStatus.DONE and done_at <= due_at:
            day = timezone.localdate(done_at)
            helped[account_id] = min(day, helped.get(account_id, day))
    return helped
