"""The churn model's point-in-time features: one row per account live on a date, built only from data dated on
or before it.

`feature_frame(as_of)` scores the book as of the date without writing anything (scoring.services.score_range),
keeps every measure's raw value, the rules' inputs and their risk score, and adds what the rules do not read:
texts' negative-sentiment share and competitor mentions, tenure, days to the next renewal, seats, ARR, payment
trouble, silence and champions who left. Missing values stay NaN (the trees learn where they go). FEATURES names
every column with the words the Account 360 card uses, and `describe` puts a prediction's reason in them.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Q

from accounts.models import Account, ChurnEvent, SupportTicket, Touchpoint
from scoring.config import Config, parse_config
from scoring.configs import ensure_active_config
from scoring.fetch import EVENT_DAYS, Window, frame
from scoring.measures import MEASURES
from scoring.services import score_range

HORIZON_DAYS = 90  # the label: churn within this many days after the date
NEGATIVE_SENTIMENT = -0.05  # a text read below this is negative (VADER's customary cut-off)


@dataclass(frozen=True)
class Feature:
    """One model input: its column, what it is in plain words, and how its value is written."""

    name: str
    label: str
    kind: str = "number"  # number, share (0-1 as %), ratio (x times), days, money, category, change


FEATURES: tuple[Feature, ...] = (
    # Every health measure's raw value (scoring.measures).
    Feature("daily_active_rate", "Days active in the last 30 days", "share"),
    Feature("feature_adoption_depth", "Features used in the last 30 days"),
    Feature("usage_trend_30d", "Usage against the 30 days before", "ratio"),
    Feature("plan_utilisation", "Seats in use of those licensed", "share"),
    Feature("support_sentiment", "Support satisfaction and tone (90 days)", "share"),
    Feature("feature_request_activity", "Feature requests (90 days)"),
    Feature("community_participation", "Community posts (90 days)"),
    Feature("onboarding_completion", "Onboarding completed (%)"),
    Feature("documentation_engagement", "Documentation visits (90 days)"),
    Feature("payment_health", "Invoices paid of those due (180 days)", "share"),
    Feature("contract_trend", "Contract change (upgrade +1, downgrade -1)"),
    Feature("team_adoption", "Contacts engaged (90 days)", "share"),
    Feature("integration_health", "Integration calls without error", "share"),
    Feature("csm_interactions", "CSM calls, meetings and e-mails (60 days)"),
    Feature("executive_engagement", "Executive touchpoints (90 days)"),
    Feature("referral_likelihood", "Mean NPS (180 days)"),
    Feature("case_study_participation", "Case study or reference in the last year"),
    # The rules' verdict and their inputs (scoring.rules).
    Feature("risk_score", "Risk score from the rules (0-100)"),
    Feature("usage_30", "Uses in the last 30 days"),
    Feature("usage_prev", "Uses in the 30 days before"),
    Feature("usage_drop", "Usage change in the last 30 days", "change"),
    Feature("errors_30", "Errors in the last 30 days"),
    Feature("errors_per_1000", "Errors per 1,000 uses (30 days)"),
    Feature("tickets_30", "Support tickets in the last 30 days"),
    Feature("escalations_30", "Escalated tickets in the last 30 days"),
    Feature("satisfaction_30", "Mean ticket satisfaction (30 days, 1-5)"),
    Feature("churn_intent_30", "Texts voicing cancellation (30 days)"),
    # Text signals.
    Feature("negative_text_share", "Customer texts read as negative (90 days)", "share"),
    Feature("competitor_mentions", "Texts naming a competitor (90 days)"),
    # Trends.
    Feature("health_trend", "Health change over 30 days (points)"),
    # The account.
    Feature("tenure_days", "Customer for", "days"),
    Feature("plan_tier", "Plan", "category"),
    Feature("segment", "Segment", "category"),
    Feature("days_to_renewal", "Renewal in", "days"),
    Feature("seats", "Seats licensed"),
    Feature("arr", "ARR", "money"),
    Feature("invoices_failed", "Failed or overdue invoices lately"),
    Feature("days_since_interaction", "Days since the customer last got in touch", "days"),
    Feature("champions_left", "Champions who left lately"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "category")


@dataclass
class FeatureFrame:
    """The features of the accounts live on one date, and the rules' verdict on the same rows."""

    as_of: dt.date
    features: pd.DataFrame  # indexed by account id, columns FEATURE_NAMES (categoricals as text)
    risk_score: pd.Series  # the rules' risk score (0-100) of each account, for the comparison


def live_accounts(as_of: dt.date) -> pd.Series:
    """The signup date of each account that had signed up by the date (or whose signup is unknown) and had not
    churned by it, indexed by account id."""
    churned = ChurnEvent.objects.filter(churn_date__lte=as_of).values("account_id")
    qs = (Account.objects.filter(Q(signup_date__lte=as_of) | Q(signup_date__isnull=True))
          .exclude(id__in=churned).order_by("id").values_list("id", "signup_date"))
    live = frame(qs, ["id", "signup_date"])
    return pd.Series(pd.to_datetime(live["signup_date"]).to_numpy(), index=pd.Index(live["id"].astype("int64")))


def churn_labels(as_of: dt.date, accounts: pd.Index, horizon: int = HORIZON_DAYS) -> pd.Series:
    """1 for each account with a churn event in the `horizon` days after the date (as_of excluded), else 0."""
    end = as_of + dt.timedelta(days=horizon)
    qs = ChurnEvent.objects.filter(churn_date__gt=as_of, churn_date__lte=end).order_by().values_list("account_id")
    churned = frame(qs.distinct(), ["account_id"])["account_id"]
    return pd.Series(accounts.isin(churned).astype("int8"), index=accounts)


def _text_signals(window: Window) -> pd.DataFrame:
    """Per account, over the 90 days up to the date: customer texts read (tickets, and touchpoints other than
    the CSM's own e-mails and notes), those read as negative, and those naming a competitor."""
    start, end = window.instant(EVENT_DAYS), window.end
    aggregates = {"read": Count("sentiment"), "negative": Count("id", filter=Q(sentiment__lt=NEGATIVE_SENTIMENT)),
                  "competitor": Count("id", filter=~Q(competitors=[]))}
    parts = []
    for qs in (SupportTicket.objects.filter(submitted_at__gte=start, submitted_at__lt=end),
               Touchpoint.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
               .exclude(kind="note").exclude(kind="email", direction="outbound")):
        parts.append(frame(qs.order_by().values_list("account_id").annotate(**aggregates),
                           ["account_id", "read", "negative", "competitor"]))
    return pd.concat(parts).groupby("account_id").sum()


def _next_renewal(renewal: pd.Series, as_of: dt.date) -> pd.Series:
    """Days from the date to the first anniversary of the (current) renewal date after it: the book keeps only
    the renewal ahead today, and the one ahead then was the same day of the year (29 February: the 28th)."""
    dates = pd.to_datetime(renewal, errors="coerce")
    month, day = dates.dt.month, dates.dt.day.where(~((dates.dt.month == 2) & (dates.dt.day == 29)), 28)
    target = pd.Timestamp(as_of)

    def on(year: int) -> pd.Series:
        return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")

    this_year = on(target.year)
    upcoming = this_year.where(this_year > target, on(target.year + 1))
    return (upcoming - target).dt.days.astype("float64")


def _days_since(instants: pd.Series, as_of: dt.date) -> pd.Series:
    """Whole days from ISO instants (text, NaN for none) to the date."""
    when = pd.to_datetime(instants, utc=True, errors="coerce").dt.tz_convert(None).dt.normalize()
    return (pd.Timestamp(as_of) - when).dt.days.astype("float64")


def feature_frame(as_of: dt.date, *, config: Config | None = None) -> FeatureFrame:
    """The features (FEATURES) of every account live on the date, from data dated on or before it only."""
    config = config or parse_config(ensure_active_config().data)
    signup = live_accounts(as_of)
    ids = signup.index
    scores, data = score_range(as_of=as_of, config=config)
    acc = scores.accounts.reindex(ids)
    out = pd.DataFrame(index=ids)
    for name, measure in MEASURES.items():
        out[name] = measure(data).reindex(ids).astype("float64")

    usage = data.usage_by_account.reindex(ids)
    out["usage_30"] = usage["usage_30"].fillna(0).astype("float64")
    out["usage_prev"] = usage["usage_prev"].fillna(0).astype("float64")
    out["usage_drop"] = (out["usage_prev"] - out["usage_30"]) / out["usage_prev"].where(out["usage_prev"] > 0)
    subs = data.usage_by_subscription.groupby("account_id")["errors_30"].sum().reindex(ids)
    out["errors_30"] = subs.fillna(0).astype("float64")
    out["errors_per_1000"] = 1000 * out["errors_30"] / out["usage_30"].where(out["usage_30"] > 0)
    tickets = data.tickets.reindex(ids)
    out["tickets_30"] = tickets["tickets_30"].fillna(0).astype("float64")
    out["escalations_30"] = tickets["escalated_30"].fillna(0).astype("float64")
    out["satisfaction_30"] = (tickets["satisfaction_sum_30"] / tickets["rated_30"].where(tickets["rated_30"] > 0)
                              ).astype("float64")
    out["churn_intent_30"] = acc["churn_intent_30"].fillna(0).astype("float64")
    out["risk_score"] = acc["risk_score"].fillna(0).astype("float64")

    texts = _text_signals(data.window).reindex(ids)
    out["negative_text_share"] = (texts["negative"] / texts["read"].where(texts["read"] > 0)).astype("float64")
    out["competitor_mentions"] = texts["competitor"].fillna(0).astype("float64")
    out["health_trend"] = acc["health_trend"].astype("float64")

    accounts = data.accounts.reindex(ids)
    out["tenure_days"] = (pd.Timestamp(as_of) - signup).dt.days.astype("float64")
    plan, seats = _plan_and_seats(data.subscriptions, ids)
    out["plan_tier"] = plan.where(plan != "", accounts["plan_tier"]).replace("", np.nan)
    out["segment"] = accounts["segment"].replace("", np.nan)
    out["days_to_renewal"] = _next_renewal(accounts["renewal_date"], as_of)
    out["seats"] = seats.where(seats > 0, accounts["seats"].astype("float64"))
    out["arr"] = acc["arr"].fillna(0).astype("float64")
    out["invoices_failed"] = data.invoices["failed_recent"].reindex(ids).fillna(0).astype("float64")
    out["days_since_interaction"] = _days_since(data.touchpoints["last_interaction"].reindex(ids), as_of)
    out["champions_left"] = data.contacts["champions_left"].reindex(ids).fillna(0).astype("float64")
    out = out[list(FEATURE_NAMES)]
    return FeatureFrame(as_of=as_of, features=out, risk_score=acc["risk_score"].fillna(0).astype("float64"))


def _plan_and_seats(subs: pd.DataFrame, ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """The plan of each account's largest subscription active on the date ("" when none) and the seats of its
    active subscriptions (0 when none): the account's own fields say what holds today, not then."""
    active = subs[subs["active"]].sort_values(["account_id", "arr"], ascending=[True, False])
    plan = active.drop_duplicates("account_id").set_index("account_id")["sub_plan_tier"]
    seats = active.groupby("account_id")["sub_seats"].sum()
    return plan.reindex(ids).fillna("").astype(str), seats.reindex(ids).fillna(0).astype("float64")


def feature_label(name: str) -> str:
    """A feature's words (its own name for one a newer release no longer knows)."""
    feature = BY_NAME.get(name)
    return feature.label if feature else name


def describe(item: dict[str, Any]) -> str:
    """A contribution in plain words: what the value is, and which way it moved the risk."""
    direction = "raises the risk" if item["contribution"] > 0 else "lowers the risk"
    return f"{_value_words(item['feature'], item['value'])} — {direction}"


def _value_words(name: str, value: Any) -> str:
    """The feature's value as a short sentence."""
    feature = BY_NAME.get(name)
    label = feature_label(name)
    if value is None:
        return f"{label}: no data"
    if name == "usage_drop":
        pct = round(abs(value) * 100)
        if pct == 0:
            return "Usage held steady in the last 30 days"
        return f"Usage {'fell' if value > 0 else 'rose'} {pct}% in the last 30 days"
    if name == "daily_active_rate":
        return f"Active on {round(value * 31)} of the last 31 days"
    if name == "days_to_renewal":
        return f"Renewal in {round(value)} days"
    if name == "days_since_interaction":
        return f"Last in touch {round(value)} days ago"
    if name == "risk_score":
        return f"Risk score {round(value)} of 100 from the rules"
    if name == "tenure_days":
        return f"Customer for {round(value)} days"
    kind = feature.kind if feature else "number"
    if kind == "share":
        return f"{label}: {round(value * 100)}%"
    if kind == "ratio":
        return f"{label}: {value:.2f}×"
    if kind == "money":
        return f"{label}: ${value:,.0f}"
    if kind == "category":
        return f"{label}: {value}"
    return f"{label}: {value:g}"
