"""Scores one batch of the book: risk per subscription and per account, health per account, trend.

`score_book` is pure: it reads a `BookData` (scoring.fetch) and a parsed configuration and returns
DataFrames; writing snapshots and raising alerts happen in scoring.services.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.config import Config
from scoring.fetch import BookData
from scoring.measures import health_scores
from scoring.rules import evaluate_rules, usage_drop

TICKET_SIGNALS = ("tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30")
EVIDENCE_ITEMS = 3  # texts quoted as evidence of cancellation intent, per account


@dataclass
class Scores:
    """The outcome of scoring one batch."""

    subscriptions: pd.DataFrame  # one row per subscription: signals and risk
    accounts: pd.DataFrame  # one row per account, indexed by account id: risk, health, trend, signals


def churn_intent_by_account(items: pd.DataFrame) -> pd.DataFrame:
    """Per account: how many texts of the last 30 days voice cancellation intent, and which (evidence)."""
    hits = items.sort_values(["account_id", "at"], ascending=[True, False])
    if hits.empty:
        return pd.DataFrame({"churn_intent_30": pd.Series(dtype="int64"), "intent_evidence": pd.Series(dtype=object)})
    grouped = hits.groupby("account_id")
    quoted = hits[grouped.cumcount().to_numpy() < EVIDENCE_ITEMS]  # the newest few, per account
    quotes = [{"source": s, "id": i, "phrase": p}
              for s, i, p in zip(quoted["source"], quoted["item"], quoted["phrase"], strict=True)]
    evidence = pd.Series(quotes, index=quoted.index).groupby(quoted["account_id"].to_numpy()).agg(list)
    return pd.DataFrame({"churn_intent_30": grouped.size(), "intent_evidence": evidence})


def subscription_signals(data: BookData) -> pd.DataFrame:
    """The rule inputs of every subscription, plus one row per account that has no subscription (its
    ticket signals still count). Subscription signals: usage and errors; account signals: tickets."""
    usage = data.usage_by_subscription.set_index("subscription_id")[["usage_30", "usage_prev", "errors_30"]]
    subs = data.subscriptions.merge(usage, left_on="subscription_id", right_index=True, how="left")
    without = data.accounts.index.difference(pd.Index(subs["account_id"].unique()))
    if len(without):
        bare = pd.DataFrame({"account_id": without, "subscription_id": np.nan, "sub_external_id": "",
                             "active": False, "arr": 0.0, "mrr": 0.0, "downgrade_flag": False,
                             "upgrade_flag": False, "churn_flag": False,
                             "is_trial": data.accounts.loc[without, "is_trial"].to_numpy(dtype=bool)})
        subs = pd.concat([subs, bare], ignore_index=True)
    for column in ("usage_30", "usage_prev", "errors_30"):
        subs[column] = subs[column].fillna(0).astype("int64")
    tickets = data.tickets.reindex(columns=list(TICKET_SIGNALS))
    subs = subs.merge(tickets, left_on="account_id", right_index=True, how="left")
    intent = churn_intent_by_account(data.intent_items)
    subs = subs.merge(intent, left_on="account_id", right_index=True, how="left")
    for column in (*TICKET_SIGNALS, "churn_intent_30"):
        subs[column] = subs[column].fillna(0).astype("int64")
    return subs.reset_index(drop=True)


def _account_risk(subs: pd.DataFrame) -> pd.DataFrame:
    """Each account's risk: its highest-scoring subscription active on as_of (ties: the larger ARR),
    or, when none is active, its highest-scoring subscription of any date."""
    ranked = subs.assign(_active=subs["active"].astype(bool)).sort_values(
        ["account_id", "_active", "risk_score", "arr", "sub_external_id"],
        ascending=[True, False, False, False, True],
    )
    return ranked.drop_duplicates("account_id").set_index("account_id")


def score_book(data: BookData, config: Config) -> Scores:
    """Risk and health for every subscription and account of one batch."""
    subs = subscription_signals(data)
    subs = subs.join(evaluate_rules(subs, config))
    _, pct = usage_drop(subs)
    subs["usage_drop_pct"] = pct.astype("int64")

    chosen = _account_risk(subs)
    active = subs[subs["active"].astype(bool)]
    accounts = data.accounts.copy()
    accounts["arr"] = active.groupby("account_id")["arr"].sum().reindex(accounts.index).fillna(0.0)
    accounts["mrr"] = active.groupby("account_id")["mrr"].sum().reindex(accounts.index).fillna(0.0)
    carried = ["sub_external_id", "usage_30", "usage_prev", "usage_drop_pct", "errors_30", "tickets_30",
               "churn_intent_30", "risk_score", "risk_level", "top_reasons", "recommended_actions", "fired_rules"]
    accounts = accounts.join(chosen[carried].rename(columns={"sub_external_id": "risk_subscription"}))
    accounts = accounts.join(health_scores(data, config))

    previous = data.previous_health.reindex(accounts.index)
    delta = (accounts["health_score"] - previous).round(1)
    band = config.trend_stable_band
    accounts["health_trend"] = delta
    accounts["trend"] = np.select([delta > band, delta < -band, delta.notna()], ["improving", "declining", "stable"],
                                  "")
    subs["health_score"] = subs["account_id"].map(accounts["health_score"])
    subs["health_tier"] = subs["account_id"].map(accounts["health_tier"])
    return Scores(subscriptions=subs, accounts=accounts)
