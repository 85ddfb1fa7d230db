"""Renewals and revenue retention (docs/pages.md#renewals): what is up for renewal by month and quarter with its
forecast, the renewals ahead, gross and net revenue retention (GRR, NRR) by month, segment and CSM, and the ARR
lost per churn reason. Everything is computed set-based from subscriptions, won expansion opportunities, churn
events, the latest scores and churn predictions, with a fixed number of queries, over the accounts the user may
see (accounts.selectors decides that).

Definitions (the page and docs/pages.md state them too):
- An account's *ARR at the close of day d* is the ARR of its subscriptions running on d (start date on or before
  d, no end date or an end date on or after d: the end date is the last day of service), plus 12 × the added MRR
  of its expansion opportunities won on or before d while it has such a subscription (HealthCS records a won
  expansion when it closes; the subscription file may not carry it yet).
- *Renewal probability*: 1 − the account's 90-day churn probability by the active churn model on the latest
  scoring day (the daily run predicts that day); without one, by that day's risk level: High 50 %, Medium 75 %,
  Low 95 %; not scored: 75 % (as Medium).
  *Forecast* = ARR × renewal probability.
- For a period (a month, or the twelve months), the *cohort* is the accounts with ARR above zero at the close of
  the day before its first day; with s = an account's ARR then and e = its ARR at the close of the period's last day:
  GRR = Σ min(s, e) / Σ s and NRR = Σ e / Σ s. Accounts that started paying in the period are not in it.
  Churned ARR is Σ s of cohort accounts with e = 0, contraction Σ (s − e) where 0 < e < s, expansion
  Σ (e − s) where e > s; so GRR = (Σ s − churned − contraction) / Σ s and NRR = GRR + expansion / Σ s.
  A segment's or CSM's figures group the cohort by the account's segment and CSM today.
- *Lost ARR* of a churn event is the account's ARR at the close of the day before its churn date.
"""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import (
    Case,
    DateField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import ChurnEvent, ChurnReason, Subscription, User
from accounts.selectors import accounts_for_user, scope_to_user
from expansion.models import Opportunity, Stage
from scoring.levels import Level
from scoring.models import ChurnModel, ChurnModelStatus
from scoring.services import latest_as_of

RENEWAL_PROBABILITY = {Level.HIGH.value: 0.50, Level.MEDIUM.value: 0.75, Level.LOW.value: 0.95}
UNSCORED_PROBABILITY = RENEWAL_PROBABILITY[Level.MEDIUM.value]
RENEWAL_MONTHS = 12  # the calendar: this month and the 11 after it
UPCOMING_DAYS = 90  # the list of renewals ahead
UPCOMING_ROWS = 50
RETENTION_MONTHS = 12  # complete months before this one
LOST_DAYS = 365  # lost ARR by reason: churn events of the last year
NOT_SET = "Not set"
UNASSIGNED = "Unassigned"
REASON_LABELS = dict(ChurnReason.choices)


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list queryset's rows as the database sends them (floats stay floats): Django's per-value
    converters cost more than the query itself on 13 columns of 20,000 accounts."""
    with connection.cursor() as cursor:
        cursor.execute(*queryset.query.sql_with_params())
        return cursor.fetchall()


EPOCH = dt.date(1970, 1, 1)
NO_END = np.iinfo(np.int32).max  # a subscription without an end date runs on every day


def _day_number(field: str) -> Func:
    """A date column as its number of days since EPOCH (None stays None): compared as integers in numpy."""
    return Func(F(field), template=f"(%(expressions)s - DATE '{EPOCH.isoformat()}')", output_field=IntegerField())


def arr_at_close(subscriptions: QuerySet[Subscription], opportunities: QuerySet[Opportunity],
                 days: list[dt.date]) -> pd.DataFrame:
    """ARR at the close of each day (columns, in order) per account (index) that has any subscription among
    `subscriptions`: the subscriptions' and the won opportunities' rows are read once each (four numbers a row) and
    every day is one vectorised comparison of them, instead of a conditional sum per day in the database, which
    took about 150 ms for twelve month ends over a 20,000-account book."""
    rows = _rows(subscriptions.order_by().annotate(start=_day_number("start_date"), end=_day_number("end_date"),
                                                   value=Cast("arr", FloatField()))
                 .values_list("account_id", "start", "end", "value"))
    subs = np.array(rows, dtype="float64").reshape(-1, 4)
    account_ids = subs[:, 0].astype("int64")
    starts, values = subs[:, 1], subs[:, 3]
    ends = np.where(np.isnan(subs[:, 2]), NO_END, subs[:, 2])
    numbers = np.array([(day - EPOCH).days for day in days], dtype="float64")
    # Summed as double precision: exact to the cent at any ARR a page shows.
    running = (starts[:, None] <= numbers) & (ends[:, None] >= numbers)
    by_day = np.where(running, values[:, None], 0.0)
    accounts, row_account = np.unique(account_ids, return_inverse=True)  # accounts ascending, as a groupby gives
    total = pd.DataFrame({day: np.bincount(row_account, weights=by_day[:, i], minlength=len(accounts))
                          for i, day in enumerate(days)}, index=pd.Index(accounts, name="account_id"),
                         columns=list(days), dtype="float64")
    if not days:
        return total
    won = list(opportunities.filter(stage=Stage.WON, closed_at__isnull=False).order_by()
               .values_list("account_id", "closed_at", "amount"))
    if won:
        closed_on = np.array([(timezone.localdate(closed) - EPOCH).days for _, closed, _ in won], dtype="float64")
        amounts = np.array([float(amount) for _, _, amount in won])
        added = pd.DataFrame(np.where(closed_on[:, None] <= numbers, 12 * amounts[:, None], 0.0),
                             columns=list(days)).groupby(np.array([account for account, _, _ in won])).sum()
        added = added.reindex(total.index, fill_value=0.0)
        total = total + added.where(total > 0, 0.0)
    return total


def arr_for_user(user: User, days: list[dt.date]) -> pd.DataFrame:
    """arr_at_close over the accounts the user may see."""
    return arr_at_close(scope_to_user(Subscription.objects.all(), user),
                        scope_to_user(Opportunity.objects.all(), user), days)


# Renewals ----------------------------------------------------------------------------------------------------

@dataclass
class RenewalPeriod:
    label: str
    accounts: int
    arr: float
    forecast: float

    @property
    def at_risk(self) -> float:
        """ARR expected not to renew: ARR − forecast."""
        return self.arr - self.forecast


@dataclass
class Renewals:
    today: dt.date
    until: dt.date
    months: list[RenewalPeriod] = field(default_factory=list)
    quarters: list[RenewalPeriod] = field(default_factory=list)
    upcoming: list[dict] = field(default_factory=list)  # the first UPCOMING_ROWS in UPCOMING_DAYS
    upcoming_count: int = 0
    total: RenewalPeriod | None = None


def renewals(user: User, today: dt.date | None = None, arr: pd.DataFrame | None = None) -> Renewals:
    """The user's live accounts renewing from today to the end of the RENEWAL_MONTHS-th month, by month and
    calendar quarter (accounts, ARR up for renewal, forecast), and the renewals of the next UPCOMING_DAYS days,
    soonest first (six queries: the scoring day, the active model, the renewing accounts' figures, today's ARR in
    two, and the first renewals ahead with their names and CSMs; four given `arr`, arr_for_user's frame with a
    column for today)."""
    today = today or timezone.localdate()
    first = pd.Period(today, freq="M")
    last = first + (RENEWAL_MONTHS - 1)
    until = last.end_time.date()
    result = Renewals(today=today, until=until)
    # The scores and the active churn model's predictions of the latest scoring day (the daily run writes both
    # for that day), joined once each rather than looked up per account.
    scored_on = latest_as_of()
    model_id = ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE).values_list("id", flat=True).first()
    renewing = (accounts_for_user(user).filter(churned=False, renewal_date__gte=today, renewal_date__lte=until)
                .annotate(snap=FilteredRelation("snapshots", condition=Q(snapshots__as_of=scored_on)),
                          risk_level=F("snap__risk_level"), health_tier=F("snap__health_tier"),
                          prediction=FilteredRelation("churn_predictions", condition=Q(
                              churn_predictions__as_of=scored_on, churn_predictions__model_id=model_id)),
                          churn_probability=F("prediction__probability")))
    # The whole book's figures need four numbers an account, in no order; only the page's first renewals ahead
    # are read with their names, sorted (sorting 20,000 names cost more than the rest of the query).
    level_probability = Case(*[When(risk_level=level, then=Value(p)) for level, p in RENEWAL_PROBABILITY.items()],
                             output_field=FloatField())
    figures = np.array(_rows(renewing.order_by().annotate(day=_day_number("renewal_date"),
                                                          level_probability=level_probability)
                             .values_list("id", "day", "level_probability", "churn_probability")),
                       dtype="float64").reshape(-1, 4)  # a missing probability is NaN
    months = pd.period_range(first, last, freq="M")
    quarters = pd.period_range(first.asfreq("Q"), last.asfreq("Q"), freq="Q")
    if not len(figures):
        result.months = [RenewalPeriod(str(m), 0, 0.0, 0.0) for m in months]
        result.quarters = [RenewalPeriod(str(q), 0, 0.0, 0.0) for q in quarters]
        result.total = RenewalPeriod("Total", 0, 0.0, 0.0)
        return result
    # Today's ARR of all the user's accounts: one pass, cheaper than naming thousands of ids.
    arr = arr_for_user(user, [today]) if arr is None else arr
    ids, days = figures[:, 0].astype("int64"), figures[:, 1].astype("int64")
    forecast = _forecast(ids, figures[:, 2], figures[:, 3], arr[today] if len(arr) else pd.Series(dtype="float64"))
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype("int64")  # months since EPOCH's
    month_offset = month - ((first.year - EPOCH.year) * 12 + first.month - 1)  # 0: this month
    quarter_offset = (month // 3) - ((first.year - EPOCH.year) * 4 + first.quarter - 1)
    result.months = _periods(months, month_offset, forecast)
    result.quarters = _periods(quarters, quarter_offset, forecast)
    result.total = RenewalPeriod("Total", len(ids), float(forecast.arr.sum()), float(forecast.forecast.sum()))
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    result.upcoming_count = int((days <= (horizon - EPOCH).days).sum())
    ahead = _rows(renewing.filter(renewal_date__lte=horizon).order_by("renewal_date", "name", "pk")
                  .values_list("id", "external_id", "name", "renewal_date", "segment", "risk_level", "health_tier",
                               "csm__first_name", "csm__last_name", "csm__username")[:UPCOMING_ROWS])
    at = pd.Index(ids).get_indexer([row[0] for row in ahead])
    for i, (_, external_id, name, renewal_date, segment, risk_level, health_tier, first_name, last_name,
            username) in zip(at, ahead, strict=True):
        result.upcoming.append({
            "external_id": external_id, "name": name, "renewal_date": renewal_date,
            "days": (renewal_date - today).days, "segment": segment or NOT_SET,
            "csm": " ".join(n for n in (first_name, last_name) if n) or username or UNASSIGNED,
            "risk_level": risk_level or "", "health_tier": health_tier or "", "arr": float(forecast.arr[i]),
            "probability": float(forecast.probability[i]), "source": forecast.source(i),
            "forecast": float(forecast.forecast[i])})
    return result


@dataclass(frozen=True)
class Forecast:
    """The renewing accounts' ARR today, renewal probability and forecast (arrays in the accounts' order)."""

    arr: np.ndarray
    probability: np.ndarray
    forecast: np.ndarray
    by_model: np.ndarray  # the probability comes from the churn model
    by_level: np.ndarray  # ... else from the risk level (neither: not scored)

    def source(self, i: int) -> str:
        return "churn model" if self.by_model[i] else "risk level" if self.by_level[i] else "not scored"


def _forecast(ids: np.ndarray, level_probability: np.ndarray, churn_probability: np.ndarray,
              arr_today: pd.Series) -> Forecast:
    """ARR × renewal probability: 1 − the churn probability where there is one, else the risk level's, else
    UNSCORED_PROBABILITY."""
    arr = arr_today.reindex(ids).fillna(0.0).to_numpy(dtype="float64")
    by_model, by_level = ~np.isnan(churn_probability), ~np.isnan(level_probability)
    probability = np.where(by_model, 1 - churn_probability,
                           np.where(by_level, level_probability, UNSCORED_PROBABILITY))
    return Forecast(arr, probability, arr * probability, by_model, by_level)


def _periods(periods: pd.PeriodIndex, offsets: np.ndarray, forecast: Forecast) -> list[RenewalPeriod]:
    """Accounts, ARR and forecast per period, given each account's period as its offset from the first."""
    n = len(periods)
    inside = (offsets >= 0) & (offsets < n)
    offsets = offsets[inside]
    accounts = np.bincount(offsets, minlength=n)
    arr = np.bincount(offsets, weights=forecast.arr[inside], minlength=n)
    expected = np.bincount(offsets, weights=forecast.forecast[inside], minlength=n)
    return [RenewalPeriod(str(period), int(accounts[i]), float(arr[i]), float(expected[i]))
            for i, period in enumerate(periods)]


# Revenue retention -----------------------------------------------------------------------------------------

@dataclass
class Retention:
    """GRR and NRR of one period and one group of accounts (shares 0-1; None when the cohort is empty)."""

    label: str
    accounts: int
    starting: float
    churned: float
    contraction: float
    expansion: float
    ending: float

    @property
    def grr(self) -> float | None:
        return (self.starting - self.churned - self.contraction) / self.starting if self.starting else None

    @property
    def nrr(self) -> float | None:
        return self.ending / self.starting if self.starting else None


def retention_of(label: str, start, end) -> Retention:
    """GRR and NRR of the cohort (start > 0) between two ARR columns of the same accounts (arrays or Series)."""
    s_all, e_all = np.asarray(start, dtype="float64"), np.asarray(end, dtype="float64")
    cohort = s_all > 0
    s, e = s_all[cohort], e_all[cohort]
    return Retention(label=label, accounts=int(cohort.sum()), starting=float(s.sum()),
                     churned=float(s[e <= 0].sum()), contraction=float((s - e)[(e > 0) & (e < s)].sum()),
                     expansion=float((e - s)[e > s].sum()), ending=float(e.sum()))


@dataclass
class RevenueRetention:
    start: dt.date  # the first day of the first month
    end: dt.date  # the last day of the last month
    months: list[Retention] = field(default_factory=list)
    year: Retention | None = None
    by_segment: list[Retention] = field(default_factory=list)
    by_csm: list[Retention] = field(default_factory=list)


def retention_closes(today: dt.date, months: int = RETENTION_MONTHS) -> tuple[pd.PeriodIndex, list[dt.date]]:
    """The `months` complete months before today's, and the days whose closing ARR they compare: the day before the
    first, and each month's last day."""
    periods = pd.period_range(end=pd.Period(today, freq="M") - 1, periods=months, freq="M")
    return periods, [periods[0].start_time.date() - dt.timedelta(days=1), *(p.end_time.date() for p in periods)]


def revenue_retention(user: User, today: dt.date | None = None, months: int = RETENTION_MONTHS,
                      arr: pd.DataFrame | None = None) -> RevenueRetention:
    """GRR and NRR of each of the `months` complete months before today's, and of the whole span by segment and
    by CSM (four queries; two given `arr`, arr_for_user's frame with a column for each of retention_closes' days)."""
    today = today or timezone.localdate()
    periods, closes = retention_closes(today, months)
    arr = arr_for_user(user, closes) if arr is None else arr
    result = RevenueRetention(start=periods[0].start_time.date(), end=closes[-1])
    if arr.empty:
        arr = pd.DataFrame(columns=closes, dtype="float64")
    values = arr[closes].to_numpy(dtype="float64")
    result.months = [retention_of(str(p), values[:, i], values[:, i + 1]) for i, p in enumerate(periods)]
    result.year = retention_of("All accounts", values[:, 0], values[:, -1])
    in_cohort = values[:, 0] > 0
    if not in_cohort.any():
        return result
    cohort = arr.index[in_cohort].to_numpy()
    who = _rows(accounts_for_user(user).order_by().values_list("id", "segment", "csm_id"))
    at = pd.Index([row[0] for row in who]).get_indexer(cohort)  # -1: not among the user's accounts
    segments = np.array([row[1] or NOT_SET for row in who] + [NOT_SET], dtype=object)[at]
    csm_ids = [row[2] for row in who] + [None]
    names = {pk: " ".join(n for n in (first_name, last_name) if n) or username for pk, first_name, last_name, username
             in User.objects.filter(pk__in={pk for pk in csm_ids if pk is not None})
             .values_list("pk", "first_name", "last_name", "username")}
    csms = np.array([names.get(pk) or UNASSIGNED for pk in csm_ids], dtype=object)[at]
    start, end = values[in_cohort, 0], values[in_cohort, -1]
    for target, groups in ((result.by_segment, segments), (result.by_csm, csms)):
        for name in sorted(set(groups), key=lambda n: (n in (NOT_SET, UNASSIGNED), n)):
            chosen = groups == name
            target.append(retention_of(name, start[chosen], end[chosen]))
    return result


# Lost ARR by churn reason ------------------------------------------------------------------------------------

def lost_by_reason(user: User, today: dt.date | None = None, days: int = LOST_DAYS) -> list[dict]:
    """Churn events of the last `days` days per reason code: events, accounts and the ARR lost, the most lost
    first (one query)."""
    today = today or timezone.localdate()
    day_before = ExpressionWrapper(OuterRef("churn_date") - dt.timedelta(days=1), output_field=DateField())
    subs = (Subscription.objects.filter(account=OuterRef("account"), start_date__lte=day_before)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day_before))
            .order_by().values("account").annotate(total=Sum("arr")).values("total"))
    won = (Opportunity.objects.filter(account=OuterRef("account"), stage=Stage.WON,
                                      closed_at__date__lt=OuterRef("churn_date"))
           .order_by().values("account").annotate(total=Sum("amount")).values("total"))
    events = (scope_to_user(ChurnEvent.objects.filter(churn_date__gt=today - dt.timedelta(days=days),
                                                      churn_date__lte=today), user)
              .annotate(subscribed=Subquery(subs), won=Subquery(won))
              .values_list("account_id", "reason_code", "subscribed", "won"))
    frame = pd.DataFrame.from_records(list(events), columns=["account_id", "code", "subscribed", "won"])
    if frame.empty:
        return []
    subscribed = frame["subscribed"].astype("float64").fillna(0.0)
    frame["lost"] = subscribed + (12 * frame["won"].astype("float64").fillna(0.0)).where(subscribed > 0, 0.0)
    frame["code"] = frame["code"].replace("", "not given")
    grouped = frame.groupby("code").agg(events=("account_id", "size"), accounts=("account_id", "nunique"),
                                        lost=("lost", "sum"))
    total = float(grouped["lost"].sum())
    rows = [{"code": code, "label": REASON_LABELS.get(code, code), "events": int(row.events),
             "accounts": int(row.accounts), "lost": float(row.lost),
             "share": float(row.lost) / total if total else None}
            for code, row in grouped.iterrows()]
    return sorted(rows, key=lambda r: (-r["lost"], -r["events"], r["code"]))


def revenue_charts(found: Renewals, retention: RevenueRetention, lost: list[dict]) -> dict:
    """What the Renewals page's canvases draw (static/js/charts.js reads it)."""
    charts = {"renewals": {"type": "bar", "labels": [m.label for m in found.months], "money": True, "datasets": [
        {"label": "ARR up for renewal", "data": [round(m.arr, 2) for m in found.months], "color": "#9ca3af"},
        {"label": "Forecast", "data": [round(m.forecast, 2) for m in found.months], "color": "#2563eb"}]}}
    if any(m.starting for m in retention.months):
        charts["retention"] = {"type": "line", "labels": [m.label for m in retention.months], "percent": True,
                               "datasets": [
                                   {"label": "NRR (%)", "color": "#0a6b3a",
                                    "data": [None if m.nrr is None else round(100 * m.nrr, 1)
                                             for m in retention.months]},
                                   {"label": "GRR (%)", "color": "#a86400",
                                    "data": [None if m.grr is None else round(100 * m.grr, 1)
                                             for m in retention.months]}]}
    if lost:
        charts["lost"] = {"type": "bar", "horizontal": True, "money": True, "labels": [r["label"] for r in lost],
                          "datasets": [{"label": "ARR lost", "data": [round(r["lost"], 2) for r in lost],
                                        "color": "#8e1b10"}]}
    return charts
