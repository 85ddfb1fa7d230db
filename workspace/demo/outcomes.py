"""The demo book after its planned churners' fates are decided: a lost account churns on its planned day
(churn event, churned flags, subscriptions ended, nothing of it dated after), a saved one stays and its
usage climbs back after the day it was saved. Pure functions of the generated frames, so seed_demo writes
the same book on every run once the fates are known (and `--no-import` can draw them without a product).
"""

import datetime as dt
import random

import numpy as np
import pandas as pd

from accounts.importing import schema
from workspace.demo.generator import PLAN_KEY, RECOVERY_DAYS

Book = dict[str, pd.DataFrame]
SAVED_TREATED = 0.70  # chance a planned churner stays when a treated intervention reached it in time (its first step
# done by its due time, before the churn day; workspace.demo.interventions.treated_on_time)
SAVED_UNTREATED = 0.10  # ... when nobody acted in time (untreated, control group, a late or undone first step)
SAVED_BY_ITSELF_DAYS = 14  # an account that stays without help starts to recover this long before the day


def pending_churners(frames: Book, as_of: dt.date) -> pd.DataFrame:
    """The planned churners whose churn falls on or before as_of (their fate is to be decided)."""
    plan = frames[PLAN_KEY]
    return plan[plan["planned_churn"].notna() & (plan["planned_churn"] <= pd.Timestamp(as_of))]


def draw_fates(pending: pd.DataFrame, seed: int, treated_on_time: dict[str, dt.date]
               ) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """Lost (account -> churn day) and saved (account -> day recovery starts) planned churners.

    `treated_on_time` maps an account to the day its first on-time treated intervention was completed;
    each account's draw is its own (seeded by the account), so one account's help never moves another's fate.
    """
    lost: dict[str, dt.date] = {}
    saved: dict[str, dt.date] = {}
    for account_id, planned in zip(pending["account_id"], pending["planned_churn"], strict=True):
        day = planned.date()
        helped = treated_on_time.get(account_id)
        chance = SAVED_TREATED if helped is not None and helped < day else SAVED_UNTREATED
        if random.Random(f"fate-{seed}-{account_id}").random() < chance:
            saved[account_id] = helped if helped is not None and helped < day else day - dt.timedelta(
                days=SAVED_BY_ITSELF_DAYS)
        else:
            lost[account_id] = day
    return lost, saved


def apply_fates(frames: Book, lost: dict[str, dt.date], saved: dict[str, dt.date]) -> Book:
    """A copy of the book with the fates written in (the planted frame is kept as it is)."""
    out = dict(frames)
    churn_day = pd.Series({a: pd.Timestamp(d) for a, d in lost.items()}, dtype="datetime64[ns]")
    accounts = frames[schema.ACCOUNTS.filename].copy()
    is_lost = accounts["account_id"].isin(lost)
    accounts.loc[is_lost, "churn_flag"] = True
    accounts.loc[is_lost, "outcome"] = "churned"
    accounts.loc[accounts["account_id"].isin(saved), "outcome"] = "retained"
    out[schema.ACCOUNTS.filename] = accounts

    subs = frames[schema.SUBSCRIPTIONS.filename].copy()
    ending = subs["account_id"].isin(lost) & subs["end_date"].isna()
    subs.loc[ending, "end_date"] = _day(subs.loc[ending, "account_id"], churn_day)
    subs.loc[ending, "churn_flag"] = True
    subs.loc[ending, "auto_renew_flag"] = False
    out[schema.SUBSCRIPTIONS.filename] = subs
    sub_account = subs.set_index("subscription_id")["account_id"]

    plan = frames[PLAN_KEY]
    events = plan[plan["account_id"].isin(lost)]
    out[schema.CHURN_EVENTS.filename] = pd.concat(
        [frames[schema.CHURN_EVENTS.filename], events[schema.CHURN_EVENTS.column_names]], ignore_index=True
    ).sort_values("churn_event_id", ignore_index=True)

    out[schema.USAGE.filename] = _usage(frames[schema.USAGE.filename], sub_account, churn_day, saved, plan)
    for table, column in ((schema.TICKETS, "submitted_at"), (schema.TOUCHPOINTS, "occurred_at"),
                          (schema.SURVEYS, "responded_at"), (schema.INVOICES, "due_date")):
        frame = frames[table.filename]
        limit = _day(frame["account_id"], churn_day) + pd.Timedelta(days=1)  # nothing after the churn day
        out[table.filename] = frame[~(frame[column] >= limit)].reset_index(drop=True)
    tickets = out[schema.TICKETS.filename].copy()
    late = tickets["closed_at"] >= _day(tickets["account_id"], churn_day) + pd.Timedelta(days=1)
    tickets.loc[late, "closed_at"] = pd.NaT
    tickets.loc[late, "resolution_time_hours"] = pd.NA
    tickets.loc[late, "satisfaction_score"] = pd.NA
    out[schema.TICKETS.filename] = tickets
    return out


def _day(accounts: pd.Series, days: pd.Series) -> pd.Series:
    """Each row's day from an account -> day series (NaT where none; pandas cannot map an empty one)."""
    if days.empty:
        return pd.Series(pd.NaT, index=accounts.index, dtype="datetime64[ns]")
    return accounts.map(days)


def _usage(usage: pd.DataFrame, sub_account: pd.Series, churn_day: pd.Series, saved: dict[str, dt.date],
           plan: pd.DataFrame) -> pd.DataFrame:
    """Usage without a lost account's days after its churn, and a saved account's usage recovering."""
    account = usage["subscription_id"].astype(str).map(sub_account)
    keep = ~(usage["usage_date"] > _day(account, churn_day))
    usage = usage[keep].reset_index(drop=True)
    account = account[keep].reset_index(drop=True)
    if not saved:
        return usage
    usage = usage.copy()
    since = pd.Series({a: pd.Timestamp(d) for a, d in saved.items()}, dtype="datetime64[ns]")
    days = (usage["usage_date"] - _day(account, since)).dt.days
    rows = days.notna() & (days > 0)
    level = account[rows].map(plan.set_index("account_id")["level"]).clip(lower=0.05, upper=1.0)
    ramp = np.clip(days[rows] / RECOVERY_DAYS, 0.0, 1.0)
    factor = 1.0 + (1.0 / level - 1.0) * ramp
    counts = np.rint(usage.loc[rows, "usage_count"] * factor).astype(np.int64)
    usage.loc[rows, "usage_duration_secs"] = np.rint(usage.loc[rows, "usage_duration_secs"] * factor).astype(np.int64)
    errors = np.rint(usage.loc[rows, "error_count"] * (1.0 - 0.9 * ramp)).astype(np.int64)
    usage.loc[rows, "usage_count"] = counts
    usage.loc[rows, "error_count"] = np.minimum(errors, counts)
    return usage
