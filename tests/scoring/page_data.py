"""A small hand-built book for the scoring pages' tests (client and browser), scored as of Sunday
16 March 2025. The risk side is worked out by hand from the rules (the shipped default; none of its extra
rules fires on A-OWN); the health side is whatever the measures compute (tests/scoring/test_measures.py
specifies them), so the page tests compare what is shown with the stored snapshot, formatted as the
templates do.

- Lakeside Family Practice (A-OWN, casey's): 10 uses a day in the prior 30 days, 2 a day in the last
  30 days (prior 300, last 62: drop 79%, +40) and a ticket rated 2/5 (+12): risk 52, Medium. No
  invoices and no touchpoints, so payment health and CSM interactions have no data.
- Harbor Pediatrics (A-FOREIGN, robin's): a trial subscription (+8) and no usage, so a weak health
  scorecard (at most 40 of 100: +15): risk 23, Low.
"""

import datetime as dt

from django.template.defaultfilters import floatformat

from accounts.models import Account, UsageRecord
from scoring.models import Snapshot
from scoring.services import recompute_scores
from tests.factories import SubscriptionFactory, SupportTicketFactory, UsageRecordFactory

AS_OF = dt.date(2025, 3, 16)

OWN_RISK = 52
USAGE_REASON = "Usage dropped 79% (30d vs prior)"
SATISFACTION_REASON = "Low satisfaction score (1-2/5)"
OWN_ACTIONS = ("Schedule a check-in to reset goals; Recommend 1-2 key features to activate this week; "
               "Follow up on dissatisfaction with a recovery plan")
FOREIGN_RISK = 23


def dropping_usage(account: Account) -> None:
    """10 uses a day from 60 to 31 days before AS_OF, then 2 a day up to AS_OF (both ends included)."""
    subscription = SubscriptionFactory(account=account, external_id=f"S-{account.external_id}",
                                       start_date=dt.date(2024, 1, 1))
    UsageRecord.objects.bulk_create(
        UsageRecordFactory.build(subscription=subscription, usage_id=f"U-{account.external_id}-{days}",
                                 date=AS_OF - dt.timedelta(days=days), usage_count=10 if days > 30 else 2)
        for days in range(61)
    )


def low_satisfaction(account: Account) -> None:
    SupportTicketFactory(account=account, submitted_at=dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC),
                         satisfaction_score=2)


def trial(account: Account) -> None:
    SubscriptionFactory(account=account, external_id=f"S-{account.external_id}", start_date=dt.date(2024, 1, 1),
                        is_trial=True)


def build_book(own_account: Account, foreign_account: Account) -> None:
    dropping_usage(own_account)
    low_satisfaction(own_account)
    trial(foreign_account)


def score_book(own_account: Account, foreign_account: Account) -> None:
    """Build the book and recompute it as of AS_OF, in this process."""
    build_book(own_account, foreign_account)
    recompute_scores(as_of=AS_OF)


def snapshot_of(external_id: str) -> Snapshot:
    return Snapshot.objects.select_related("config").get(account__external_id=external_id, as_of=AS_OF)


def measure_cells(snapshot: Snapshot, group: str, label: str, measure_id: str, weight: int) -> list[str]:
    """The cells of one row of the breakdown table, formatted as templates/scoring/_scores.html does."""
    values = snapshot.breakdown()[measure_id]
    if values["raw"] is None:
        return [group, label, str(weight), "no data", "—", "left out"]
    return [group, label, str(weight), floatformat(values["raw"], "-3"), floatformat(values["score"], 0),
            floatformat(values["points"], 1)]
