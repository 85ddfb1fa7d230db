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
from django.contrib.postgres.aggregates import BoolOr
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
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


def effectiveness(*, as_of: dt.date | None = None, now: dt.datetime | None = None,
                  workload: bool = True) -> Effectiveness:
    """The effectiveness report as of the latest scoring date (nine queries, each counted in the database: no row per
    task or outcome, and no list of ids, travels to Python; five without the CSMs' workload)."""
    as_of = as_of or latest_as_of() or timezone.localdate()
    now = now or timezone.now()
    report = Effectiveness(as_of=as_of, workload=_workload(as_of, now) if workload else [])
    interventions = Intervention.objects.filter(triggered_on__lte=as_of)
    fired = _fired(interventions, as_of)
    if fired.empty:
        return report
    names = dict(Playbook.objects.values_list("id", "name"))

    # Per intervention with tasks (escalations aside): whether any was late, i.e. not done, or done after its due time.
    late = Case(When(~Q(status=TaskStatus.DONE) | Q(done_at__gt=F("due_at")), then=Value(True)), default=Value(False))
    any_late = dict(Task.objects.filter(intervention__in=interventions, escalation_of__isnull=True).order_by()
                    .values_list("intervention_id").annotate(late=BoolOr(late)))
    fired["has_tasks"] = fired["id"].isin(any_late.keys())
    fired["on_time"] = fired["id"].map({key: not value for key, value in any_late.items()}).fillna(False).astype(bool)

    outcomes = Outcome.objects.filter(intervention__in=interventions).order_by()
    first_contact = dict(outcomes.exclude(kind=OutcomeKind.NO_RESPONSE).values_list("intervention_id")
                         .annotate(hours=Hours(Min("created_at") - Min("intervention__triggered_at"))))
    fired["first_contact_hours"] = fired["id"].map(first_contact).astype("float64")
    mixes: dict[tuple[int, str], dict[str, int]] = {}
    for playbook_id, tier, kind, n in outcomes.values_list("intervention__playbook_id", "intervention__health_tier",
                                                           "kind").annotate(n=Count("*")).order_by("kind"):
        mixes.setdefault((playbook_id, tier or NO_TIER), {})[kind] = n

    for (playbook_id, tier), rows in fired.groupby(["playbook_id", "tier"], sort=False):
        treated, control = rows[rows["group"] == Arm.TREATED], rows[rows["group"] == Arm.CONTROL]
        with_tasks = treated[treated["has_tasks"]]
        churn_t = treated[treated["churn_known"]]
        churn_c = control[control["churn_known"]]
        rec_t, rec_c = treated[treated["recovery_known"]], control[control["recovery_known"]]
        contact_hours = treated["first_contact_hours"].dropna()
        churned_t, churned_c = int(churn_t["churned"].sum()), int(churn_c["churned"].sum())
        report.rows.append(PlaybookRow(
            playbook=names.get(playbook_id, f"#{playbook_id}"), playbook_id=int(playbook_id), tier=tier,
            treated=len(treated), control=len(control),
            on_time=Rate(len(with_tasks), int(with_tasks["on_time"].sum())),
            median_first_contact_hours=float(contact_hours.median()) if len(contact_hours) else None,
            outcomes=mixes.get((playbook_id, tier), {}), recovery_rule=RECOVERY_TEXT.get(tier, ""),
            recovery_treated=Rate(len(rec_t), int(rec_t["recovered"].sum())),
            recovery_control=Rate(len(rec_c), int(rec_c["recovered"].sum())),
            churn_treated=Rate(len(churn_t), churned_t), churn_control=Rate(len(churn_c), churned_c),
            churn_difference=newcombe_difference(churned_t, len(churn_t), churned_c, len(churn_c))))
    report.rows.sort(key=lambda r: (r.playbook, list(RECOVERY).index(r.tier) if r.tier in RECOVERY else 9))
    return report


NO_TIER = "No data"  # an intervention fired on an account with no health tier


class Hours(Func):
    """A duration in hours, as a float."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)::float8"
    output_field = FloatField()


def _days_after_trigger(days) -> ExpressionWrapper:
    """The intervention's trigger day plus `days` (an integer expression; NULL gives NULL)."""
    return ExpressionWrapper(F("triggered_on") + days, output_field=DateField())


def _fired(interventions, as_of: dt.date) -> pd.DataFrame:
    """One row per intervention with the outcome of its account, in one query:
    - *recovery*: known when its tier has a recovery window (RECOVERY) that has passed by `as_of` and the account has
      a snapshot in it; recovered when the tier of the last of those is one the rule counts;
    - *churn*: known when CHURN_DAYS have passed since the trigger; churned when a churn event falls within them."""
    window = Case(*[When(health_tier=tier, then=Value(days)) for tier, (days, _) in RECOVERY.items()],
                  output_field=IntegerField())
    in_window = Snapshot.objects.filter(account=OuterRef("account"), as_of__gt=OuterRef("triggered_on"),
                                        as_of__lte=OuterRef("recovery_end")).order_by("-as_of")
    churn = ChurnEvent.objects.filter(account=OuterRef("account"), churn_date__gt=OuterRef("triggered_on"),
                                      churn_date__lte=OuterRef("churn_end"))
    rows = (interventions.order_by()
            .annotate(recovery_end=_days_after_trigger(window), churn_end=_days_after_trigger(Value(CHURN_DAYS)))
            .annotate(last_tier=Subquery(in_window.values(tier=Coalesce("health_tier", Value("")))[:1]),
                      recovery_due=ExpressionWrapper(Q(recovery_end__lte=as_of), output_field=BooleanField()),
                      churn_known=ExpressionWrapper(Q(churn_end__lte=as_of), output_field=BooleanField()),
                      churned=Exists(churn))
            .values_list("id", "playbook_id", "health_tier", "group", "last_tier", "recovery_due", "churn_known",
                         "churned"))
    fired = pd.DataFrame.from_records(list(rows), columns=["id", "playbook_id", "tier", "group", "last_tier",
                                                           "recovery_due", "churn_known", "churned"])
    fired["tier"] = fired["tier"].replace("", NO_TIER)
    fired["recovery_known"] = (fired["recovery_due"] == True) & fired["last_tier"].notna()  # noqa: E712 (NULL: no)
    fired["recovered"] = [known and last in RECOVERY[tier][1] for known, last, tier
                          in zip(fired["recovery_known"], fired["last_tier"], fired["tier"], strict=True)]
    fired["churn_known"] = fired["churn_known"].astype(bool)
    fired["churned"] = fired["churned"].astype(bool)
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
