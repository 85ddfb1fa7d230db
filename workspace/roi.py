"""The Customer Success programme's return in money (docs/pages.md#roi): saved ARR measured against the playbooks'
control groups, expansion revenue from signals that became won opportunities, the programme's cost, ROI and
payback, over the 365 days up to a day, for the whole portfolio (a managers' page, and a section of the weekly
executive summary, workspace.digests). Six queries, however large the book.

Definitions (the page states them too):
- *Saved ARR*: interventions of risk playbooks (every trigger but an expansion signal) that fired in the 365 days
  up to the day and whose 90 days have passed, one per account and arm (its first). An account is *retained* when
  it has no churn event within 90 days of the trigger. Uplift = treated retention − control retention, with the
  95 % interval of interventions.effectiveness (Newcombe's hybrid score interval of the difference). Saved ARR =
  the treated accounts' ARR at their trigger × uplift, and its interval the same ARR × the uplift's bounds.
- *Expansion ARR*: 12 × the added MRR of the opportunities won in the 365 days that an expansion signal became.
- *Cost*: done tasks in the 365 days × the CSM hours of their channel (ROI_TASK_HOURS) × ROI_HOURLY_RATE, plus
  ROI_FIXED_COST (a year's fixed cost).
- *ROI* = (saved ARR + expansion ARR − cost) / cost; *payback* = cost / ((saved ARR + expansion ARR) / 12) months,
  none when the gain is not above zero.
"""

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from accounts.models import ChurnEvent
from expansion.models import ExpansionSignal, Opportunity, Stage
from interventions.effectiveness import CHURN_DAYS, newcombe_difference
from interventions.models import Arm, Channel, Intervention, Task, TaskStatus, TriggerKind

PERIOD_DAYS = 365
CHANNEL_LABELS = dict(Channel.choices)


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


@dataclass
class SavedArr:
    treated: int = 0
    treated_retained: int = 0
    treated_arr: float = 0.0
    control: int = 0
    control_retained: int = 0
    uplift: tuple[float, float, float] | None = None  # treated − control retention, lower, upper

    @property
    def treated_rate(self) -> float | None:
        return self.treated_retained / self.treated if self.treated else None

    @property
    def control_rate(self) -> float | None:
        return self.control_retained / self.control if self.control else None

    @property
    def saved(self) -> float | None:
        return None if self.uplift is None else self.treated_arr * self.uplift[0]

    @property
    def saved_low(self) -> float | None:
        return None if self.uplift is None else self.treated_arr * self.uplift[1]

    @property
    def saved_high(self) -> float | None:
        return None if self.uplift is None else self.treated_arr * self.uplift[2]


@dataclass
class Roi:
    start: dt.date
    day: dt.date
    saved: SavedArr
    expansion_count: int = 0
    expansion_arr: float = 0.0
    tasks: list[dict] = field(default_factory=list)  # {channel, label, tasks, hours_each, hours, cost}
    hourly_rate: float = 0.0
    fixed_cost: float = 0.0

    @property
    def hours(self) -> float:
        return sum(row["hours"] for row in self.tasks)

    @property
    def labour_cost(self) -> float:
        return self.hours * self.hourly_rate

    @property
    def cost(self) -> float:
        return self.labour_cost + self.fixed_cost

    @property
    def gain(self) -> float:
        return (self.saved.saved or 0.0) + self.expansion_arr

    @property
    def roi(self) -> float | None:
        return (self.gain - self.cost) / self.cost if self.cost else None

    @property
    def payback_months(self) -> float | None:
        return self.cost / (self.gain / 12) if self.gain > 0 else None


def saved_arr(start: dt.date, day: dt.date) -> SavedArr:
    """Treated against control retention of the risk playbooks' interventions fired from `start` to `day` whose
    90 days have passed, and the ARR it saved (two queries)."""
    last_trigger = day - dt.timedelta(days=CHURN_DAYS)
    fired = pd.DataFrame.from_records(
        list(Intervention.objects.filter(triggered_on__gte=start, triggered_on__lte=last_trigger)
             .exclude(playbook__trigger_kind=TriggerKind.EXPANSION).order_by("triggered_on", "id")
             .values_list("account_id", "group", "triggered_on", "arr")),
        columns=["account_id", "group", "triggered_on", "arr"])
    if fired.empty:
        return SavedArr()
    fired = fired.drop_duplicates(["account_id", "group"], keep="first")
    fired["triggered_on"] = pd.to_datetime(fired["triggered_on"])
    events = pd.DataFrame.from_records(
        list(ChurnEvent.objects.filter(account_id__in=set(fired["account_id"]), churn_date__gt=start,
                                       churn_date__lte=day).values_list("account_id", "churn_date")),
        columns=["account_id", "churn_date"])
    events["churn_date"] = pd.to_datetime(events["churn_date"])
    pairs = fired.reset_index().merge(events, on="account_id")
    hit = pairs[(pairs["churn_date"] > pairs["triggered_on"])
                & (pairs["churn_date"] <= pairs["triggered_on"] + pd.Timedelta(days=CHURN_DAYS))]
    fired["retained"] = ~fired.index.isin(set(hit["index"]))
    treated, control = fired[fired["group"] == Arm.TREATED], fired[fired["group"] == Arm.CONTROL]
    result = SavedArr(treated=len(treated), treated_retained=int(treated["retained"].sum()),
                      treated_arr=float(treated["arr"].map(float).sum()) if len(treated) else 0.0,
                      control=len(control), control_retained=int(control["retained"].sum()))
    # Churned control minus churned treated = retained treated minus retained control.
    result.uplift = newcombe_difference(result.control - result.control_retained, result.control,
                                        result.treated - result.treated_retained, result.treated)
    return result


def roi(day: dt.date | None = None) -> Roi:
    """The programme's return over the PERIOD_DAYS days up to `day` (today unless given), whole portfolio."""
    day = day or timezone.localdate()
    start = day - dt.timedelta(days=PERIOD_DAYS - 1)
    since, until = _day_end(start - dt.timedelta(days=1)), _day_end(day)
    result = Roi(start=start, day=day, saved=saved_arr(start, day), hourly_rate=float(settings.ROI_HOURLY_RATE),
                 fixed_cost=float(settings.ROI_FIXED_COST))
    won = (Opportunity.objects.filter(stage=Stage.WON, closed_at__gte=since, closed_at__lt=until)
           .filter(Exists(ExpansionSignal.objects.filter(opportunity=OuterRef("pk"))))
           .aggregate(n=Count("id"), amount=Sum("amount")))
    result.expansion_count, result.expansion_arr = won["n"], 12 * float(won["amount"] or 0)
    done = dict(Task.objects.filter(status=TaskStatus.DONE, done_at__gte=since, done_at__lt=until).order_by()
                .values_list("channel").annotate(n=Count("id")))
    hours = settings.ROI_TASK_HOURS
    for channel, label in Channel.choices:
        each = float(hours.get(channel, 0.0))
        n = done.get(channel, 0)
        result.tasks.append({"channel": channel, "label": label, "tasks": n, "hours_each": each,
                             "hours": n * each, "cost": n * each * result.hourly_rate})
    return result
