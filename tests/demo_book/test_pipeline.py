"""The demo's expansion history (issue 6): signals detected over the last 70 days, opportunities that
were won (accounts that expanded), lost and still open, and signals that never turned into revenue."""

import datetime as dt

import pytest
from django.db.models import Count

from expansion.models import ExpansionSignal, Opportunity, StageChange
from tests.demo_book.conftest import AS_OF


@pytest.mark.django_db
def test_the_demo_pipeline_has_won_lost_and_open_opportunities_and_unconverted_signals(demo_book):
    kinds = dict(ExpansionSignal.objects.values_list("kind").annotate(n=Count("id")))
    assert {"usage_limit", "team_growth", "power_users", "promoter", "feature_requests"} <= set(kinds)
    stages = dict(Opportunity.objects.values_list("stage").annotate(n=Count("id")))
    assert stages.get("won", 0) > 0 and stages.get("lost", 0) > 0
    assert sum(stages.get(s, 0) for s in ("identified", "qualified", "proposal", "negotiation")) > 0
    won = Opportunity.objects.filter(stage="won")
    assert set(won.values_list("account__outcome", flat=True)) == {"expanded"}
    assert all(o.amount > 0 and o.closed_at is not None for o in won)
    # Signals whose opportunity was lost, or that expired, did not convert.
    assert ExpansionSignal.objects.filter(opportunity__stage="lost").exists()
    assert StageChange.objects.filter(to_stage="won").count() == won.count()
    assert ExpansionSignal.objects.filter(first_detected_on__lt=AS_OF - dt.timedelta(days=70)).count() == 0
    # Plausible dates: open deals close ahead and on many days, closed ones on the day they were decided;
    # only churned accounts "left".
    still_open = Opportunity.objects.exclude(stage__in=["won", "lost"])
    assert all(o.expected_close > AS_OF for o in still_open)
    assert len({o.expected_close for o in still_open}) > 1
    assert all(o.expected_close == o.closed_at.date() for o in Opportunity.objects.filter(stage__in=["won", "lost"]))
    assert not Opportunity.objects.filter(lost_reason="Customer left", account__churned=False).exists()
