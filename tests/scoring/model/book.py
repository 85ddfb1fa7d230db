"""A small synthetic book with 14 months of history for the churn model's tests.

300 accounts, seeded. About a third churn at a date spread over the last 10 months; four in five of them show a
usage decline in the 45 to 120 days before (the rest leave without warning), and some accounts that stay dip for a
month and recover (decoys). Support tickets arrive at random, unrelated to churn, so the weak rule set used here
(support load only) cannot tell churners apart and a model that reads usage must beat it.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db import connection

from accounts import models as m
from scoring.config import default_config
from scoring.models import ConfigStatus, ScoringConfig

START = dt.date(2024, 5, 1)  # the first usage day
TODAY = dt.date(2025, 6, 30)  # the last usage day: training's as-of date
ACCOUNTS = 300
STEP_DAYS = 28  # a training date every four weeks: half the dates of the product's 14, to keep tests fast
CHURN_SHARE = 0.35
PLANS = ("Basic", "Pro", "Enterprise")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


@dataclass
class SyntheticBook:
    accounts: list[m.Account]
    churn_dates: dict[int, dt.date]  # account id -> churn date


def weak_rules() -> dict:
    """The default configuration with every risk rule but support load switched off."""
    data = default_config()
    for rule in data["risk_rules"]:
        rule["enabled"] = rule["id"] == "support_load"
    return data


def build_book(seed: int = 7, csm: m.User | None = None) -> SyntheticBook:
    """Write the book (accounts, subscriptions, usage days, tickets, churn events) and activate the weak rules."""
    rng = np.random.default_rng(seed)
    ScoringConfig.objects.filter(status=ConfigStatus.ACTIVE).update(status=ConfigStatus.RETIRED)
    ScoringConfig.objects.create(version=900, name="Support load only", status=ConfigStatus.ACTIVE, data=weak_rules())
    days = (TODAY - START).days + 1
    signup_offset = rng.integers(0, 120, ACCOUNTS)  # most accounts were customers when the history starts
    churns = rng.random(ACCOUNTS) < CHURN_SHARE
    churn_offset = rng.integers(120, days - 5, ACCOUNTS)
    accounts = m.Account.objects.bulk_create(
        m.Account(external_id=f"SYN-{i:04d}", name=f"Synthetic Clinic {i}", signup_date=START - dt.timedelta(days=200)
                  + dt.timedelta(days=int(signup_offset[i])), plan_tier=PLANS[i % 3], segment=SEGMENTS[(i // 3) % 3],
                  seats=int(10 + i % 40), churned=bool(churns[i]),
                  renewal_date=dt.date(2025, 7, 1) + dt.timedelta(days=int(rng.integers(0, 365))),
                  csm=csm if csm is not None and i % 10 == 0 else None)
        for i in range(ACCOUNTS))
    churn_dates = {a.pk: START + dt.timedelta(days=int(churn_offset[i])) for i, a in enumerate(accounts) if churns[i]}
    subs = m.Subscription.objects.bulk_create(
        m.Subscription(external_id=f"SYN-S-{i:04d}", account=a, start_date=a.signup_date,
                       end_date=churn_dates.get(a.pk), plan_tier=a.plan_tier, seats=a.seats,
                       mrr=Decimal(100 * (1 + i % 3)), arr=Decimal(1200 * (1 + i % 3)), churn_flag=a.pk in churn_dates)
        for i, a in enumerate(accounts))
    m.ChurnEvent.objects.bulk_create(
        m.ChurnEvent(external_id=f"SYN-C-{a.pk}", account_id=a.pk, churn_date=when) for a in accounts
        for when in [churn_dates.get(a.pk)] if when)
    _usage(rng, accounts, subs, churn_dates, days)
    _tickets(rng, accounts, churn_dates, days)
    return SyntheticBook(accounts=accounts, churn_dates=churn_dates)


def _usage(rng: np.random.Generator, accounts, subs, churn_dates, days: int) -> None:
    """Daily usage: a level per account, active on most days; declining before a signalled churn, none after."""
    rows = []
    day_index = np.arange(days)
    for account, sub in zip(accounts, subs, strict=True):
        level = rng.uniform(20, 80)
        factor = np.ones(days)
        churn = churn_dates.get(account.pk)
        if churn is not None:
            at = (churn - START).days
            factor[at:] = 0.0
            if rng.random() < 0.8:  # a decline that starts 45 to 120 days before
                lead = int(rng.integers(45, 121))
                ramp = np.clip((day_index - (at - lead)) / lead, 0, 1)
                factor *= 1 - 0.9 * ramp
        elif rng.random() < 0.15:  # a decoy: a month's dip, then back to normal
            dip = int(rng.integers(60, days - 40))
            factor[dip:dip + 30] *= 0.4
        active = rng.random(days) < 0.85 * np.minimum(1, factor + 0.1) * (factor > 0)
        counts = np.where(active, rng.poisson(level * np.maximum(factor, 0.05)), 0)
        errors = rng.binomial(counts, 0.01)
        for d in np.flatnonzero(counts > 0).tolist():
            rows.append((sub.pk, START + dt.timedelta(days=d), 0, int(counts[d]), int(errors[d]), 7, 0, 0))
    table = m.UsageDay._meta.db_table
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} (subscription_id, date, word, usage_count, error_count, features_used, integration_usage,"
            f" integration_errors) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _tickets(rng: np.random.Generator, accounts, churn_dates, days: int) -> None:
    """Tickets at random, about one a month per account, unrelated to churn."""
    tickets = []
    for account in accounts:
        end = (churn_dates.get(account.pk, TODAY) - START).days
        for d in np.flatnonzero(rng.random(max(end, 0)) < 1 / 30).tolist():
            when = dt.datetime.combine(START + dt.timedelta(days=d), dt.time(10), tzinfo=dt.UTC)
            tickets.append(m.SupportTicket(external_id=f"SYN-T-{len(tickets)}", account=account, submitted_at=when,
                                           satisfaction_score=int(rng.integers(3, 6))))
    m.SupportTicket.objects.bulk_create(tickets)
