"""The health measures of docs/scoring.md on tiny hand-built books: exact raw values, "no data" (NaN),
normalisation, tiers and the weighted score with rescaled weights."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from scoring import measures
from scoring.config import MEASURE_IDS, Config, Normalisation, default_config, parse_config
from scoring.fetch import BookData, Window
from scoring.models import breakdown as read_breakdown

CONFIG = parse_config(default_config())

# The columns scoring.fetch returns; per-account tables are indexed by account_id.
ACCOUNT_COLUMNS = ["account_id", "external_id", "name", "plan_tier", "segment", "seats", "onboarding_pct",
                   "renewal_date", "csm_id", "churned", "is_trial"]
SUBSCRIPTION_COLUMNS = ["subscription_id", "sub_external_id", "account_id", "start_date", "end_date", "sub_plan_tier",
                        "sub_seats", "mrr", "arr", "is_trial", "upgrade_flag", "downgrade_flag", "churn_flag",
                        "active"]
PER_ACCOUNT_COLUMNS = {
    "usage_by_account": ["usage_30", "usage_prev", "integration_usage_30", "integration_errors_30", "last_3",
                         "before_3", "week_before_3", "active_days", "features_30"],
    "tickets": ["tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30", "tickets_90", "rated_90",
                "satisfaction_sum_90", "feature_requests_90", "last_ticket"],
    "touchpoints": ["touchpoints_90", "community_90", "docs_90", "csm_60", "executive_90", "last_interaction",
                    "case_study_365", "feature_requests_90"],
    "surveys": ["responses", "nps_sum", "last_survey"],
    "invoices": ["invoices_due", "invoices_paid", "failed_recent", "first_failed_due"],
    "contacts": ["contacts_active", "engaged_active", "champions_left", "champion_left_on"],
}


def account(account_id: int, **fields) -> dict:
    row = {"account_id": account_id, "external_id": f"A-{account_id}", "name": f"Clinic {account_id}",
           "plan_tier": "Pro", "segment": "SMB", "seats": 10, "onboarding_pct": 100.0, "renewal_date": None,
           "csm_id": None, "churned": False, "is_trial": False}
    row.update(fields)
    return row


def subscription(subscription_id: int, account_id: int, *, active: bool = True, **fields) -> dict:
    row = {"subscription_id": subscription_id, "sub_external_id": f"S-{subscription_id}", "account_id": account_id,
           "start_date": dt.date(2024, 1, 1), "end_date": None if active else dt.date(2024, 6, 30),
           "sub_plan_tier": "Pro", "sub_seats": 10, "mrr": 100.0, "arr": 1200.0, "is_trial": False,
           "upgrade_flag": False, "downgrade_flag": False, "churn_flag": False, "active": active}
    row.update(fields)
    return row


def usage(subscription_id: int, feature: str, usage_30: int, usage_prev: int = 0, errors_30: int = 0, *,
          integration: bool = False) -> dict:
    """A feature's usage by a subscription over the windows (fetch.usage hands the measures these,
    added up per subscription and per account)."""
    return {"subscription_id": subscription_id, "feature": feature, "usage_30": usage_30, "usage_prev": usage_prev,
            "errors_30": errors_30, "integration": integration}


def usage_frames(rows: list[dict], subscriptions: pd.DataFrame, given: dict[int, dict]
                 ) -> tuple[pd.DataFrame, dict[int, dict]]:
    """The per-subscription and per-account usage that fetch.usage would read for these rows; fields
    given per account win over the computed ones."""
    df = pd.DataFrame(rows, columns=["subscription_id", "feature", "usage_30", "usage_prev", "errors_30",
                                     "integration"])
    df["account_id"] = df["subscription_id"].map(subscriptions.set_index("subscription_id")["account_id"])
    by_subscription = df.groupby("subscription_id").agg(
        account_id=("account_id", "first"), usage_30=("usage_30", "sum"), usage_prev=("usage_prev", "sum"),
        errors_30=("errors_30", "sum")).reset_index()
    per_account: dict[int, dict] = {}
    for account_id, group in df.groupby("account_id"):
        integration = group[group["integration"].astype(bool)]
        per_account[int(account_id)] = {
            "usage_30": int(group["usage_30"].sum()), "usage_prev": int(group["usage_prev"].sum()),
            "features_30": group.loc[group["usage_30"] > 0, "feature"].nunique(),
            "integration_usage_30": int(integration["usage_30"].sum()),
            "integration_errors_30": int(integration["errors_30"].sum()),
        }
    for account_id, fields in given.items():
        per_account.setdefault(account_id, {}).update(fields)
    return by_subscription, per_account


def per_account(name: str, rows: dict[int, dict]) -> pd.DataFrame:
    """A per-account table as fetch returns it: the given fields, other counts 0."""
    columns = PER_ACCOUNT_COLUMNS[name]
    frame = pd.DataFrame([{c: fields.get(c, 0) for c in columns} for fields in rows.values()], columns=columns)
    return frame.set_index(pd.Index(list(rows), name="account_id"))


def book(accounts: list[dict], *, subscriptions: list[dict] = (), usage_by_feature: list[dict] = (),
         has_touchpoints: bool = True, has_contacts: bool = True, **tables: dict[int, dict]) -> BookData:
    """A BookData with the given rows; every table not given is empty."""
    accounts_frame = pd.DataFrame(accounts, columns=ACCOUNT_COLUMNS)
    accounts_frame["onboarding_pct"] = accounts_frame["onboarding_pct"].astype("float64")
    accounts_frame = accounts_frame.set_index("account_id", drop=False).rename_axis(None)
    subs = pd.DataFrame(list(subscriptions), columns=SUBSCRIPTION_COLUMNS)
    subs["active"] = subs["active"].astype(bool)
    by_subscription, tables["usage_by_account"] = usage_frames(list(usage_by_feature), subs,
                                                                tables.get("usage_by_account", {}))
    return BookData(
        window=Window(dt.date(2024, 12, 31)),
        accounts=accounts_frame,
        subscriptions=subs,
        usage_by_subscription=by_subscription,
        quiet_features=pd.DataFrame(columns=["account_id", "feature", "last_used", "days_before"]),
        intent_items=pd.DataFrame(columns=["account_id", "source", "item", "at", "phrase"]),
        previous_health=pd.Series(dtype="float64"),
        has_touchpoints=has_touchpoints,
        has_contacts=has_contacts,
        **{name: per_account(name, tables.get(name, {})) for name in PER_ACCOUNT_COLUMNS},
    )


def values(series: pd.Series) -> dict:
    """{account id: value rounded to 6 places, or None for "no data"}."""
    return {key: None if pd.isna(value) else round(float(value), 6) for key, value in series.items()}


# --- usage ----------------------------------------------------------------------------------------

def test_daily_active_rate_is_the_share_of_the_31_days_with_usage():
    data = book([account(1), account(2)], subscriptions=[subscription(10, 1), subscription(20, 2)],
                usage_by_account={1: {"active_days": 31}, 2: {"active_days": 15}})

    assert values(measures.daily_active_rate(data)) == {1: 1.0, 2: round(15 / 31, 6)}


def test_daily_active_rate_is_zero_for_an_active_subscription_without_usage():
    data = book([account(1)], subscriptions=[subscription(10, 1)])

    assert values(measures.daily_active_rate(data)) == {1: 0.0}


def test_daily_active_rate_is_zero_when_usage_stopped_30_to_60_days_ago():
    # The subscription has ended, but the account used the product in the prior 30 days.
    data = book([account(1)], subscriptions=[subscription(10, 1, active=False)],
                usage_by_feature=[usage(10, "scheduling", 0, usage_prev=40)])

    assert values(measures.daily_active_rate(data)) == {1: 0.0}


def test_daily_active_rate_has_no_data_without_subscription_or_usage():
    data = book([account(1), account(2)], subscriptions=[subscription(20, 2, active=False)])

    assert values(measures.daily_active_rate(data)) == {1: None, 2: None}


def test_feature_adoption_depth_counts_distinct_features_used_in_the_last_30_days():
    data = book(
        [account(1), account(2), account(3)],
        subscriptions=[subscription(10, 1), subscription(11, 1), subscription(20, 2)],
        usage_by_feature=[usage(10, "scheduling", 5), usage(10, "billing", 1), usage(11, "scheduling", 9),
                          usage(11, "api", 0, usage_prev=30)],
    )

    assert values(measures.feature_adoption_depth(data)) == {1: 2.0, 2: 0.0, 3: None}


def test_usage_trend_is_last_30_days_over_the_prior_30_across_features_and_subscriptions():
    data = book(
        [account(1), account(2), account(3)],
        subscriptions=[subscription(10, 1), subscription(11, 1), subscription(20, 2), subscription(30, 3)],
        usage_by_feature=[usage(10, "scheduling", 70, usage_prev=60), usage(11, "billing", 50, usage_prev=40),
                          usage(20, "scheduling", 25, usage_prev=0)],
    )

    # account 1: 120 / 100; account 2: no prior usage; account 3: no usage at all
    assert values(measures.usage_trend_30d(data)) == {1: 1.2, 2: None, 3: None}


def test_plan_utilisation_is_seats_in_use_over_seats_licensed_by_active_subscriptions():
    data = book(
        [account(1, seats=8), account(2, seats=40), account(3, seats=5), account(4, seats=5)],
        subscriptions=[subscription(10, 1, sub_seats=6), subscription(11, 1, sub_seats=4),
                       subscription(12, 1, sub_seats=50, active=False), subscription(20, 2, sub_seats=10),
                       subscription(30, 3, active=False), subscription(40, 4, sub_seats=0)],
    )

    # 8/10; 40/10 capped at 1.5; no active subscription; no licensed seats
    assert values(measures.plan_utilisation(data)) == {1: 0.8, 2: 1.5, 3: None, 4: None}


# --- engagement -----------------------------------------------------------------------------------

def test_support_sentiment_maps_mean_satisfaction_of_90_days_from_1_to_5_onto_0_to_1():
    data = book([account(1), account(2), account(3), account(4)],
                tickets={1: {"rated_90": 4, "satisfaction_sum_90": 14}, 2: {"rated_90": 1, "satisfaction_sum_90": 5},
                         3: {"tickets_90": 6, "rated_90": 0}})

    # 3.5 -> 0.625; 5 -> 1; tickets but none rated; no tickets
    assert values(measures.support_sentiment(data)) == {1: 0.625, 2: 1.0, 3: None, 4: None}


def test_feature_request_activity_adds_ticket_and_touchpoint_requests():
    data = book([account(1), account(2), account(3)],
                tickets={1: {"feature_requests_90": 2}, 2: {"feature_requests_90": 1}},
                touchpoints={1: {"feature_requests_90": 1}})

    assert values(measures.feature_request_activity(data)) == {1: 3.0, 2: 1.0, 3: 0.0}


def test_feature_request_activity_has_no_data_when_the_book_records_no_touchpoints():
    data = book([account(1)], tickets={1: {"feature_requests_90": 2}}, has_touchpoints=False)

    assert values(measures.feature_request_activity(data)) == {1: None}


@pytest.mark.parametrize(
    ("measure", "column"),
    [
        (measures.community_participation, "community_90"),
        (measures.documentation_engagement, "docs_90"),
        (measures.csm_interactions, "csm_60"),
        (measures.executive_engagement, "executive_90"),
    ],
)
def test_touchpoint_counts_are_zero_for_an_account_without_touchpoints(measure, column):
    data = book([account(1), account(2)], touchpoints={1: {column: 3}})

    assert values(measure(data)) == {1: 3.0, 2: 0.0}


@pytest.mark.parametrize(
    "measure",
    [measures.community_participation, measures.documentation_engagement, measures.csm_interactions,
     measures.executive_engagement, measures.case_study_participation],
)
def test_touchpoint_measures_have_no_data_when_the_book_records_no_touchpoints(measure):
    data = book([account(1), account(2)], has_touchpoints=False)

    assert values(measure(data)) == {1: None, 2: None}


def test_case_study_participation_is_one_for_any_case_study_in_the_last_year():
    data = book([account(1), account(2), account(3)], touchpoints={1: {"case_study_365": 3}, 2: {"case_study_365": 1}})

    assert values(measures.case_study_participation(data)) == {1: 1.0, 2: 1.0, 3: 0.0}


def test_onboarding_completion_is_the_recorded_percentage():
    data = book([account(1, onboarding_pct=75.0), account(2, onboarding_pct=None)])

    assert values(measures.onboarding_completion(data)) == {1: 75.0, 2: None}


# --- business -------------------------------------------------------------------------------------

def test_payment_health_is_the_share_of_due_invoices_paid():
    data = book([account(1), account(2), account(3)],
                invoices={1: {"invoices_due": 4, "invoices_paid": 3}, 2: {"invoices_due": 0, "invoices_paid": 0}})

    assert values(measures.payment_health(data)) == {1: 0.75, 2: None, 3: None}


def test_contract_trend_nets_upgrades_and_downgrades_of_active_subscriptions():
    data = book(
        [account(i) for i in range(1, 8)],
        subscriptions=[
            subscription(10, 1, upgrade_flag=True),
            subscription(20, 2, downgrade_flag=True),
            subscription(30, 3, upgrade_flag=True, downgrade_flag=True),
            subscription(40, 4, upgrade_flag=True), subscription(41, 4, upgrade_flag=True),
            subscription(50, 5, upgrade_flag=True), subscription(51, 5, downgrade_flag=True),
            subscription(60, 6), subscription(61, 6, upgrade_flag=True, active=False),
        ],
    )

    # up; down; both on one; two ups clipped to 1; up and down net 0; only the ended one upgraded; none
    assert values(measures.contract_trend(data)) == {1: 1.0, 2: -1.0, 3: 0.0, 4: 1.0, 5: 0.0, 6: 0.0, 7: None}


def test_team_adoption_is_the_share_of_active_contacts_engaged_lately():
    data = book([account(1), account(2), account(3)],
                contacts={1: {"contacts_active": 4, "engaged_active": 3}, 2: {"contacts_active": 0}})

    assert values(measures.team_adoption(data)) == {1: 0.75, 2: None, 3: None}


def test_team_adoption_has_no_data_when_the_book_records_no_contacts():
    data = book([account(1)], contacts={1: {"contacts_active": 4, "engaged_active": 3}}, has_contacts=False)

    assert values(measures.team_adoption(data)) == {1: None}


def test_integration_health_is_one_minus_the_error_rate_of_integration_features():
    data = book(
        [account(1), account(2), account(3), account(4)],
        subscriptions=[subscription(10, 1), subscription(20, 2), subscription(30, 3), subscription(40, 4)],
        usage_by_feature=[
            usage(10, "ehr_sync", 150, errors_30=1, integration=True),
            usage(10, "API", 50, errors_30=1, integration=True),
            usage(10, "scheduling", 500, errors_30=400),  # not an integration: ignored
            usage(20, "hl7_interface", 10, errors_30=25, integration=True),  # more errors than calls: 0
            usage(30, "scheduling", 80),  # no integration feature
            usage(40, "ehr_sync", 0, usage_prev=90, errors_30=0, integration=True),  # not used lately
        ],
    )

    assert values(measures.integration_health(data)) == {1: 0.99, 2: 0.0, 3: None, 4: None}


# --- relationship ---------------------------------------------------------------------------------

def test_referral_likelihood_is_the_mean_nps_of_the_last_180_days():
    data = book([account(1), account(2), account(3)],
                surveys={1: {"responses": 2, "nps_sum": 17}, 2: {"responses": 0, "nps_sum": 0}})

    assert values(measures.referral_likelihood(data)) == {1: 8.5, 2: None, 3: None}


def test_every_configurable_measure_has_a_function():
    assert set(measures.MEASURES) == set(MEASURE_IDS)


# --- normalisation --------------------------------------------------------------------------------

GROUPS = pd.DataFrame({"plan_tier": ["Pro", "Pro", "Pro", "Pro", "Basic", None, "Pro"],
                       "segment": ["SMB", "SMB", "SMB", "ENT", "ENT", "ENT", "SMB"]},
                      index=[1, 2, 3, 4, 5, 6, 7])


def test_linear_normalisation_maps_bad_to_0_and_good_to_100_and_clips():
    raw = pd.Series([0.3, 0.9, 0.6, 0.0, 1.0, np.nan], index=[1, 2, 3, 4, 5, 6])

    score = measures.normalise(raw, Normalisation("linear", bad=0.3, good=0.9), GROUPS)

    assert values(score) == {1: 0.0, 2: 100.0, 3: 50.0, 4: 0.0, 5: 100.0, 6: None}


def test_reversed_linear_normalisation_scores_lower_values_higher():
    raw = pd.Series([10, 0, 2.5, 20, -5], index=[1, 2, 3, 4, 5], dtype="float64")

    score = measures.normalise(raw, Normalisation("linear", bad=10, good=0), GROUPS)

    assert values(score) == {1: 0.0, 2: 100.0, 3: 75.0, 4: 0.0, 5: 100.0}


def test_percentile_normalisation_ranks_within_the_plan_tier():
    raw = pd.Series([4.0, 1.0, 3.0, 2.0, 0.5, 7.0, np.nan], index=[1, 2, 3, 4, 5, 6, 7])

    score = measures.normalise(raw, Normalisation("percentile", within="plan_tier"), GROUPS)

    # Pro: 1, 2, 3, 4 -> 25 .. 100 (the Pro account without data is not counted); Basic and the
    # account without a tier are alone in their group
    assert values(score) == {1: 100.0, 2: 25.0, 3: 75.0, 4: 50.0, 5: 100.0, 6: 100.0, 7: None}


def test_percentile_normalisation_gives_ties_the_average_rank():
    raw = pd.Series([1.0, 1.0, 2.0, 3.0], index=[1, 2, 3, 4])

    score = measures.normalise(raw, Normalisation("percentile", within="plan_tier"), GROUPS)

    assert values(score) == {1: 37.5, 2: 37.5, 3: 75.0, 4: 100.0}


def test_percentile_normalisation_can_rank_within_the_segment():
    raw = pd.Series([1.0, 2.0, 3.0, 10.0, 20.0, 30.0], index=[1, 2, 3, 4, 5, 6])

    score = measures.normalise(raw, Normalisation("percentile", within="segment"), GROUPS)

    assert values(score) == {1: round(100 / 3, 6), 2: round(200 / 3, 6), 3: 100.0, 4: round(100 / 3, 6),
                             5: round(200 / 3, 6), 6: 100.0}


# --- tiers and the weighted score -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("score", "tier"),
    [(100, "Thriving"), (80, "Thriving"), (79.9, "Healthy"), (60, "Healthy"), (59.9, "At risk"), (40, "At risk"),
     (39.9, "High risk"), (20, "High risk"), (19.9, "Critical"), (0, "Critical")],
)
def test_tier_of_boundaries(score, tier):
    assert measures.tier_of(pd.Series([float(score)]), CONFIG).tolist() == [tier]


def test_tier_of_a_missing_score_is_none():
    assert measures.tier_of(pd.Series([np.nan, 50.0]), CONFIG).tolist() == [None, "At risk"]


def three_measure_config() -> Config:
    document = default_config()
    document["health"]["measures"] = [
        {"id": "daily_active_rate", "weight": 15, "normalisation": {"method": "linear", "bad": 0.3, "good": 0.9}},
        {"id": "payment_health", "weight": 8, "normalisation": {"method": "linear", "bad": 0.5, "good": 1.0}},
        {"id": "csm_interactions", "weight": 4, "normalisation": {"method": "linear", "bad": 0, "good": 3}},
    ]
    return parse_config(document)


def test_health_score_rescales_weights_over_the_measures_with_data():
    data = book([account(1), account(2), account(3)])
    raw = {
        "daily_active_rate": pd.Series([0.6, np.nan, np.nan], index=[1, 2, 3]),  # 50 | no data | no data
        "payment_health": pd.Series([1.0, 0.75, np.nan], index=[1, 2, 3]),  # 100 | 50 | no data
        "csm_interactions": pd.Series([3.0, 0.0, np.nan], index=[1, 2, 3]),  # 100 | 0 | no data
    }

    result = measures.health_scores(data, three_measure_config(), raw=raw)

    # 1: (50*15 + 100*8 + 100*4) / 27 = 72.22; 2: (50*8 + 0*4) / 12 = 33.33 over 12 of 27 weight
    assert values(result["health_score"]) == {1: 72.2, 2: 33.3, 3: None}
    assert values(result["covered_share"]) == {1: 1.0, 2: 0.444, 3: 0.0}
    assert result["health_tier"].tolist() == ["Healthy", "High risk", None]


def test_health_breakdown_records_raw_value_score_and_points_and_no_data():
    data = book([account(1), account(2)])
    raw = {
        "daily_active_rate": pd.Series([0.6, np.nan], index=[1, 2]),
        "payment_health": pd.Series([1.0, 0.75], index=[1, 2]),
        "csm_interactions": pd.Series([3.0, 0.0], index=[1, 2]),
    }

    # Stored as JSON text, written a column at a time; it must read back as exactly these numbers.
    first, second = map(read_breakdown, measures.health_scores(data, three_measure_config(), raw=raw)["measures"])

    assert first == {
        "daily_active_rate": {"raw": 0.6, "score": 50.0, "points": 27.78},  # 50 * 15 / 27
        "payment_health": {"raw": 1.0, "score": 100.0, "points": 29.63},  # 100 * 8 / 27
        "csm_interactions": {"raw": 3.0, "score": 100.0, "points": 14.81},  # 100 * 4 / 27
    }
    assert second == {
        "daily_active_rate": {"raw": None, "score": None, "points": None},
        "payment_health": {"raw": 0.75, "score": 50.0, "points": 33.33},  # 50 * 8 / 12
        "csm_interactions": {"raw": 0.0, "score": 0.0, "points": 0.0},
    }


def test_health_breakdown_text_keeps_every_digit_of_the_rounded_values():
    data = book([account(1)])
    raw = {"daily_active_rate": pd.Series([1 / 3], index=[1]), "payment_health": pd.Series([2 / 3], index=[1]),
           "csm_interactions": pd.Series([1e6], index=[1])}

    (text,) = measures.health_scores(data, three_measure_config(), raw=raw)["measures"]

    breakdown = read_breakdown(text)
    assert breakdown["daily_active_rate"]["raw"] == 0.3333
    assert breakdown["payment_health"]["raw"] == 0.6667
    assert breakdown["csm_interactions"] == {"raw": 1000000.0, "score": 100.0, "points": 14.81}


def test_health_score_of_a_book_with_only_onboarding_data_uses_the_default_measures():
    # Account 1 has nothing but its onboarding percentage; account 2 not even that.
    data = book([account(1, onboarding_pct=70.0), account(2, onboarding_pct=None)],
                has_touchpoints=False, has_contacts=False)

    result = measures.health_scores(data, CONFIG)

    # onboarding 70 on the 40..100 scale = 50, the only measure with data: 4 of 100 weight
    assert values(result["health_score"]) == {1: 50.0, 2: None}
    assert values(result["covered_share"]) == {1: 0.04, 2: 0.0}
    assert result["health_tier"].tolist() == ["At risk", None]
    breakdown = read_breakdown(result.loc[1, "measures"])
    assert breakdown["onboarding_completion"] == {"raw": 70.0, "score": 50.0, "points": 50.0}
    assert [m for m, entry in breakdown.items() if entry["score"] is not None] == ["onboarding_completion"]


def test_health_score_is_never_invented_for_an_account_without_data():
    data = book([account(1, onboarding_pct=None)], has_touchpoints=False, has_contacts=False)

    result = measures.health_scores(data, CONFIG)

    assert math.isnan(result.loc[1, "health_score"])
    assert result.loc[1, "health_tier"] is None


def test_feature_requests_in_ticket_texts_count_in_a_book_without_touchpoints():
    data = book([account(1), account(2)], has_touchpoints=False, tickets={1: {"feature_requests_90": 2}})
    data.has_ticket_text = True

    assert values(measures.feature_request_activity(data)) == {1: 2.0, 2: 0.0}


def test_feature_requests_have_no_data_in_a_book_without_any_text():
    data = book([account(1)], has_touchpoints=False, tickets={1: {"feature_requests_90": 0}})

    assert values(measures.feature_request_activity(data)) == {1: None}
