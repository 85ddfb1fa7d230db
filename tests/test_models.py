"""The database itself guards what must hold, whatever writes to it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import models as m
from tests.factories import AccountFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def refused(**create) -> bool:
    model, fields = create.pop("model"), create
    try:
        with transaction.atomic():
            model.objects.create(**fields)
            connection.check_constraints()  # foreign keys are deferred to commit otherwise
    except IntegrityError:
        return True
    return False


def test_external_ids_are_unique():
    AccountFactory(external_id="A-1")

    assert refused(model=m.Account, external_id="A-1", name="Copy")


def test_money_may_not_be_negative():
    account = AccountFactory()

    assert refused(model=m.Subscription, external_id="S-1", account=account, start_date=dt.date(2024, 1, 1),
                   mrr=Decimal("-1"))
    assert refused(model=m.Invoice, external_id="I-1", account=account, due_date=dt.date(2024, 1, 1),
                   amount=Decimal("-5"), status="open")
    assert refused(model=m.ChurnEvent, external_id="C-1", account=account, churn_date=dt.date(2024, 1, 1),
                   refund_amount=Decimal("-0.01"))


def test_satisfaction_is_1_to_5_and_nps_0_to_10():
    account = AccountFactory()
    now = timezone.now()

    assert refused(model=m.SupportTicket, external_id="T-1", account=account, submitted_at=now, satisfaction_score=6)
    assert not refused(model=m.SupportTicket, external_id="T-2", account=account, submitted_at=now,
                       satisfaction_score=5)
    assert refused(model=m.SurveyResponse, external_id="N-1", account=account, responded_at=now, nps_score=11)
    assert not refused(model=m.SurveyResponse, external_id="N-2", account=account, responded_at=now, nps_score=0)


def test_a_usage_id_is_unique_within_its_subscription_only():
    first, second = SubscriptionFactory(), SubscriptionFactory()
    day = dt.date(2024, 5, 1)
    m.UsageRecord.objects.create(subscription=first, usage_id="U-1", date=day, feature_name="scheduling")

    assert not refused(model=m.UsageRecord, subscription=second, usage_id="U-1", date=day, feature_name="x")
    assert refused(model=m.UsageRecord, subscription=first, usage_id="U-1", date=day, feature_name="x")


def test_references_must_exist():
    assert refused(model=m.Subscription, external_id="S-9", account_id=987654, start_date=dt.date(2024, 1, 1))
