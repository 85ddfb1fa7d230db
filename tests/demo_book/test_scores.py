"""The demo book, scored by seed_demo: history for trends, all five tiers, explained breakdowns."""

import datetime as dt

import pytest
from django.db.models import Avg, Count

from accounts import models as m
from interventions.effectiveness import effectiveness
from scoring.config import RULE_IDS, TIER_NAMES
from scoring.models import Snapshot
from tests.demo_book.conftest import AS_OF
from workspace.management.commands.seed_demo import score_history_days


def test_the_demo_is_scored_weekly_over_182_days_and_30_days_back():
    days = score_history_days(AS_OF)

    assert days[0] == AS_OF - dt.timedelta(weeks=26) and days[-1] == AS_OF
    assert AS_OF - dt.timedelta(days=30) in days
    assert days == sorted(set(days)) and len(days) == 28


@pytest.mark.django_db
def test_the_demo_book_shows_every_tier_with_explained_breakdowns(demo_book):
    today = Snapshot.objects.filter(as_of=AS_OF)
    assert today.count() == m.Account.objects.count() == 300
    # Every tier but Critical on the day (measures below 20 are rare once ticket counts stopped counting
    # against big accounts); Critical appears in the weekly history.
    assert set(today.values_list("health_tier", flat=True)) >= set(TIER_NAMES) - {"Critical"}
    assert Snapshot.objects.filter(health_tier="Critical").exists()
    assert set(today.values_list("risk_level", flat=True)) == {"High", "Medium", "Low"}
    # Every snapshot explains itself: each fired rule's points add up to the score (before the cap),
    # and each scored measure's points add up to the health score.
    for snapshot in today.exclude(health_score=None):
        assert min(sum(r["points"] for r in snapshot.fired_rules), 100) == snapshot.risk_score
        points = [v["points"] for v in snapshot.breakdown().values() if v["points"] is not None]
        measured = snapshot.health_before_cap if snapshot.health_before_cap is not None else snapshot.health_score
        assert sum(points) == pytest.approx(measured, abs=0.1)
        assert {r["rule"] for r in snapshot.fired_rules} <= set(RULE_IDS)
    # Thirty days of history give every account a trend.
    assert not today.filter(trend="").exists()
    # The planted churn patterns score worse than healthy accounts.
    by_scenario = dict(today.values("account__scenario").annotate(h=Avg("health_score"))
                       .values_list("account__scenario", "h"))
    for planted in ("ehr_integration_breakage", "champion_left", "silent", "failed_payments"):
        assert by_scenario[planted] < by_scenario["healthy"] - 10, (planted, by_scenario)
    assert Snapshot.objects.values("as_of").annotate(n=Count("id")).count() == 28
    # One voice: the risk level and the health tier agree on the accounts they flag.
    flagged = [(level in ("High", "Medium"), tier in ("At risk", "High risk", "Critical"))
               for level, tier in today.exclude(health_score=None).values_list("risk_level", "health_tier")]
    assert sum(a == b for a, b in flagged) / len(flagged) >= 0.9
    # A demo that behaves like life: playbooks fire before churn is decided, and timely work saves some of
    # the treated accounts, so they churn less often than the control group.
    rows = effectiveness(as_of=AS_OF).rows
    treated = (sum(r.churn_treated.hits for r in rows), sum(r.churn_treated.n for r in rows))
    control = (sum(r.churn_control.hits for r in rows), sum(r.churn_control.n for r in rows))
    assert treated[1] > 0 and control[1] > 0
    assert treated[0] / treated[1] < control[0] / control[1], (treated, control)
