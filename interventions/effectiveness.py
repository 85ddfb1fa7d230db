"""Which playbook works (docs/interventions.md), computed from interventions, their tasks and outcomes, the accounts'
snapshots and churn events — never from stored counters — with a fixed number of queries.

Per playbook and the tier the account was in when it fired:
- *triggered*: interventions in the treated group, and the control group's size;
- *completed on time*: treated interventions whose tasks were all done by their due time;
- *median time to first contact*: from the trigger to the first outcome logged on the intervention
  other than "no response";
- *outcome mix*: the outcomes logged on its interventions;
- *recovery* (treated and control alike): Critical → out of Critical within 30 days; High risk →
  Healthy or better within 60 days; At risk → not worse within 60 days. Read on the account's last
  snapshot within the window; only interventions whose window has passed (by the latest scoring date)
  and that have a snapshot in it count;
- *churn within 90 days*: a churn event in the 90 days after the trigger, for treated and control
  interventions whose 90 days have passed, with both group sizes and a 95% confidence interval for the
  difference (treated minus control; Newcombe's hybrid score interval, which behaves with small groups).
Per CSM: live accounts, their ARR, open and overdue tasks.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Account, ChurnEvent, User
from interventions.models import Arm, Intervention, Outcome, OutcomeKind, Playbook, Task, TaskStatus
from scoring.levels import HEALTHY_TIERS, Tier
from scoring.models import Snapshot
from scoring.services import latest_as_of

RECOVERY = {  # tier at trigger -> (days, tiers that count as recovered)
    Tier.CRITICAL: (30, {Tier.THRIVING, Tier.HEALTHY, Tier.AT_RISK, Tier.HIGH_RISK}),
    Tier.HIGH_RISK: (60, set(HEALTHY_TIERS)),
    Tier.AT_RISK: (60, {*HEALTHY_TIERS, Tier.AT_RISK}),
}
RECOVERY_TEXT = {Tier.CRITICAL: "out of Critical within 30 days", Tier.HIGH_RISK: "Healthy or better within 60 days",
                 Tier.AT_RISK: "not worse within 60 days"}
CHURN_DAYS = 90
Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float] | None:
    """p1 - p2 with its 95% interval (Newcombe 1998, method 10); None when a group is empty."""
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    diff = p1 - p2
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (diff, lower, upper)


@dataclass
class Rate:
    n: int
    hits: int

    @property
    def share(self) -> float | None:
        return self.hits / self.n if self.n else None


@dataclass
class PlaybookRow:
    playbook: str
    playbook_id: int
    tier: str
    treated: int
    control: int
    on_time: Rate
    median_first_contact_hours: float | None
    outcomes: dict[str, int]
    recovery_rule: str
    recovery_treated: Rate
    recovery_control: Rate
    churn_treated: Rate
    churn_control: Rate
    churn_difference: tuple[float, float, float] | None


@dataclass
class Workload:
    csm: User
    accounts: int
    arr: float
    open_tasks: int
    overdue_tasks: int


@dataclass
class Effectiveness:
    as_of: dt.date | None
    rows: list[PlaybookRow] = field(default_factory=list)
    workload: list[Workload] = field(default_factory=list)

    def charts(self) -> dict:
        rows = [r for r in self.rows if r.churn_treated.n or r.churn_control.n]
        charts = {}
        if rows:
            labels = [f"{r.playbook} ({r.tier})" for r in rows]
            charts["churn"] = {"type": "bar", "labels": labels, "percent": True, "datasets": [
                {"label": "Treated: churned within 90 days (%)", "color": "#2563eb",
                 "data": [None if r.churn_treated.share is None else round(100 * r.churn_treated.share, 1)
                          for r in rows]},
                {"label": "Control: churned within 90 days (%)", "color": "#9ca3af",
                 "data": [None if r.churn_control.share is None else round(100 * r.churn_control.share, 1)
                          for r in rows]}]}
        mixed = [r for r in self.rows if r.outcomes]
        if mixed:
            charts["outcomes"] = {"type": "bar", "stacked": True, "horizontal": True,
                                  "labels": [f"{r.playbook} ({r.tier})" for r in mixed],
                                  "datasets": [{"label": label, "data": [r.outcomes.get(value, 0) for r in mixed]}
                                               for value, label in OutcomeKind.choices]}
        return charts


def effectiveness(*, as_of: dt.date | None = None, now: dt.datetime | None = None) -> Effectiveness:
    """The effectiveness report as of the latest scoring date (eight queries)."""
    as_of = as_of or latest_as_of() or timezone.localdate()
    now = now or timezone.now()
    report = Effectiveness(as_of=as_of, workload=_workload(as_of, now))
    fired = pd.DataFrame.from_records(
        list(Intervention.objects.filter(triggered_on__lte=as_of).values_list(
            "id", "playbook_id", "account_id", "health_tier", "group", "triggered_on", "triggered_at")),
        columns=["id", "playbook_id", "account_id", "tier", "group", "triggered_on", "triggered_at"])
    if fired.empty:
        return report
    names = dict(Playbook.objects.values_list("id", "name"))
    fired["tier"] = fired["tier"].replace("", "No data")
    fired["triggered_on"] = pd.to_datetime(fired["triggered_on"])
    fired["triggered_at"] = pd.to_datetime(fired["triggered_at"], utc=True)
    ids = fired["id"].tolist()

    tasks = pd.DataFrame.from_records(
        list(Task.objects.filter(intervention_id__in=ids, escalation_of__isnull=True)
             .values_list("intervention_id", "due_at", "done_at", "status")),
        columns=["intervention_id", "due_at", "done_at", "status"])
    tasks["late"] = (tasks["status"] != TaskStatus.DONE) | (pd.to_datetime(tasks["done_at"], utc=True)
                                                            > pd.to_datetime(tasks["due_at"], utc=True))
    late = tasks.groupby("intervention_id")["late"].any()
    fired["has_tasks"] = fired["id"].isin(late.index)
    fired["on_time"] = fired["id"].map(~late).fillna(False).astype(bool)

    outcomes = pd.DataFrame.from_records(
        list(Outcome.objects.filter(intervention_id__in=ids).values_list("intervention_id", "kind", "created_at")),
        columns=["intervention_id", "kind", "created_at"])
    contacts = outcomes[outcomes["kind"] != OutcomeKind.NO_RESPONSE]
    first = contacts.groupby("intervention_id")["created_at"].min()
    first_contact = pd.to_datetime(fired["id"].map(first), utc=True)
    fired["first_contact_hours"] = (first_contact - fired["triggered_at"]).dt.total_seconds() / 3600
    outcome_counts = outcomes.merge(fired[["id", "playbook_id", "tier"]], left_on="intervention_id", right_on="id") \
        .groupby(["playbook_id", "tier", "kind"]).size()

    fired = _recovery(fired, as_of)
    fired = _churn(fired, as_of)

    for (playbook_id, tier), rows in fired.groupby(["playbook_id", "tier"], sort=False):
        treated, control = rows[rows["group"] == Arm.TREATED], rows[rows["group"] == Arm.CONTROL]
        with_tasks = treated[treated["has_tasks"]]
        churn_t = treated[treated["churn_known"]]
        churn_c = control[control["churn_known"]]
        rec_t, rec_c = treated[treated["recovery_known"]], control[control["recovery_known"]]
        contact_hours = treated["first_contact_hours"].dropna()
        mix = {kind: int(n) for (p, t, kind), n in outcome_counts.items() if p == playbook_id and t == tier}
        churned_t, churned_c = int(churn_t["churned"].sum()), int(churn_c["churned"].sum())
        report.rows.append(PlaybookRow(
            playbook=names.get(playbook_id, f"#{playbook_id}"), playbook_id=int(playbook_id), tier=tier,
            treated=len(treated), control=len(control),
            on_time=Rate(len(with_tasks), int(with_tasks["on_time"].sum())),
            median_first_contact_hours=float(contact_hours.median()) if len(contact_hours) else None,
            outcomes=mix, recovery_rule=RECOVERY_TEXT.get(tier, ""),
            recovery_treated=Rate(len(rec_t), int(rec_t["recovered"].sum())),
            recovery_control=Rate(len(rec_c), int(rec_c["recovered"].sum())),
            churn_treated=Rate(len(churn_t), churned_t), churn_control=Rate(len(churn_c), churned_c),
            churn_difference=newcombe_difference(churned_t, len(churn_t), churned_c, len(churn_c))))
    report.rows.sort(key=lambda r: (r.playbook, list(RECOVERY).index(r.tier) if r.tier in RECOVERY else 9))
    return report


def _recovery(fired: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Whether each intervention's account recovered by its tier's rule (one query of snapshots)."""
    fired["window"] = fired["tier"].map(lambda t: RECOVERY.get(t, (0, set()))[0])
    fired["window_end"] = fired["triggered_on"] + pd.to_timedelta(fired["window"], unit="D")
    eligible = fired[(fired["window"] > 0) & (fired["window_end"] <= pd.Timestamp(as_of))]
    fired["recovery_known"] = False
    fired["recovered"] = False
    if eligible.empty:
        return fired
    snaps = pd.DataFrame.from_records(
        list(Snapshot.objects.filter(account_id__in=set(eligible["account_id"]),
                                     as_of__gt=eligible["triggered_on"].min().date(),
                                     as_of__lte=eligible["window_end"].max().date())
             .values_list("account_id", "as_of", "health_tier")), columns=["account_id", "as_of", "health_tier"])
    if snaps.empty:
        return fired
    snaps["as_of"] = pd.to_datetime(snaps["as_of"]).astype("datetime64[ns]")
    ends = eligible[["id", "account_id", "triggered_on", "window_end", "tier"]].sort_values("window_end")
    ends["window_end"] = ends["window_end"].astype("datetime64[ns]")
    last = pd.merge_asof(ends, snaps.sort_values("as_of"), left_on="window_end", right_on="as_of", by="account_id",
                         direction="backward")
    last = last[last["as_of"] > last["triggered_on"]]  # a snapshot inside the window
    recovered = {row.id: row.health_tier in RECOVERY[row.tier][1] for row in last.itertuples()}
    fired["recovery_known"] = fired["id"].isin(recovered)
    fired["recovered"] = fired["id"].map(recovered).fillna(False).astype(bool)
    return fired


def _churn(fired: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Whether each intervention's account churned within 90 days of the trigger (one query)."""
    fired["churn_known"] = fired["triggered_on"] + pd.Timedelta(days=CHURN_DAYS) <= pd.Timestamp(as_of)
    events = pd.DataFrame.from_records(
        list(ChurnEvent.objects.filter(account_id__in=set(fired["account_id"]))
             .values_list("account_id", "churn_date")),
        columns=["account_id", "churn_date"])
    events["churn_date"] = pd.to_datetime(events["churn_date"])
    pairs = fired[["id", "account_id", "triggered_on"]].merge(events, on="account_id")
    hit = pairs[(pairs["churn_date"] > pairs["triggered_on"])
                & (pairs["churn_date"] <= pairs["triggered_on"] + pd.Timedelta(days=CHURN_DAYS))]
    fired["churned"] = fired["id"].isin(set(hit["id"]))
    return fired


def _workload(as_of: dt.date, now: dt.datetime) -> list[Workload]:
    """Per CSM: live accounts and their ARR on the latest scoring date, open and overdue tasks (4 queries)."""
    csms = list(User.objects.filter(groups__name="CSM", is_active=True).order_by("first_name", "last_name",
                                                                                 "username"))
    accounts = dict(Account.objects.filter(churned=False, csm__isnull=False).order_by().values_list("csm_id")
                    .annotate(n=Count("id")))
    arr = dict(Snapshot.objects.filter(as_of=as_of, account__churned=False, account__csm__isnull=False).order_by()
               .values_list("account__csm_id").annotate(total=Sum("arr")))
    tasks = {r["assignee_id"]: r for r in Task.objects.filter(status=TaskStatus.OPEN, assignee__isnull=False)
             .order_by().values("assignee_id")
             .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))}
    return [Workload(csm=c, accounts=accounts.get(c.pk, 0), arr=float(arr.get(c.pk) or 0),
                     open_tasks=tasks.get(c.pk, {}).get("open", 0), overdue_tasks=tasks.get(c.pk, {}).get("overdue", 0))
            for c in csms]
