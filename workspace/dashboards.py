"""Reads behind the home (with the team view), Executive and Drivers & insights pages: whole-book figures
computed with a fixed number of set-based queries (grouped in the database or in one DataFrame), scoped to the
accounts the user may see (accounts.selectors decides that).

Definitions the pages state as well:
- The *live book* is the accounts not marked churned; risk, tier and ARR figures are about it, from each
  account's snapshot of the latest scoring date (the trend uses the snapshots of the last 90 days of
  today's live accounts).
- *ARR at risk* is the ARR of live accounts whose churn risk is High on that date.
- *Churn rate* of a period is the number of accounts with a churn event in it divided by the accounts
  that were customers when it began (signed up before it, and not already churned for good).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Max, Q, Sum
from django.utils import timezone

from accounts.models import Account, ChurnEvent, Subscription, SupportTicket, Touchpoint, User
from accounts.selectors import accounts_for_user, scope_to_user
from interventions.selectors import PlanProgress, plan_progress_by_csm
from scoring.config import RULE_LABELS, TIER_NAMES
from scoring.levels import SEVERE_TIERS, Level, Tier
from scoring.models import Alert, AlertStatus, Snapshot
from scoring.selectors import awake, with_latest_scores
from scoring.services import latest_as_of
from scoring.texts.reading import CATEGORY_LABELS

TREND_DAYS = 90
CHURN_MONTHS = 12
RENEWAL_DAYS = 90
QUEUE_ROWS = 10
NO_DATA = "No data"


def _money(value) -> float:
    return float(value or 0)


# The live book on the latest scoring date -------------------------------------------------------------

def latest_book(user: User, as_of: dt.date | None, *columns: str) -> pd.DataFrame:
    """One row per live account the user may see that has a snapshot on `as_of`: the account's plan
    tier, segment and CSM with the snapshot's ARR, risk and tier (and any further snapshot columns)."""
    names = ["account_id", "plan_tier", "segment", "csm_id", "arr", "risk_score", "risk_level", "health_score",
             "health_tier", *columns]
    if as_of is None:
        return pd.DataFrame(columns=names)
    rows = (scope_to_user(Snapshot.objects.filter(as_of=as_of, account__churned=False), user).order_by()
            .values_list("account_id", "account__plan_tier", "account__segment", "account__csm_id", "arr", "risk_score",
                         "risk_level", "health_score", "health_tier", *columns))
    book = pd.DataFrame.from_records(list(rows), columns=names)
    book["arr"] = book["arr"].map(_money).astype("float64")
    book["health_tier"] = book["health_tier"].replace("", NO_DATA)
    book["high"] = book["risk_level"] == Level.HIGH
    return book


def book_groups(user: User, as_of: dt.date | None) -> pd.DataFrame:
    """The live book of latest_book counted in the database: a row per CSM, health tier, risk level and paying or not
    (ARR above zero), with its accounts and their ARR, and whether the level is High (one grouped query: a few
    hundred rows at most, however large the book)."""
    names = ["csm_id", "health_tier", "risk_level", "paying", "accounts", "arr", "high"]
    if as_of is None:
        return pd.DataFrame(columns=names)
    rows = (scope_to_user(Snapshot.objects.filter(as_of=as_of, account__churned=False), user).order_by()
            .values_list("account__csm_id", "health_tier", "risk_level",
                         ExpressionWrapper(Q(arr__gt=0), output_field=BooleanField()))
            .annotate(accounts=Count("*"), total=Sum("arr")))  # COUNT(*): the day's index of scores covers the read
    groups = pd.DataFrame.from_records(list(rows), columns=names[:-1])
    groups["arr"] = groups["arr"].map(_money).astype("float64")
    groups["paying"] = groups["paying"].astype(bool)
    groups["health_tier"] = groups["health_tier"].fillna("").replace("", NO_DATA)
    groups["high"] = groups["risk_level"] == Level.HIGH
    return groups


# Executive --------------------------------------------------------------------------------------------

@dataclass
class Executive:
    as_of: dt.date | None
    live_accounts: int = 0
    churned_accounts: int = 0
    scored_accounts: int = 0
    high_risk: int = 0
    high_risk_share: float | None = None
    arr_total: float = 0.0
    arr_average: float | None = None
    arr_at_risk: float = 0.0
    arr_at_risk_share: float | None = None
    tiers: dict[str, int] = field(default_factory=dict)
    churn: dict = field(default_factory=dict)
    trend: dict = field(default_factory=dict)


def executive_summary(user: User, as_of: dt.date | None = None, *, with_trend: bool = True,
                      groups: pd.DataFrame | None = None) -> Executive:
    """Churn rate, the share at High risk, ARR at risk, average and total ARR, and the health-tier
    distribution with its 90-day trend (five queries; two without the trends, one given the book's groups of
    book_groups)."""
    as_of = as_of or latest_as_of()
    counts = accounts_for_user(user).aggregate(live=Count("id", filter=Q(churned=False)),
                                               churned=Count("id", filter=Q(churned=True)))
    summary = Executive(as_of=as_of, live_accounts=counts["live"], churned_accounts=counts["churned"])
    if with_trend:
        summary.churn = churn_by_month(user, as_of or timezone.localdate())
    groups = book_groups(user, as_of) if groups is None else groups
    if groups.empty:
        return summary
    summary.scored_accounts = int(groups["accounts"].sum())
    high = groups[groups["high"]]
    summary.high_risk = int(high["accounts"].sum())
    summary.high_risk_share = summary.high_risk / summary.scored_accounts
    summary.arr_total = float(groups["arr"].sum())
    paying = groups[groups["paying"]]
    summary.arr_average = float(paying["arr"].sum()) / int(paying["accounts"].sum()) if len(paying) else None
    summary.arr_at_risk = float(high["arr"].sum())
    summary.arr_at_risk_share = summary.arr_at_risk / summary.arr_total if summary.arr_total else None
    found = groups.groupby("health_tier")["accounts"].sum()
    summary.tiers = {tier: int(found.get(tier, 0)) for tier in (*TIER_NAMES, NO_DATA)
                     if tier in TIER_NAMES or found.get(tier, 0)}
    if with_trend:
        summary.trend = tier_trend(user, as_of)
    return summary


def tier_trend(user: User, as_of: dt.date) -> dict:
    """Per scoring date of the last 90 days: accounts in each tier, the share at High risk and the ARR
    at risk, over today's live accounts (one grouped query)."""
    rows = (scope_to_user(Snapshot.objects.filter(as_of__gt=as_of - dt.timedelta(days=TREND_DAYS),
                                                  as_of__lte=as_of, account__churned=False), user)
            .order_by().values("as_of", "health_tier", "risk_level")
            .annotate(n=Count("id"), arr=Sum("arr")))
    frame = pd.DataFrame.from_records(list(rows), columns=["as_of", "health_tier", "risk_level", "n", "arr"])
    if frame.empty:
        return {}
    frame["health_tier"] = frame["health_tier"].replace("", NO_DATA)
    frame["arr"] = frame["arr"].map(_money)
    dates = sorted(frame["as_of"].unique())
    tiers = frame.pivot_table(index="as_of", columns="health_tier", values="n", aggfunc="sum", fill_value=0) \
        .reindex(dates, fill_value=0)
    high = frame[frame["risk_level"] == Level.HIGH].groupby("as_of")[["n", "arr"]].sum().reindex(dates, fill_value=0)
    totals = frame.groupby("as_of")["n"].sum().reindex(dates)
    return {
        "dates": [d.isoformat() for d in dates],
        "tiers": {tier: [int(v) for v in tiers[tier]] if tier in tiers else [0] * len(dates)
                  for tier in (*TIER_NAMES, NO_DATA) if tier in TIER_NAMES or tier in tiers},
        "high_share": [round(100 * h / t, 1) for h, t in zip(high["n"], totals, strict=True)],
        "arr_at_risk": [round(float(v), 2) for v in high["arr"]],
    }


def churn_by_month(user: User, until: dt.date) -> dict:
    """Accounts churned per calendar month over the 12 months up to `until` and the churn rate of each
    month and of the whole period (two queries)."""
    months = pd.period_range(end=pd.Period(until, freq="M"), periods=CHURN_MONTHS, freq="M")
    accounts = pd.DataFrame.from_records(
        list(accounts_for_user(user).order_by().values_list("id", "signup_date", "churned")),
        columns=["id", "signup_date", "churned"]).set_index("id")
    events = pd.DataFrame.from_records(
        list(scope_to_user(ChurnEvent.objects.filter(churn_date__lte=until), user).order_by()
             .values_list("account_id", "churn_date")), columns=["account_id", "churn_date"])
    last_churn = events.groupby("account_id")["churn_date"].max() if len(events) else pd.Series(dtype=object)
    accounts["last_churn"] = accounts.index.map(last_churn)
    signed_up = pd.to_datetime(accounts["signup_date"])
    last = pd.to_datetime(accounts["last_churn"])
    event_month = pd.to_datetime(events["churn_date"]).dt.to_period("M") if len(events) else pd.Series(dtype=object)

    def customers_at(start: pd.Timestamp) -> int:
        # Signed up before the period (an unknown signup counts as before) and not gone for good before it.
        gone = accounts["churned"].astype(bool) & (last < start)
        return int(((signed_up.isna() | (signed_up < start)) & ~gone).sum())

    churned, rates = [], []
    for month in months:
        lost = int(events.loc[event_month == month, "account_id"].nunique()) if len(events) else 0
        base = customers_at(month.start_time)
        churned.append(lost)
        rates.append(round(100 * lost / base, 2) if base else None)
    period_lost = int(events.loc[event_month >= months[0], "account_id"].nunique()) if len(events) else 0
    period_base = customers_at(months[0].start_time)
    return {"months": [str(m) for m in months], "churned": churned, "rates": rates, "lost": period_lost,
            "base": period_base, "rate": round(100 * period_lost / period_base, 2) if period_base else None,
            "start": months[0].start_time.date(), "until": until}


# Drivers & insights -----------------------------------------------------------------------------------

@dataclass
class Drivers:
    as_of: dt.date | None
    scored_accounts: int = 0
    by_plan_tier: list[dict] = field(default_factory=list)
    by_segment: list[dict] = field(default_factory=list)
    reasons: list[dict] = field(default_factory=list)
    churn_reasons: list[dict] = field(default_factory=list)
    themes: list = field(default_factory=list)

    @property
    def churn_events(self) -> int:
        return sum(r["events"] for r in self.churn_reasons)


def drivers(user: User, as_of: dt.date | None = None) -> Drivers:
    """Risk by plan tier and by segment, how often each risk rule fires, the churn reason codes and the
    ticket themes across customers (five queries)."""
    as_of = as_of or latest_as_of()
    result = Drivers(as_of=as_of, churn_reasons=churn_reasons(user), themes=ticket_themes(user, as_of))
    book = latest_book(user, as_of, "fired_rules")
    if book.empty:
        return result
    result.scored_accounts = len(book)
    result.by_plan_tier = _risk_by(book, "plan_tier")
    result.by_segment = _risk_by(book, "segment")
    fired = Counter()
    arr = Counter()
    for rules, account_arr in zip(book["fired_rules"], book["arr"], strict=True):
        for rule in {item["rule"] for item in rules or []}:
            fired[rule] += 1
            arr[rule] += account_arr
    result.reasons = [{"rule": rule, "label": RULE_LABELS.get(rule, rule.replace("_", " ").capitalize()),
                       "accounts": n, "share": n / len(book), "arr": arr[rule]}
                      for rule, n in sorted(fired.items(), key=lambda item: (-item[1], item[0]))]
    return result


def _risk_by(book: pd.DataFrame, column: str) -> list[dict]:
    """Accounts, average risk and health, High-risk count and share, ARR and ARR at risk per value."""
    book = book.assign(group=book[column].replace("", "Not set"), arr_high=book["arr"].where(book["high"], 0.0))
    grouped = book.groupby("group").agg(accounts=("account_id", "size"), risk=("risk_score", "mean"),
                                        health=("health_score", "mean"), high=("high", "sum"), arr=("arr", "sum"),
                                        arr_at_risk=("arr_high", "sum"))
    grouped = grouped.sort_values(["risk", "accounts"], ascending=[False, False])
    return [{"name": name, "accounts": int(row.accounts), "risk": round(float(row.risk), 1),
             "health": None if pd.isna(row.health) else round(float(row.health), 1), "high": int(row.high),
             "high_share": row.high / row.accounts, "arr": float(row.arr), "arr_at_risk": float(row.arr_at_risk)}
            for name, row in grouped.iterrows()]


def churn_reasons(user: User) -> list[dict]:
    """Churn events per reason code: events, accounts, refunds and the latest date, most frequent first."""
    rows = (scope_to_user(ChurnEvent.objects.all(), user).order_by()
            .annotate(code=F("reason_code")).values("code")
            .annotate(events=Count("id"), accounts=Count("account", distinct=True), refunds=Sum("refund_amount"),
                      last=Max("churn_date"))
            .order_by("-events", "code"))
    total = sum(r["events"] for r in rows)
    return [{"code": r["code"] or "Not given", "events": r["events"], "accounts": r["accounts"],
             "share": r["events"] / total, "refunds": r["refunds"] or Decimal(0), "last": r["last"]} for r in rows]


# Homes ------------------------------------------------------------------------------------------------

def accounts_at_risk(user: User, as_of: dt.date | None, limit: int = QUEUE_ROWS) -> list[Snapshot]:
    """The user's live accounts most at risk on `as_of` (High risk, or a Critical or High risk tier),
    highest risk then ARR first, with their account and CSM (one query)."""
    if as_of is None:
        return []
    return list(scope_to_user(Snapshot.objects.filter(as_of=as_of, account__churned=False), user)
                .filter(Q(risk_level=Level.HIGH) | Q(health_tier__in=SEVERE_TIERS))
                .select_related("account", "account__csm").order_by("-risk_score", "-arr", "account_id")[:limit])


def renewals_ahead(user: User, as_of: dt.date | None, today: dt.date | None = None,
                   days: int = RENEWAL_DAYS, limit: int = QUEUE_ROWS) -> list[Account]:
    """The user's live accounts renewing in the next `days` days, soonest first, with their latest risk
    and tier when scored (one query)."""
    today = today or timezone.localdate()
    renewing = accounts_for_user(user).filter(churned=False, renewal_date__gte=today,
                                             renewal_date__lte=today + dt.timedelta(days=days))
    if as_of is not None:
        renewing = with_latest_scores(renewing)
    return list(renewing.order_by("renewal_date", "name")[:limit])


@dataclass
class TeamRow:
    csm: User | None
    accounts: int
    arr: float
    high_risk: int
    arr_at_risk: float
    critical: int
    open_alerts: int
    renewals: int
    plans: PlanProgress = field(default_factory=PlanProgress)

    @property
    def csm_email(self) -> str:
        return self.csm.email if self.csm else ""


def team_view(user: User, as_of: dt.date | None, today: dt.date | None = None,
              groups: pd.DataFrame | None = None) -> list[TeamRow]:
    """Per CSM (and the unassigned accounts) for a manager: live accounts, ARR, accounts at High risk
    and their ARR, Critical accounts, open alerts (not snoozed), renewals in the next 90 days and the progress of their
    success plans (six queries; five given the book's groups of book_groups)."""
    today = today or timezone.localdate()
    accounts = accounts_for_user(user).filter(churned=False).order_by().values("csm_id").annotate(
        accounts=Count("id"),
        renewals=Count("id", filter=Q(renewal_date__gte=today,
                                      renewal_date__lte=today + dt.timedelta(days=RENEWAL_DAYS))))
    per_csm = {r["csm_id"]: r for r in accounts}
    alerts = dict(scope_to_user(Alert.objects.filter(awake(today), status=AlertStatus.OPEN), user).order_by()
                  .values_list("account__csm_id").annotate(n=Count("id")))
    groups = book_groups(user, as_of) if groups is None else groups
    scored = {}
    if not groups.empty:
        groups = groups.assign(high_accounts=groups["accounts"].where(groups["high"], 0),
                               arr_high=groups["arr"].where(groups["high"], 0.0),
                               critical=groups["accounts"].where(groups["health_tier"] == Tier.CRITICAL, 0),
                               csm_key=groups["csm_id"].fillna(-1).astype("int64"))
        totals = groups.groupby("csm_key")[["arr", "high_accounts", "arr_high", "critical"]].sum()
        scored = {None if key == -1 else int(key): row for key, row in totals.iterrows()}
    csms = User.objects.in_bulk([key for key in per_csm if key is not None])
    plans = plan_progress_by_csm(user, today)
    rows = []
    for csm_id, counts in per_csm.items():
        group = scored.get(csm_id)
        rows.append(TeamRow(
            csm=csms.get(csm_id), accounts=counts["accounts"], renewals=counts["renewals"],
            arr=float(group["arr"]) if group is not None else 0.0,
            high_risk=int(group["high_accounts"]) if group is not None else 0,
            arr_at_risk=float(group["arr_high"]) if group is not None else 0.0,
            critical=int(group["critical"]) if group is not None else 0,
            open_alerts=alerts.get(csm_id, 0), plans=plans.get(csm_id, PlanProgress())))
    # CSMs with the most at stake first; the unassigned accounts last.
    return sorted(rows, key=lambda r: (r.csm is None, -r.arr_at_risk, -r.high_risk, r.csm.email if r.csm else ""))


# Ticket themes across customers (Drivers & insights) ----------------------------------------------------

THEME_DAYS = 30
SPIKE_DAYS = 7
THEME_ROWS = 15


@dataclass
class Theme:
    category: str
    label: str
    ehr_system: str
    segment: str
    accounts: int
    tickets_30: int
    tickets_prior_30: int
    tickets_7: int
    mrr_at_risk: float
    competitors: list[str]
    top_accounts: list[tuple[str, str]]  # (external id, name), largest MRR first

    @property
    def trend(self) -> float | None:
        """Tickets of the last 30 days against the 30 before (None: none before)."""
        return self.tickets_30 / self.tickets_prior_30 if self.tickets_prior_30 else None

    @property
    def spike(self) -> bool:
        """A spike: five or more tickets from three or more accounts in the last 7 days, at least three times
        the weekly rate of the 30 days before."""
        weekly_before = self.tickets_prior_30 * SPIKE_DAYS / THEME_DAYS
        return self.tickets_7 >= 5 and self.accounts >= 3 and self.tickets_7 >= 3 * weekly_before


def ticket_themes(user: User, as_of: dt.date | None = None) -> list[Theme]:
    """What customers raise in tickets, across accounts: per analysed category × EHR system × segment,
    the accounts, tickets of the last 30 days (and the 30 before, and the last 7: a spike starting shows
    the day it starts), the MRR of the accounts that raised it in the last 30 days (at risk through it),
    the competitors named in their tickets and touchpoints, and the accounts (three queries)."""
    as_of = as_of or latest_as_of() or timezone.localdate()
    end = timezone.make_aware(dt.datetime.combine(as_of, dt.time.max))
    start = end - dt.timedelta(days=2 * THEME_DAYS)
    rows = (scope_to_user(SupportTicket.objects.filter(submitted_at__gt=start, submitted_at__lte=end)
                          .exclude(analysis_version="").exclude(category__in=("", "other")), user)
            .order_by().values_list("account_id", "account__external_id", "account__name", "account__ehr_system",
                                    "account__segment", "category", "competitors", "submitted_at"))
    tickets = pd.DataFrame.from_records(list(rows), columns=["account_id", "external_id", "name", "ehr", "segment",
                                                             "category", "competitors", "at"])
    if tickets.empty:
        return []
    tickets["at"] = pd.to_datetime(tickets["at"], utc=True)
    age = (pd.Timestamp(end) - tickets["at"]).dt.days
    tickets["last_30"], tickets["last_7"] = age < THEME_DAYS, age < SPIKE_DAYS
    recent_accounts = set(tickets.loc[tickets["last_30"], "account_id"])
    mrr = dict(Subscription.objects.filter(account_id__in=recent_accounts, end_date__isnull=True).order_by()
               .values_list("account_id").annotate(m=Sum("mrr")))
    named = pd.DataFrame.from_records(list(
        Touchpoint.objects.filter(account_id__in=recent_accounts, occurred_at__gt=end - dt.timedelta(days=THEME_DAYS),
                                  occurred_at__lte=end)
        .exclude(competitors=[]).values_list("account_id", "competitors")),
        columns=["account_id", "competitors"])
    touch_competitors = (named.explode("competitors").groupby("account_id")["competitors"].agg(set).to_dict()
                         if len(named) else {})
    themes = []
    for (category, ehr, segment), group in tickets.groupby(["category", "ehr", "segment"]):
        recent = group[group["last_30"]]
        accounts = recent.drop_duplicates("account_id")
        if recent.empty:
            continue  # quiet for 30 days: not a current theme
        competitors = {name for names in recent["competitors"] for name in names}
        for account_id in accounts["account_id"]:
            competitors |= touch_competitors.get(account_id, set())
        by_mrr = sorted(accounts.itertuples(), key=lambda a: -float(mrr.get(a.account_id) or 0))
        themes.append(Theme(
            category=category, label=CATEGORY_LABELS.get(category, category), ehr_system=ehr or "No EHR",
            segment=segment or "Not set", accounts=len(accounts), tickets_30=int(group["last_30"].sum()),
            tickets_prior_30=int((~group["last_30"]).sum()), tickets_7=int(group["last_7"].sum()),
            mrr_at_risk=float(sum(float(mrr.get(a) or 0) for a in accounts["account_id"])),
            competitors=sorted(competitors), top_accounts=[(a.external_id, a.name) for a in by_mrr[:5]]))
    themes.sort(key=lambda t: (not t.spike, -(t.tickets_7 if t.spike else t.tickets_30), -t.mrr_at_risk, t.category))
    return themes[:THEME_ROWS]
