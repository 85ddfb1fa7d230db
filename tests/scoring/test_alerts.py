"""Alert rules of docs/scoring.md: each alert type fires on its condition and stays quiet just short of it;
churned and inactive accounts get none; one open alert per account and type, guarded by the database.

Every test builds a small book by hand and recomputes it as of Sunday 16 March 2025 (`AS_OF`).
Accounts get steady daily usage unless a test says otherwise, so that only the signal under test
can raise an alert.
"""

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError, transaction

from accounts.models import ContactRole, Direction, InvoiceStatus, Subscription, TouchpointKind, UsageRecord
from scoring.alerts import alert_resolve, critical_drop, usage_cliff
from scoring.calculations import Scores
from scoring.configs import config_import, ensure_active_config
from scoring.models import Alert, AlertStatus, RecomputeRun, Snapshot
from scoring.services import recompute_scores
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvoiceFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    TouchpointFactory,
    UsageRecordFactory,
)

AS_OF = dt.date(2025, 3, 16)  # a Sunday


def day(days_before: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days_before)


def at(days_before: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day(days_before), dt.time(hour), tzinfo=dt.UTC)


def usage(subscription: Subscription, counts: dict[dt.date, int], feature: str = "scheduling") -> None:
    """One usage row per day and feature (bulk insert: a book has thousands of them)."""
    UsageRecord.objects.bulk_create(
        UsageRecordFactory.build(subscription=subscription, usage_id=f"{subscription.external_id}-{feature}-{d}",
                                 date=d, feature_name=feature, usage_count=n)
        for d, n in counts.items()
    )


def daily(first: int, last: int, count: int) -> dict[dt.date, int]:
    """The same usage every day from `first` to `last` days before AS_OF, both included."""
    return {day(n): count for n in range(first, last - 1, -1)}


def customer(external_id: str, *, steady_usage: bool = True, **fields) -> Subscription:
    """A live account (subscription active on AS_OF) with 10 uses a day of one feature for 61 days."""
    account = AccountFactory(external_id=external_id, name=f"Clinic {external_id}", **fields)
    subscription = SubscriptionFactory(account=account, external_id=f"S-{external_id}", start_date=dt.date(2024, 1, 1))
    if steady_usage:
        usage(subscription, daily(60, 0, 10))
    return subscription


def open_alerts() -> list[tuple[str, str]]:
    return sorted(Alert.objects.filter(status=AlertStatus.OPEN).values_list("account__external_id", "kind"))


def alert(external_id: str, kind: str) -> Alert:
    return Alert.objects.get(account__external_id=external_id, kind=kind, status=AlertStatus.OPEN)


# critical_drop -------------------------------------------------------------------------------------

def test_health_below_20_is_a_critical_drop(db):
    # No usage at all on an active subscription and no seat in use: daily active rate 0 (weight 15),
    # adoption depth 0 (10), plan utilisation 0 (5), contract trend neutral 50 (6) -> 300 / 36 = 8.3.
    customer("A-1", steady_usage=False, seats=0)

    recompute_scores(as_of=AS_OF)

    assert Snapshot.objects.get(account__external_id="A-1").health_score == 8.3
    assert open_alerts() == [("A-1", "critical_drop")]
    raised = alert("A-1", "critical_drop")
    assert raised.message == "Health fell to 8.3 (below 20)"
    assert raised.evidence == {"health_score": 8.3, "previous": None}
    assert raised.as_of == AS_OF


def test_health_of_exactly_20_is_not_a_critical_drop(db):
    # As above, plus onboarding 100% (weight 4, score 100) and 41 of 100 seats in use (plan
    # utilisation 0.41 -> 20): (0 + 0 + 5 x 20 + 6 x 50 + 4 x 100) / 40 = 20.0.
    subscription = customer("A-1", steady_usage=False, seats=41, onboarding_completed_pct=100)
    Subscription.objects.filter(pk=subscription.pk).update(seats=100)

    recompute_scores(as_of=AS_OF)

    snapshot = Snapshot.objects.get(account__external_id="A-1")
    assert (snapshot.health_score, snapshot.health_tier) == (20.0, "High risk")
    assert open_alerts() == []


def test_the_critical_drop_rule_compares_with_its_configured_line():
    accounts = pd.DataFrame({"health_score": [19.9, 20.0, np.nan, 34.5], "health_trend": [-30.1, -40.0, np.nan, 0.0]},
                            index=[11, 12, 13, 14])
    scores = Scores(subscriptions=pd.DataFrame(), accounts=accounts)

    default = critical_drop(None, scores, {"below": 20})
    raised_line = critical_drop(None, scores, {"below": 35})

    assert default.to_dict("records") == [
        {"account_id": 11, "kind": "critical_drop", "message": "Health fell to 19.9 (below 20)",
         "evidence": {"health_score": 19.9, "previous": 50.0}},
    ]
    assert list(raised_line["account_id"]) == [11, 12, 14]


# usage_cliff ---------------------------------------------------------------------------------------

def test_usage_falling_by_90_percent_over_3_days_is_a_usage_cliff(db):
    subscription = customer("A-1", steady_usage=False)
    usage(subscription, daily(60, 3, 100) | daily(2, 0, 10))

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-1", "usage_cliff")]
    raised = alert("A-1", "usage_cliff")
    assert raised.message == "Usage fell 90% over the last 3 days"
    assert raised.evidence == {"last_3_days": 30, "3_days_before": 300, "same_days_a_week_earlier": 300}


def test_the_usage_cliff_message_names_the_configured_window(db):
    document = copy.deepcopy(ensure_active_config().data)
    document["alerts"]["usage_cliff"]["days"] = 7
    config_import(data=document, user=None, activate=True)
    subscription = customer("A-1", steady_usage=False)
    usage(subscription, daily(60, 7, 100) | daily(6, 0, 10))

    recompute_scores(as_of=AS_OF)

    raised = alert("A-1", "usage_cliff")
    assert raised.message == "Usage fell 90% over the last 7 days"
    assert raised.evidence == {"last_7_days": 70, "7_days_before": 700, "same_days_a_week_earlier": 700}


def test_a_one_day_window_is_named_in_the_singular():
    usage_by_account = pd.DataFrame({"last_3": [10], "before_3": [100], "week_before_3": [100], "active_days": [31]},
                                    index=pd.Index([21], name="account_id"))
    data = type("Data", (), {"usage_by_account": usage_by_account})()
    scores = Scores(subscriptions=pd.DataFrame(), accounts=pd.DataFrame(index=[21]))

    found = usage_cliff(data, scores, {"drop": 0.5, "days": 1})

    assert found[["message", "evidence"]].to_dict("records") == [
        {"message": "Usage fell 90% over the last 1 day",
         "evidence": {"last_1_days": 10, "1_days_before": 100, "same_days_a_week_earlier": 100}}]


def test_a_weekend_dip_is_not_a_usage_cliff(db):
    # Weekdays 100, weekends 10. AS_OF is a Sunday: Fri+Sat+Sun = 120 is 60% below Tue+Wed+Thu = 300,
    # but equal to the same three days a week earlier.
    subscription = customer("A-1", steady_usage=False)
    usage(subscription, {d: 10 if d.weekday() >= 5 else 100 for d in daily(60, 0, 0)})

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


def test_a_drop_of_49_percent_is_not_a_usage_cliff_and_50_percent_is(db):
    dip_49 = customer("A-49", steady_usage=False)
    usage(dip_49, daily(60, 3, 100) | daily(2, 0, 51))
    dip_50 = customer("A-50", steady_usage=False)
    usage(dip_50, daily(60, 3, 100) | daily(2, 0, 50))

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-50", "usage_cliff")]
    assert alert("A-50", "usage_cliff").message == "Usage fell 50% over the last 3 days"


def test_a_cliff_needs_the_same_drop_against_a_week_earlier():
    usage_by_account = pd.DataFrame({"last_3": [30, 30, 30], "before_3": [300, 300, 0],
                                     "week_before_3": [300, 59, 300], "active_days": [31, 31, 31]},
                                    index=pd.Index([21, 22, 23], name="account_id"))
    data = type("Data", (), {"usage_by_account": usage_by_account})()
    scores = Scores(subscriptions=pd.DataFrame(), accounts=pd.DataFrame(index=[21, 22, 23]))

    found = usage_cliff(data, scores, {"drop": 0.5})

    # 22: 30 is not half of the 59 a week earlier; 23: nothing used in the 3 days before.
    assert list(found["account_id"]) == [21]


# failed_payment ------------------------------------------------------------------------------------

def test_a_failed_or_overdue_invoice_of_the_last_30_days_is_a_failed_payment(db):
    InvoiceFactory(account=customer("A-FAILED").account, due_date=day(29), status=InvoiceStatus.FAILED)
    overdue = customer("A-OVERDUE").account
    InvoiceFactory(account=overdue, due_date=day(13), status=InvoiceStatus.OVERDUE)
    InvoiceFactory(account=overdue, due_date=day(1), status=InvoiceStatus.OVERDUE)
    InvoiceFactory(account=overdue, due_date=day(6), status=InvoiceStatus.PAID)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-FAILED", "failed_payment"), ("A-OVERDUE", "failed_payment")]
    assert alert("A-FAILED", "failed_payment").message == "1 failed or overdue invoice(s) since 2025-02-15"
    overdue_alert = alert("A-OVERDUE", "failed_payment")
    assert overdue_alert.message == "2 failed or overdue invoice(s) since 2025-03-03"
    assert overdue_alert.evidence == {"failed_or_overdue": 2, "first_due": "2025-03-03"}


def test_an_older_failed_invoice_or_a_paid_or_open_one_is_no_failed_payment(db):
    InvoiceFactory(account=customer("A-OLD").account, due_date=day(31), status=InvoiceStatus.FAILED)
    InvoiceFactory(account=customer("A-PAID").account, due_date=day(5), status=InvoiceStatus.PAID)
    InvoiceFactory(account=customer("A-OPEN").account, due_date=day(5), status=InvoiceStatus.OPEN)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


# core_feature_unused -------------------------------------------------------------------------------

def test_a_core_feature_unused_for_7_days_is_named_in_the_alert(db):
    subscription = customer("A-1")
    usage(subscription, daily(60, 8, 4), feature="ehr_sync")  # every day until 8 days ago
    usage(subscription, daily(20, 11, 2), feature="reports")  # 10 days of the month before: not core

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-1", "core_feature_unused")]
    raised = alert("A-1", "core_feature_unused")
    assert raised.message == "Core feature ehr_sync unused for 7+ days"
    assert raised.evidence == {"features": ["ehr_sync"], "last_used": "2025-03-08"}


def test_a_core_feature_used_6_days_ago_is_not_unused(db):
    subscription = customer("A-1")
    usage(subscription, daily(60, 6, 4), feature="ehr_sync")

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


# champion_left -------------------------------------------------------------------------------------

def test_a_champion_who_left_in_the_last_30_days_raises_champion_left(db):
    account = customer("A-1").account
    ContactFactory(account=account, role=ContactRole.CHAMPION, is_active=False, left_date=day(10))
    ContactFactory(account=account, role=ContactRole.USER)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-1", "champion_left")]
    raised = alert("A-1", "champion_left")
    assert raised.message == "Champion left on 2025-03-06"
    assert raised.evidence == {"left_on": "2025-03-06", "champions_left": 1}


def test_a_user_leaving_or_a_champion_who_left_long_ago_is_no_champion_left(db):
    ContactFactory(account=customer("A-USER").account, role=ContactRole.USER, is_active=False, left_date=day(3))
    ContactFactory(account=customer("A-OLD").account, role=ContactRole.CHAMPION, is_active=False, left_date=day(31))
    ContactFactory(account=customer("A-STAYS").account, role=ContactRole.CHAMPION)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


# silent_account ------------------------------------------------------------------------------------

def test_no_interaction_for_60_days_is_a_silent_account(db):
    TouchpointFactory(account=customer("A-60").account, occurred_at=at(60), kind=TouchpointKind.EMAIL,
                      direction=Direction.INBOUND)
    TouchpointFactory(account=customer("A-59").account, occurred_at=at(59), kind=TouchpointKind.CALL,
                      direction=Direction.OUTBOUND)
    customer("A-NEVER")

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-60", "silent_account"), ("A-NEVER", "silent_account")]
    assert alert("A-60", "silent_account").message == "No customer interaction for 60+ days (last on 2025-01-15)"
    assert alert("A-60", "silent_account").evidence == {"last_interaction": "2025-01-15"}
    assert alert("A-NEVER", "silent_account").message == "No customer interaction for 60+ days"


def test_an_inbound_email_10_days_ago_keeps_an_account_from_being_silent(db):
    TouchpointFactory(account=customer("A-1").account, occurred_at=at(10), kind=TouchpointKind.EMAIL,
                      direction=Direction.INBOUND)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


def test_outbound_csm_emails_and_notes_are_no_interaction(db):
    account = customer("A-1").account
    TouchpointFactory(account=account, occurred_at=at(70), kind=TouchpointKind.MEETING, direction="")
    for days_before in (30, 9, 2):
        TouchpointFactory(account=account, occurred_at=at(days_before), kind=TouchpointKind.EMAIL,
                          direction=Direction.OUTBOUND, subject="Checking in")
    TouchpointFactory(account=account, occurred_at=at(1), kind=TouchpointKind.NOTE, direction=Direction.INTERNAL)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-1", "silent_account")]
    assert alert("A-1", "silent_account").message == "No customer interaction for 60+ days (last on 2025-01-05)"


def test_a_recent_ticket_counts_as_interaction(db):
    TouchpointFactory(account=customer("A-OTHER").account, occurred_at=at(5))
    SupportTicketFactory(account=customer("A-1").account, submitted_at=at(5))

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


def test_no_account_is_silent_in_a_book_without_touchpoints(db):
    customer("A-1")

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == []


# renewal_risk --------------------------------------------------------------------------------------

def medium_risk_customer(external_id: str, renewal_in_days: int) -> Subscription:
    """Usage 10 a day in the prior 30 days and 3 a day since: a 69% drop, 40 points, Medium risk."""
    subscription = customer(external_id, steady_usage=False, renewal_date=day(-renewal_in_days))
    usage(subscription, daily(60, 31, 10) | daily(30, 0, 3))
    return subscription


def test_a_renewal_within_60_days_at_medium_or_high_risk_is_a_renewal_risk(db):
    medium_risk_customer("A-MEDIUM", renewal_in_days=30)
    medium_risk_customer("A-60-DAYS", renewal_in_days=60)
    high = medium_risk_customer("A-HIGH", renewal_in_days=1).account
    # On top of the usage drop's 40, one support problem: ratings of 1 (12), six tickets and an escalation
    # (10 each, halved as the same family's further rules): 62.
    for n in range(6):
        SupportTicketFactory(account=high, submitted_at=at(n + 1), escalated=n == 0,
                             satisfaction_score=1 if n < 2 else None)

    recompute_scores(as_of=AS_OF)

    assert open_alerts() == [("A-60-DAYS", "renewal_risk"), ("A-HIGH", "renewal_risk"),
                             ("A-MEDIUM", "renewal_risk")]
    assert alert("A-MEDIUM", "renewal_risk").message == "Renews on 2025-04-15 with Medium risk (40)"
    assert alert("A-MEDIUM", "renewal_risk").evidence == {"renewal_date": "2025-04-15", "risk_level": "Medium",
                                                          "risk_score": 40}
    assert alert("A-HIGH", "renewal_risk").message == "Renews on 2025-03-17 with High risk (62)"


def test_a_renewal_at_low_risk_or_in_61_days_is_no_renewal_risk(db):
    customer("A-LOW", renewal_date=day(-30))
    medium_risk_customer("A-LATER", renewal_in_days=61)
    medium_risk_customer("A-PAST", renewal_in_days=-1)

    recompute_scores(as_of=AS_OF)

    assert Snapshot.objects.get(account__external_id="A-LOW").risk_level == "Low"
    assert Snapshot.objects.get(account__external_id="A-LATER").risk_level == "Medium"
    assert open_alerts() == []


# Accounts that get no alerts -----------------------------------------------------------------------

def test_churned_accounts_and_accounts_without_an_active_subscription_get_no_alerts(db):
    # Each would raise critical_drop (no usage), failed_payment and champion_left if it were live.
    churned = customer("A-CHURNED", steady_usage=False, churned=True).account
    ended = customer("A-ENDED", steady_usage=False).account
    Subscription.objects.filter(account=ended).update(end_date=day(10))
    not_started = customer("A-LATER", steady_usage=False).account
    Subscription.objects.filter(account=not_started).update(start_date=day(-5))
    no_subscription = AccountFactory(external_id="A-NONE")
    for account in (churned, ended, not_started, no_subscription):
        InvoiceFactory(account=account, due_date=day(3), status=InvoiceStatus.FAILED)
        ContactFactory(account=account, role=ContactRole.CHAMPION, is_active=False, left_date=day(3))
    live = customer("A-LIVE", steady_usage=False)
    InvoiceFactory(account=live.account, due_date=day(3), status=InvoiceStatus.FAILED)

    recompute_scores(as_of=AS_OF)

    assert Snapshot.objects.count() == 5
    assert open_alerts() == [("A-LIVE", "critical_drop"), ("A-LIVE", "failed_payment")]


# One open alert per account and type ---------------------------------------------------------------

@pytest.fixture
def failing_payer(db):
    account = customer("A-1").account
    InvoiceFactory(account=account, due_date=day(5), status=InvoiceStatus.FAILED)
    return account


def test_recomputing_the_same_day_and_the_next_keeps_one_open_alert(failing_payer):
    first = recompute_scores(as_of=AS_OF).run
    again = recompute_scores(as_of=AS_OF).run
    next_day = recompute_scores(as_of=AS_OF + dt.timedelta(days=1)).run

    assert open_alerts() == [("A-1", "failed_payment")]
    assert Alert.objects.count() == 1
    assert Alert.objects.get().as_of == AS_OF
    runs = RecomputeRun.objects.filter(pk__in=[first.pk, again.pk, next_day.pk]).order_by("pk")
    assert [r.alerts_opened for r in runs] == [1, 0, 0]


def test_the_database_refuses_a_second_open_alert_of_the_same_type(failing_payer):
    recompute_scores(as_of=AS_OF)

    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(account=failing_payer, kind="failed_payment", as_of=AS_OF, message="again")

    Alert.objects.create(account=failing_payer, kind="champion_left", as_of=AS_OF, message="another type")
    Alert.objects.create(account=failing_payer, kind="failed_payment", as_of=AS_OF, message="closed",
                         status=AlertStatus.RESOLVED)
    assert Alert.objects.filter(account=failing_payer, kind="failed_payment", status=AlertStatus.OPEN).count() == 1


def test_after_resolving_an_alert_a_new_one_can_open(failing_payer, csm):
    recompute_scores(as_of=AS_OF)
    first = alert("A-1", "failed_payment")

    assert alert_resolve(alert=first, user=csm) is True
    assert alert_resolve(alert=first, user=csm) is False
    run = recompute_scores(as_of=AS_OF + dt.timedelta(days=1)).run

    first.refresh_from_db()
    assert (first.status, first.resolved_by) == (AlertStatus.RESOLVED, csm)
    assert first.resolved_at is not None
    second = alert("A-1", "failed_payment")
    assert second.pk != first.pk
    assert second.as_of == AS_OF + dt.timedelta(days=1)
    assert run.alerts_opened == 1
    assert Alert.objects.count() == 2
