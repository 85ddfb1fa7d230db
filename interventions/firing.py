"""Firing playbooks after a recompute (docs/interventions.md): every live account whose snapshot of the day matches an
active playbook's trigger, with no open intervention of that playbook and outside its cooldown, gets one
intervention — in the control group (no tasks) by a recorded random draw below the playbook's control
share, otherwise with the playbook's steps as tasks (due times from the trigger, assignee from the
account's CSM and the step's role).

Set-based and batched: a fixed number of queries per batch of FIRING_BATCH accounts (and per playbook that fires, per
batch of its candidates), whatever the book's size. Idempotent: the database's unique constraints (one firing per
account, playbook and day; one open intervention per account and playbook; one task per intervention and step) make a
re-run, or two runs at once, add nothing; inserts use ON CONFLICT DO NOTHING and tasks are created only for
interventions that have none.

Which accounts match:
- *tier*: the account's health tier on the day is the trigger's tier (it entered it that day or earlier:
  the open intervention and the cooldown keep it from firing twice);
- *risk level*: its risk level on the day is the trigger's level;
- *alert*: it has an open alert of the trigger's type raised on the day or before;
- *expansion signal*: it has an open expansion signal of that type detected that day (signals are
  detected after the recompute, before the playbooks fire);
- *churn probability band*: the active churn model put it in that band on the day (predictions are
  written after the recompute, before the playbooks fire).
"""

import datetime as dt
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, ChurnEvent, Contact, ContactRole, User, WebhookEvent
from accounts.webhooks.emit import webhooks_emit
from expansion.kinds import SIGNAL_KINDS
from expansion.models import ExpansionSignal
from healthcs.bulk import insert_rows
from interventions.messages import TemplateProblem, account_facts, render_message
from interventions.models import (
    Arm,
    AssigneeRole,
    Intervention,
    InterventionStatus,
    Playbook,
    Task,
    TriggerKind,
)
from interventions.services import playbook_failure_record
from scoring.models import Alert, AlertStatus, AlertType, ChurnPrediction, Snapshot

SNAPSHOT_FIELDS = ("account_id", "health_tier", "health_score", "risk_level", "risk_score", "arr", "top_reasons",
                   "recommended_actions", "fired_rules")
# What matching a snapshot and writing its reason read; the rest of SNAPSHOT_FIELDS only when it fires.
MATCH_FIELDS = ("account_id", "health_tier", "health_score", "risk_level", "risk_score", "top_reasons")
# Accounts per batch: the day's snapshots are matched, and each playbook's candidates fired, this many at a time.
FIRING_BATCH = 5_000
TRIGGER_HOUR = 8  # a past day's firing is dated that morning (a backfill or the demo's history)


@dataclass
class FiringReport:
    as_of: dt.date
    treated: int = 0
    control: int = 0
    tasks: int = 0
    skipped_open: int = 0
    skipped_cooldown: int = 0
    per_playbook: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # playbook name -> why it did not fire

    def __str__(self) -> str:
        text = (f"{self.treated + self.control} intervention(s) fired as of {self.as_of}: {self.treated} treated "
                f"with {self.tasks} task(s), {self.control} in control groups; skipped {self.skipped_open} with an "
                f"open intervention and {self.skipped_cooldown} in cooldown")
        failed = "; ".join(f"{name}: {error}" for name, error in self.failed.items())
        return text + (f"; {len(self.failed)} playbook(s) failed and were recorded ({failed})" if failed else "")


INTERVENTION_FIELDS = ("account", "playbook", "triggered_on", "triggered_at", "reason", "csm", "health_tier",
                       "health_score", "risk_level", "risk_score", "arr", "draw", "group", "status")
TASK_FIELDS = ("intervention", "account", "step", "order", "title", "channel", "assignee_role", "assignee", "message",
               "due_at", "escalate_at")


def trigger_time(as_of: dt.date, now: dt.datetime) -> dt.datetime:
    """When the day's firing counts as triggered: now for today (or a later day), else that morning."""
    if as_of >= timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(as_of, dt.time(TRIGGER_HOUR)))


def fire_playbooks(*, as_of: dt.date, now: dt.datetime | None = None, rng: random.Random | None = None,
                   batch_size: int | None = None) -> FiringReport:
    """Fire every active playbook for the scoring date's snapshots; returns what was created.

    Batched like the scores: the day's snapshots are matched FIRING_BATCH accounts at a time (what is kept of the
    whole book is each candidate's account id and reason), and each playbook fires its candidates a batch at a time
    (their snapshots, accounts and contacts read for that batch), so neither memory nor a query's id list grows
    with the book. Candidates are taken and drawn in account order, playbook by playbook.

    Each playbook fires in its own savepoint: one that cannot fire (a template that does not fill, a row
    the database refuses) is rolled back alone, its failure recorded on it and the admins told, while
    the others fire. Any other error rolls back the whole day."""
    now = now or timezone.now()
    rng = rng or random.Random()
    size = batch_size or FIRING_BATCH
    report = FiringReport(as_of=as_of)
    playbooks = list(Playbook.objects.filter(active=True).prefetch_related("steps"))
    if not playbooks:
        return report
    triggered_at = trigger_time(as_of, now)
    with transaction.atomic():
        found = _candidates(playbooks, as_of, report, size)
        # Drawn in the candidates' order (playbook by playbook, accounts in order), whichever playbook fails.
        drawn = {playbook: [(account_id, reason, rng.random()) for account_id, reason in pairs]
                 for playbook, pairs in found.items() if pairs}
        for playbook, candidates in drawn.items():
            try:
                with transaction.atomic():
                    fired = [_fire(playbook, candidates[start:start + size], as_of, triggered_at)
                             for start in range(0, len(candidates), size)]
            except (TemplateProblem, DataError, IntegrityError) as error:
                report.failed[playbook.name] = str(error)
                playbook_failure_record(playbook=playbook, error=str(error), now=now)
                continue
            treated = sum(f.treated for f in fired)
            report.treated += treated
            report.control += sum(f.control for f in fired)
            report.tasks += sum(f.tasks for f in fired)
            if treated:
                report.per_playbook[playbook.name] = treated
            if playbook.last_error:
                Playbook.objects.filter(pk=playbook.pk).update(last_error="", last_error_at=None)
    return report


def _fire(playbook: Playbook, drawn: list[tuple[int, str, float]], as_of: dt.date,
          triggered_at: dt.datetime) -> FiringReport:
    """One playbook's interventions and tasks for a batch of its candidates (account id, reason, draw); what it
    created."""
    report = FiringReport(as_of=as_of)
    ids = [account_id for account_id, _, _ in drawn]
    snapshots = {row["account_id"]: row for row in Snapshot.objects.filter(as_of=as_of, account_id__in=ids)
                 .values(*SNAPSHOT_FIELDS)}
    accounts = _accounts(ids)
    rows = []
    for account_id, reason, draw in drawn:
        snap, account = snapshots[account_id], accounts[account_id]
        control = draw < float(playbook.control_share)
        rows.append((account_id, playbook.pk, as_of, triggered_at, reason[:300], account["csm_id"],
                     snap["health_tier"], snap["health_score"], snap["risk_level"], snap["risk_score"],
                     snap["arr"] or Decimal(0), draw, Arm.CONTROL if control else Arm.TREATED,
                     InterventionStatus.CONTROL if control else InterventionStatus.OPEN))
    insert_rows(Intervention, list(INTERVENTION_FIELDS), rows, ignore_conflicts=True)
    fresh = (Intervention.objects.filter(triggered_on=as_of, playbook=playbook, account_id__in=ids)
             .filter(Q(group=Arm.CONTROL) | Q(tasks__isnull=True)).values_list("id", "account_id", "group", "draw"))
    mine = {account_id: (reason, draw) for account_id, reason, draw in drawn}
    steps = list(playbook.steps.all())  # prefetched: one list for every intervention of the batch
    tasks = []
    fired = []
    for intervention_id, account_id, group, draw in fresh:
        reason, my_draw = mine.get(account_id, (None, None))
        if reason is None or my_draw != draw:
            continue  # fired earlier, or by another run at the same time: its tasks are its own
        if group == Arm.CONTROL:
            report.control += 1
            continue
        report.treated += 1
        tasks += _tasks(intervention_id, playbook, steps, snapshots[account_id], accounts[account_id], triggered_at)
        fired.append({"intervention_id": intervention_id, "account": accounts[account_id]["external_id"],
                      "playbook": playbook.name, "reason": reason[:300], "triggered_on": as_of,
                      "risk_level": snapshots[account_id]["risk_level"]})
    insert_rows(Task, list(TASK_FIELDS), tasks, ignore_conflicts=True)
    # Treated interventions only: a CRM acting on the control group would spoil the comparison.
    webhooks_emit(event=WebhookEvent.INTERVENTION_FIRED, payloads=fired)
    report.tasks = len(tasks)
    return report


def _candidates(playbooks: list[Playbook], as_of: dt.date, report: FiringReport,
                size: int) -> dict[Playbook, list[tuple[int, str]]]:
    """Per playbook, the accounts that match (account id and why, in account order), without an open intervention
    of it and outside its cooldown; the day's snapshots are read `size` accounts at a time."""
    tiers = {p.trigger_value for p in playbooks if p.trigger_kind == TriggerKind.TIER}
    levels = {p.trigger_value for p in playbooks if p.trigger_kind == TriggerKind.RISK_LEVEL}
    kinds = {p.trigger_value for p in playbooks if p.trigger_kind == TriggerKind.ALERT}
    alerted: dict[str, set[int]] = defaultdict(set)
    if kinds:
        for account_id, kind in (Alert.objects.filter(status=AlertStatus.OPEN, kind__in=kinds, as_of__lte=as_of)
                                 .values_list("account_id", "kind")):
            alerted[kind].add(account_id)
    signals = {p.trigger_value for p in playbooks if p.trigger_kind == TriggerKind.EXPANSION}
    if signals:
        for account_id, kind in (ExpansionSignal.objects.filter(status="open", kind__in=signals, last_detected_on=as_of)
                                 .values_list("account_id", "kind")):
            alerted[f"signal:{kind}"].add(account_id)
    bands = {p.trigger_value for p in playbooks if p.trigger_kind == TriggerKind.PROBABILITY}
    if bands:
        for account_id, band in (ChurnPrediction.objects.filter(as_of=as_of, band__in=bands)
                                 .values_list("account_id", "band")):
            alerted[f"band:{band}"].add(account_id)
    flagged = sorted({account_id for accounts in alerted.values() for account_id in accounts})
    # Live on the day: not churned, or churned only after it (a past day's firing, e.g. a backfill).
    live = Q(account__churned=False) | Q(account_id__in=ChurnEvent.objects.filter(churn_date__gt=as_of)
                                         .values("account_id"))
    day = list(Snapshot.objects.filter(as_of=as_of).order_by("account_id").values_list("account_id", flat=True))
    longest = max(p.cooldown_days for p in playbooks)
    found: dict[Playbook, list[tuple[int, str]]] = {playbook: [] for playbook in playbooks}
    for start in range(0, len(day), size):
        first, last = day[start], day[min(start + size, len(day)) - 1]
        batch = Q(account_id__gte=first, account_id__lte=last)
        ids = flagged[bisect_left(flagged, first):bisect_right(flagged, last)]
        matching = Q(health_tier__in=tiers) | Q(risk_level__in=levels) | Q(account_id__in=ids)
        snapshots = list(Snapshot.objects.filter(batch, live, as_of=as_of).filter(matching).order_by("account_id")
                         .values(*MATCH_FIELDS))
        earlier: dict[tuple[int, int], list[tuple[dt.date, str]]] = defaultdict(list)
        for account_id, playbook_id, triggered_on, status in (
                Intervention.objects.filter(batch, playbook__in=playbooks)
                .filter(Q(status=InterventionStatus.OPEN) | Q(triggered_on__gt=as_of - dt.timedelta(days=longest)))
                .values_list("account_id", "playbook_id", "triggered_on", "status")):
            earlier[(account_id, playbook_id)].append((triggered_on, status))
        for playbook in playbooks:
            for snap in snapshots:
                reason = _match(playbook, snap, alerted)
                if reason is None:
                    continue
                history = earlier.get((snap["account_id"], playbook.pk), [])
                if any(triggered_on == as_of for triggered_on, _ in history):
                    continue  # fired already today: a re-run adds nothing
                if any(status == InterventionStatus.OPEN for _, status in history):
                    report.skipped_open += 1
                elif any(triggered_on > as_of - dt.timedelta(days=playbook.cooldown_days)
                         for triggered_on, _ in history):
                    report.skipped_cooldown += 1
                else:
                    found[playbook].append((snap["account_id"], reason))
    return found


def _match(playbook: Playbook, snap: dict, alerted: dict[str, set[int]]) -> str | None:
    """Why the snapshot matches the playbook's trigger, or None."""
    value = playbook.trigger_value
    if playbook.trigger_kind == TriggerKind.TIER and snap["health_tier"] == value:
        health = "no data" if snap["health_score"] is None else f"{snap['health_score']:.0f}"
        return f"In the {value} tier (health {health})"
    if playbook.trigger_kind == TriggerKind.RISK_LEVEL and snap["risk_level"] == value:
        return f"{value} churn risk ({snap['risk_score']}): {snap['top_reasons'] or 'no reason'}"
    if playbook.trigger_kind == TriggerKind.ALERT and snap["account_id"] in alerted.get(value, ()):
        return f"Open alert: {AlertType(value).label}"
    if playbook.trigger_kind == TriggerKind.PROBABILITY and snap["account_id"] in alerted.get(f"band:{value}", ()):
        return f"{value} churn probability (the churn model's band; risk {snap['risk_level']} {snap['risk_score']})"
    if playbook.trigger_kind == TriggerKind.EXPANSION and snap["account_id"] in alerted.get(f"signal:{value}", ()):
        return f"Expansion signal: {SIGNAL_KINDS[value]}"
    return None


def _accounts(ids: list[int]) -> dict[int, dict]:
    """The accounts with their CSM's chain of managers and the contact to greet (2 queries)."""
    accounts = {a["id"]: a for a in Account.objects.filter(id__in=ids).values(
        "id", "name", "external_id", "plan_tier", "renewal_date", "csm_id", "csm__first_name", "csm__last_name",
        "csm__username", "csm__reports_to_id", "csm__reports_to__reports_to_id")}
    greet: dict[int, tuple[str, bool]] = {}  # the champion, else the first active contact by name
    for account_id, name, role in (Contact.objects.filter(account_id__in=ids, is_active=True)
                                   .order_by("account_id", "name").values_list("account_id", "name", "role")):
        if account_id not in greet or (role == ContactRole.CHAMPION and not greet[account_id][1]):
            greet[account_id] = (name, role == ContactRole.CHAMPION)
    for account in accounts.values():
        account["contact"] = greet.get(account["id"], ("", False))[0]
    return accounts


class _AccountView:
    """The few account attributes message templates read, from a values() row."""

    def __init__(self, row: dict):
        self.name, self.external_id = row["name"], row["external_id"]
        self.plan_tier, self.renewal_date = row["plan_tier"], row["renewal_date"]
        self.csm = User(first_name=row["csm__first_name"] or "", last_name=row["csm__last_name"] or "",
                        username=row["csm__username"] or "") if row["csm_id"] else None


class _SnapshotView:
    def __init__(self, row: dict):
        for name, value in row.items():
            setattr(self, name, value)


def _tasks(intervention_id: int, playbook: Playbook, steps: list, snapshot: dict, account: dict,
           triggered_at: dt.datetime) -> list[tuple]:
    """The intervention's tasks (values of TASK_FIELDS), one per step, with the step's message filled
    (TemplateProblem if one does not fill: the playbook then fails as a whole)."""
    facts = account_facts(account=_AccountView(account), snapshot=_SnapshotView(snapshot),
                          contact_name=(account["contact"] or "").split(" ")[0],
                          playbook_name=playbook.name)
    assignees = {AssigneeRole.CSM: account["csm_id"],
                 AssigneeRole.MANAGER: account["csm__reports_to_id"],
                 AssigneeRole.EXECUTIVE: account["csm__reports_to__reports_to_id"] or account["csm__reports_to_id"]}
    return [(intervention_id, account["id"], step.pk, step.order, step.title, step.channel, step.assignee_role,
             assignees[step.assignee_role], _message(step, facts),
             triggered_at + dt.timedelta(hours=step.due_offset_hours),
             (triggered_at + dt.timedelta(hours=step.escalate_after_hours)
              if step.escalate_after_hours is not None else None))
            for step in steps]


def _message(step, facts) -> str:
    try:
        return render_message(step.template, facts, step.channel)
    except TemplateProblem as problem:
        raise TemplateProblem(f"Step {step.order} \"{step.title}\": {problem}") from None
