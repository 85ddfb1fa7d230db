"""The demo's pipeline history (seed_demo): opportunities opened by the detected signals move on as the
accounts' recorded outcomes say — accounts that expanded are won (at the signal's estimate), accounts that
churned are lost, the others are partly lost and partly still open — so the board, the forecast and the
conversion of each signal type start with real numbers. Deterministic for a seed."""

import datetime as dt
import random

from django.utils import timezone

from expansion.models import CLOSED_STAGES, OPEN_STAGES, Opportunity, Stage
from expansion.services import opportunity_update

MIN_AGE_DAYS = 21  # younger opportunities stay where the signal put them
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
        outcome = opportunity.account.outcome
        steps = _path(outcome, rng)
        step_days = max(1, age // (len(steps) + 1))
        for number, stage in enumerate(steps, 1):
            when = timezone.make_aware(dt.datetime.combine(created + dt.timedelta(days=number * step_days),
                                                           dt.time(10)))
            changes = {"stage": stage}
            if stage == Stage.LOST:
                changes["lost_reason"] = "Customer left" if outcome == "churned" else rng.choice(LOST_REASONS)
            if stage == Stage.WON and opportunity.amount <= 0:
                changes["amount"] = "500"
            opportunity = opportunity_update(opportunity=opportunity, user=opportunity.owner, changes=changes,
                                             now=when)
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
