"""The churn model's features on messy accounts: no signup date, no subscription, no renewal date, no CSM, an
account flagged churned without a churn event, and one that churned before the date."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scoring.model.features import FEATURE_NAMES, feature_frame
from tests.factories import (
    AccountFactory,
    ChurnEventFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date(2025, 3, 31)


def test_messy_accounts_get_features_with_gaps_as_missing_values():
    bare = AccountFactory(external_id="M-BARE", signup_date=None, renewal_date=None, plan_tier="", segment="",
                          seats=0)
    flagged = AccountFactory(external_id="M-FLAGGED", churned=True, renewal_date=dt.date(2025, 9, 30))
    SubscriptionFactory(account=flagged, start_date=dt.date(2024, 1, 15), plan_tier="Enterprise", seats=40)
    gone = AccountFactory(external_id="M-GONE")
    ChurnEventFactory(account=gone, churn_date=dt.date(2025, 2, 1))
    later = AccountFactory(external_id="M-LATER", signup_date=dt.date(2025, 4, 1))

    features = feature_frame(D).features

    assert set(features.index) == {bare.pk, flagged.pk}  # churned before, or signed up after: not live
    assert list(features.columns) == list(FEATURE_NAMES) and later.pk not in features.index
    row = features.loc[bare.pk]
    assert np.isnan(row["tenure_days"]) and np.isnan(row["days_to_renewal"]) and np.isnan(row["usage_drop"])
    assert pd.isna(row["plan_tier"]) and pd.isna(row["segment"]) and np.isnan(row["satisfaction_30"])
    assert (row["usage_30"], row["arr"], row["champions_left"]) == (0.0, 0.0, 0.0)
    other = features.loc[flagged.pk]
    assert (other["plan_tier"], other["seats"], other["arr"]) == ("Enterprise", 40.0, 12000.0)
    assert (other["tenure_days"], other["days_to_renewal"]) == (441.0, 183.0)


def test_text_signals_count_the_customers_own_words_of_the_last_90_days():
    account = AccountFactory(external_id="M-TEXTS")
    day = dt.datetime(2025, 3, 20, 10, tzinfo=dt.UTC)
    SupportTicketFactory(account=account, submitted_at=day, sentiment=-0.6, competitors=["CareLoop"])
    SupportTicketFactory(account=account, submitted_at=day, sentiment=0.4)
    SupportTicketFactory(account=account, submitted_at=day)  # not read yet
    SupportTicketFactory(account=account, submitted_at=day - dt.timedelta(days=120), sentiment=-0.9)  # too old
    TouchpointFactory(account=account, occurred_at=day, sentiment=-0.3, competitors=["MedFlow"])
    TouchpointFactory(account=account, occurred_at=day, direction="outbound", sentiment=-0.8)  # the CSM's own

    row = feature_frame(D).features.loc[account.pk]

    assert (row["negative_text_share"], row["competitor_mentions"]) == (2 / 3, 2.0)
