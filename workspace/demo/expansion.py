"""The demo's pipeline history (seed_demo): opportunities opened by the detected signals move on as the
accounts' recorded outcomes say — accounts that expanded are won (at the signal's estimate), accounts
that churned are lost ("Customer left"), the others are partly lost and partly still open (expected to close
in the coming weeks) — so the board, the forecast and the conversion of each signal type start with real
numbers. Deterministic for a seed."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from expansion.models import CLOSED_STAGES, OPEN_STAGES, Opportunity, Stage
from expansion.services import opportunity_update

MIN_AGE_DAYS = 21  # younger opportunities stay where the signal put them
OPEN_CLOSE_DAYS = (10, 120)  # an open deal's expected close, in days after the end of the history
LOST_REASONS = ("No budget this year", "Chose to wait for the next contract", "Not a priority right now")


def simulate_pipeline(*, as_of: dt.date, seed: int) -> int:
    """Move the demo's opportunities on; returns the number moved."""
    rng = random.Random(f"pipeline-{seed}")
    moved = 0
    opportunities = (Opportunity.objects.exclude(stage__in=CLOSED_STAGES).select_related("account", "owner")
                     .order_by("id"))
    for opportunity in opportunities:
        created = timezone.localdate(opportunity.created_at)
        age = (as_of - created).days
        if age < MIN_AGE_DAYS:
            continue
        account = opportunity.account
        outcome = "churned" if account.churned else account.outcome
        steps = _path(outcome, rng)
        step_days = max(1, age // (len(steps) + 1))
        for number, stage in enumerate(steps, 1):
            day = created + dt.timedelta(days=number * step_days)
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            changes = {"stage": stage}
            if stage == Stage.LOST:
                # Only an account that has churned "left"; a live one said no for its own reasons.
                changes["lost_reason"] = "Customer left" if account.churned else rng.choice(LOST_REASONS)
            if stage in (Stage.WON, Stage.LOST):
                changes["expected_close"] = day  # a closed deal closed on the day it was decided
            elif number == len(steps):  # still open: expected to close in the coming weeks, not all at once
                changes["expected_close"] = as_of + dt.timedelta(days=rng.randint(*OPEN_CLOSE_DAYS))
            if stage == Stage.WON and opportunity.amount <= 0:
                changes["amount"] = Decimal(500)
            opportunity = opportunity_update(opportunity=opportunity, user=opportunity.owner, changes=changes,
                                             now=when)
        if not steps:  # left where the signal put it: its expected close still lies ahead
            opportunity_update(opportunity=opportunity, user=opportunity.owner, changes={
                "expected_close": as_of + dt.timedelta(days=rng.randint(*OPEN_CLOSE_DAYS))},
                now=timezone.make_aware(dt.datetime.combine(as_of, dt.time(9))))
        moved += bool(steps)
    return moved


def _path(outcome: str, rng: random.Random) -> list[str]:
    """The stages an opportunity passes through after "identified", by the account's outcome."""
    if outcome == "expanded":
        return [Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON]
    if outcome == "churned":
        return [Stage.LOST]
    roll = rng.random()
    if roll < 0.5:
        return [Stage.QUALIFIED, Stage.LOST]
    return list(OPEN_STAGES[1:1 + rng.randint(0, 2)])
