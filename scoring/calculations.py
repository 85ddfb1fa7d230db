"""Scores one batch of the book: risk per subscription and per account, health per account, trend.

`score_book` is pure: it reads a `BookData` (scoring.fetch) and a parsed configuration and returns
DataFrames; writing snapshots and raising alerts happen in scoring.services.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils import timezone

from scoring.config import Config
from scoring.fetch import TICKET_BASE_DAYS, BookData, Window
from scoring.measures import health_scores, tier_of
from scoring.rules import evaluate_rules, usage_drop

TICKET_SIGNALS = ("tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30")
EVIDENCE_ITEMS = 3  # texts quoted as evidence of cancellation intent, per account


@dataclass
class Scores:
    """The outcome of scoring one batch."""

    subscriptions: pd.DataFrame  # one row per subscription: signals and risk
    accounts: pd.DataFrame  # one row per account, indexed by account id: risk, health, trend, signals


def _days_before(window: Window, instants: pd.Series) -> np.ndarray:
    """Whole days from each instant's date (in the site's time zone) to as_of."""
    as_of = pd.Timestamp(window.as_of)
    local = pd.to_datetime(instants, utc=True).dt.tz_convert(timezone.get_current_timezone()).dt.tz_localize(None)
    return (as_of - local.dt.normalize()).dt.days.to_numpy()


def churn_intent_by_account(items: pd.DataFrame, window: Window, days: int) -> pd.DataFrame:
    """Per account: how many texts voiced cancellation intent in the last 30 days (the snapshot's figure)
    and in the rule's look-back, the days since the latest, and which texts (evidence, newest first)."""
    columns = {"churn_intent_30": "int64", "intent_n": "int64", "intent_days": "float64", "intent_evidence": object}
    if items.empty:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})
    items = items.assign(_days=_days_before(window, items["at"]))
    hits = items[items["_days"] <= max(days, 30)].sort_values(["account_id", "at"], ascending=[True, False])
    in_rule = hits[hits["_days"] <= days]
    quoted = in_rule[in_rule.groupby("account_id").cumcount().to_numpy() < EVIDENCE_ITEMS]  # the newest few
    quotes = [{"source": s, "id": i, "phrase": p}
              for s, i, p in zip(quoted["source"], quoted["item"], quoted["phrase"], strict=True)]
    evidence = pd.Series(quotes, index=quoted.index).groupby(quoted["account_id"].to_numpy()).agg(list)
    return pd.DataFrame({
        "churn_intent_30": (hits["_days"] <= 30).groupby(hits["account_id"]).sum().astype("int64"),
        "intent_n": in_rule.groupby("account_id").size(),
        "intent_days": in_rule.groupby("account_id")["_days"].min().astype("float64"),
        "intent_evidence": evidence,
    })


def _days_since_signup(accounts: pd.DataFrame, as_of) -> pd.Series:
    """Whole days from each account's signup to as_of (NaN when the signup is unknown)."""
    signup = pd.to_datetime(accounts.get("signup_date", pd.Series(pd.NaT, index=accounts.index)))
    return (pd.Timestamp(as_of) - signup).dt.days.astype("float64")


def _recent_count(rows: pd.DataFrame, column: str, window: Window, days: int) -> pd.Series:
    """Rows per account dated within the last `days` days up to as_of."""
    if rows.empty:
        return pd.Series(dtype="int64")
    age = (pd.Timestamp(window.as_of) - rows[column]).dt.days
    return rows[age.to_numpy() <= days].groupby("account_id").size()


def unrecovered_payments(data: BookData) -> pd.DataFrame:
    """The failed payments not followed by a successful one by as_of (a card that failed once and paid the
    next invoice is a hiccup, not a warning sign)."""
    failed = data.failed_payments
    if failed.empty or "last_paid" not in data.invoices:
        return failed
    last_paid = pd.to_datetime(data.invoices["last_paid"], utc=True).dt.tz_convert(
        timezone.get_current_timezone()).dt.tz_localize(None).dt.normalize()
    paid_after = failed["account_id"].map(last_paid)
    return failed[~(paid_after > failed["due"]).to_numpy()]


def unreplaced_champions(data: BookData) -> pd.DataFrame:
    """The champions who left an account that has no active champion on as_of (one who was replaced is
    no longer a warning sign)."""
    left = data.champions_left
    if left.empty or "champions_active" not in data.contacts:
        return left
    replaced = left["account_id"].map(data.contacts["champions_active"]).fillna(0) > 0
    return left[~replaced.to_numpy()]


def silence_days(data: BookData) -> pd.Series:
    """Days since the account's last two-way contact (a ticket, a survey answer, a call, meeting or e-mail
    from the customer), counted from its signup (at most a year back) when there was none; NaN in a book
    that records no touchpoints (silence cannot be told from missing data there)."""
    index = data.accounts.index
    if not data.has_touchpoints:
        return pd.Series(np.nan, index=index)
    lasts = [frame[column].reindex(index) for frame, column in ((data.touchpoints, "last_interaction"),
                                                                 (data.tickets, "last_ticket"),
                                                                 (data.surveys, "last_survey"))]
    dated = pd.concat([pd.Series(_days_before(data.window, last.fillna(pd.NaT)), index=index) for last in lasts],
                      axis=1).min(axis=1)
    since_signup = _days_since_signup(data.accounts, data.window.as_of).clip(upper=365)
    return dated.fillna(since_signup).clip(lower=0)


SPIKE_MIN_TICKETS = 3  # fewer tickets in 30 days are never a spike, whatever the usual rate
SPIKE_MIN_BASE_DAYS = 60  # days of history before the last 30 needed to know the usual rate


def ticket_ratio(data: BookData) -> pd.Series:
    """Per account: its tickets of the last 30 days against its usual 30 days (the tickets of the
    TICKET_BASE_DAYS before them, per 30 days, at least one), to one decimal. A large customer writes many
    tickets every month and a new one writes many while it goes live; a burst against the account's own
    history is the warning sign. NaN under SPIKE_MIN_TICKETS tickets, and for accounts with fewer than
    SPIKE_MIN_BASE_DAYS days of history before the last 30 (signup unknown: the whole period counts)."""
    index = data.accounts.index
    tickets = data.tickets.reindex(index)
    recent = tickets["tickets_30"].fillna(0).astype("float64")
    base_days = (_days_since_signup(data.accounts, data.window.as_of) - 30).clip(upper=TICKET_BASE_DAYS - 30)
    base_days = base_days.fillna(TICKET_BASE_DAYS - 30)
    usual = (tickets["tickets_base"].fillna(0).astype("float64") / base_days.clip(lower=1) * 30).clip(lower=1)
    ratio = (recent / usual).round(1)
    return ratio.where((recent >= SPIKE_MIN_TICKETS) & (base_days >= SPIKE_MIN_BASE_DAYS))


MIN_PEERS = 20  # paying accounts a trial is compared with: its segment's, else the whole book's


def _uses_per_seat_day(accounts: pd.DataFrame, uses: pd.Series, as_of) -> pd.Series:
    """Uses of the last 30 days per seat and day (days counted from signup when the account is younger)."""
    days = _days_since_signup(accounts, as_of).add(1).clip(lower=1, upper=31).fillna(31)
    return uses.astype("float64") / accounts["seats"].astype("float64").clip(lower=1).fillna(1) / days


def trial_peer_share(data: BookData) -> pd.Series:
    """For each trial account: the share (0-100, whole percent, rounded down) of the book's paying accounts in
    its segment that used the product more per seat and day over the last 30 days; every paying account of the
    book is the reference when its segment has fewer than MIN_PEERS. A trial converts when its team adopts the
    product, so a trial used less than nearly every paying customer is lapsing; peers set the bar, so the rule
    fits books of any volume. NaN for accounts that are not on trial, and when the book has fewer than
    MIN_PEERS paying accounts (a share of a handful says nothing)."""
    accounts = data.accounts
    subs = data.subscriptions[data.subscriptions["active"]]
    on_trial = subs["is_trial"].astype(bool)
    trial = accounts["is_trial"].astype(bool) | accounts.index.isin(subs.loc[on_trial, "account_id"])
    share = pd.Series(np.nan, index=accounts.index)
    if not trial.any():
        return share
    uses = data.usage_by_account["usage_30"].reindex(accounts.index).fillna(0)
    intensity = _uses_per_seat_day(accounts, uses, data.window.as_of)
    segment = accounts["segment"].fillna("").astype(str)
    book = data.paying_peers
    if book is None or book.empty:
        return share
    peers = pd.DataFrame({"segment": book["segment"].fillna("").astype(str),
                          "intensity": _uses_per_seat_day(book, book["usage_30"], data.window.as_of)})
    for name, trials in intensity[trial].groupby(segment[trial]):
        same = peers.loc[peers["segment"] == name, "intensity"]
        reference = np.sort((same if len(same) >= MIN_PEERS else peers["intensity"]).to_numpy())
        if len(reference) < MIN_PEERS:
            continue
        above = len(reference) - np.searchsorted(reference, trials.to_numpy(), side="right")
        share[trials.index] = np.floor(100 * above / len(reference))
    return share


def subscription_signals(data: BookData, config: Config) -> pd.DataFrame:
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
    window = data.window
    intent = churn_intent_by_account(data.intent_items, window, config.rule("churn_intent").days)
    subs = subs.merge(intent, left_on="account_id", right_index=True, how="left")
    account = subs["account_id"]
    subs["failed_n"] = account.map(_recent_count(unrecovered_payments(data), "due", window,
                                                 config.rule("failed_payment").days))
    subs["champions_left_n"] = account.map(_recent_count(unreplaced_champions(data), "left", window,
                                                         config.rule("champion_left").days))
    subs["silence_days"] = account.map(silence_days(data)).astype("float64")
    subs["trial_peer_share"] = account.map(trial_peer_share(data)).astype("float64")
    subs["ticket_ratio"] = account.map(ticket_ratio(data)).astype("float64")
    last_nps = data.surveys["last_nps"] if "last_nps" in data.surveys else pd.Series(dtype="float64")
    subs["nps_last"] = account.map(last_nps).astype("float64")
    for column in (*TICKET_SIGNALS, "churn_intent_30", "intent_n", "failed_n", "champions_left_n"):
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


def _cap_health(accounts: pd.DataFrame, config: Config) -> None:
    """One voice (docs/scoring.md'): the health score may not exceed the cap of the account's churn-risk level (nor,
    when configured, 100 - its risk score), so the scorecard never reads Healthy beside High risk. The
    measures' score is kept as health_before_cap (NaN where no cap lowered it) so that the page can say why."""
    caps = accounts["risk_level"].map(config.risk_caps).astype("float64")
    if config.cap_by_risk_score:
        caps = np.fmin(caps, 100.0 - accounts["risk_score"].astype("float64"))
    health = accounts["health_score"]
    lowered = caps.notna() & health.notna() & (health > caps)
    accounts["health_before_cap"] = health.where(lowered)
    accounts["health_score"] = health.where(~lowered, caps)
    accounts["health_tier"] = tier_of(accounts["health_score"], config).where(health.notna(), accounts["health_tier"])


def score_book(data: BookData, config: Config) -> Scores:
    """Risk and health for every subscription and account of one batch."""
    health = health_scores(data, config)
    subs = subscription_signals(data, config)
    subs["health_measures"] = subs["account_id"].map(health["health_score"]).astype("float64")
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
    accounts = accounts.join(health)
    _cap_health(accounts, config)

    previous = data.previous_health.reindex(accounts.index)
    delta = (accounts["health_score"] - previous).round(1)
    band = config.trend_stable_band
    accounts["health_trend"] = delta
    accounts["trend"] = np.select([delta > band, delta < -band, delta.notna()], ["improving", "declining", "stable"],
                                  "")
    subs["health_score"] = subs["account_id"].map(accounts["health_score"])
    subs["health_tier"] = subs["account_id"].map(accounts["health_tier"])
    return Scores(subscriptions=subs, accounts=accounts)
