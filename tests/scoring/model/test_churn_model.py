"""The churn model on a synthetic book whose churn follows a usage decline: labels and point-in-time features,
the time-ordered split, calibration, the verdict against a weak rule set, daily predictions, SHAP contributions
and drift."""

import datetime as dt

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from accounts import models as m
from scoring.model.drift import WARNING_PSI, baselines, population_stability
from scoring.model.features import FEATURE_NAMES, _next_renewal, churn_labels, describe, feature_frame, live_accounts
from scoring.model.predict import booster_of, contributions, predict_day, probabilities
from scoring.model.training import (
    HISTORY_DAYS,
    band_threshold,
    calibrate,
    encode,
    history_needed,
    judge,
    split_dates,
    train_churn_model,
    training_dates,
)
from scoring.models import ChurnModel, ChurnModelStatus, ChurnPrediction
from tests.scoring.model.book import START, STEP_DAYS, TODAY
from workspace.daily import predictions_write

pytestmark = pytest.mark.django_db

D = dt.date(2025, 1, 15)


def test_a_label_is_churn_in_the_90_days_after_the_date(book):
    account_id, churned_on = sorted(book.churn_dates.items(), key=lambda kv: kv[1])[-1]
    ninety_before = churned_on - dt.timedelta(days=90)

    assert churn_labels(ninety_before, pd.Index([account_id]))[account_id] == 1
    assert churn_labels(ninety_before - dt.timedelta(days=1), pd.Index([account_id]))[account_id] == 0
    assert account_id in live_accounts(churned_on - dt.timedelta(days=1)).index
    assert account_id not in live_accounts(churned_on).index  # churned on the date: no longer live


def test_features_read_only_data_dated_on_or_before_the_date(book):
    before = feature_frame(D).features
    account = next(a for a in book.accounts if a.pk not in book.churn_dates)
    sub = m.Subscription.objects.get(account=account)
    expected = sum(m.UsageDay.objects.filter(subscription=sub, date__gte=D - dt.timedelta(days=30), date__lte=D)
                   .values_list("usage_count", flat=True))

    # Later data: usage and a ticket the day after, a churn event next month, a renewal rolled a year on.
    m.UsageDay.objects.filter(subscription=sub, date=D + dt.timedelta(days=1)).delete()
    m.UsageDay.objects.create(subscription=sub, date=D + dt.timedelta(days=1), usage_count=10_000, error_count=500)
    next_morning = dt.datetime.combine(D + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    m.SupportTicket.objects.create(external_id="LATER-1", account=account, escalated=True, submitted_at=next_morning)
    m.ChurnEvent.objects.create(external_id="LATER-C", account=account, churn_date=D + dt.timedelta(days=30))
    m.Account.objects.filter(pk=account.pk).update(renewal_date=account.renewal_date.replace(year=2027))
    after = feature_frame(D).features

    pd.testing.assert_frame_equal(before, after)
    assert before.loc[account.pk, "usage_30"] == expected
    assert list(before.columns) == list(FEATURE_NAMES)


def test_the_renewal_is_rolled_back_to_the_first_one_after_the_date():
    renewal = pd.Series([dt.date(2025, 8, 1), dt.date(2028, 2, 29), None])

    assert _next_renewal(renewal, dt.date(2024, 9, 1)).tolist()[:2] == [334.0, 180.0]
    assert _next_renewal(renewal, dt.date(2024, 7, 1)).tolist()[0] == 31.0
    assert np.isnan(_next_renewal(renewal, dt.date(2024, 7, 1)).tolist()[2])


def test_no_training_label_reaches_into_the_validation_dates():
    dates = training_dates(START + dt.timedelta(days=HISTORY_DAYS), TODAY, step=14)
    train, validation = split_dates(dates)

    assert dates[-1] == TODAY - dt.timedelta(days=90) and (dates[1] - dates[0]).days == 14
    assert len(dates) == 20 and len(validation) == 5 and len(train) == 9
    assert min(validation) - max(train) > dt.timedelta(days=90)
    assert all(v > t + dt.timedelta(days=90) for t in train for v in validation)
    assert history_needed(14) == 60 + 8 * 14 + 90  # nine dates: two validate, the first alone is clear of them


def test_the_model_beats_the_weak_rules_and_becomes_active(book):
    model = book.model
    figures = model.validation

    assert model.status == ChurnModelStatus.ACTIVE
    assert figures["validation_churners"] >= 20
    assert figures["auc_model"] > figures["auc_rules"] + 0.15
    assert model.reason.startswith(f"It beats the rules: AUC {figures['auc_model']:.2f} against the rules' risk "
                                   f"score {figures['auc_rules']:.2f}")
    assert model.rows == figures["train_rows"] + figures["validation_rows"]
    assert 0 < model.band_medium <= model.band_high < 1


def test_the_calibration_is_monotone(book):
    calibration = book.model.calibration
    raw = np.linspace(-6, 3, 200)

    assert np.all(np.diff(calibration["x"]) > 0)
    assert np.all(np.diff(calibration["y"]) >= 0)
    assert np.all(np.diff(calibrate(raw, calibration)) >= 0)


def test_a_model_that_does_not_beat_the_rules_is_rejected_with_its_reason():
    figures = {"auc_model": 0.6, "auc_rules": 0.66, "validation_rows": 400, "validation_churners": 31}

    assert judge(figures) == (False, "It does not beat the rules: AUC 0.60 against the rules' risk score 0.66 on "
                                     "the same 400 validation rows.")
    assert judge({**figures, "auc_model": 0.9, "validation_churners": 12})[1].startswith(
        "Too few churners to judge: 12 accounts churned")


def test_a_rejected_model_is_stored_but_not_activated(book):
    rejected = train_churn_model(as_of=START + dt.timedelta(days=200), trigger="command")

    assert rejected.status == ChurnModelStatus.REJECTED
    assert rejected.reason.startswith("Not enough history")
    assert rejected.booster == ""
    assert ChurnModel.objects.get(status=ChurnModelStatus.ACTIVE).pk == book.model.pk


def test_the_days_predictions_are_the_active_models(book):
    assert predictions_write(TODAY) == len(live_accounts(TODAY).index)

    assert set(ChurnPrediction.objects.filter(as_of=TODAY).values_list("model_id", flat=True)) == {book.model.pk}


def test_predictions_are_written_once_per_live_account_and_replaced_on_a_new_run(book):
    live = set(live_accounts(TODAY).index)

    assert predict_day(TODAY) == len(live)
    first = dict(ChurnPrediction.objects.filter(as_of=TODAY).values_list("account_id", "id"))
    assert predict_day(TODAY) == len(live)

    rows = ChurnPrediction.objects.filter(as_of=TODAY)
    assert set(rows.values_list("account_id", flat=True)) == live and rows.count() == len(live)
    assert not set(first.values()) & set(rows.values_list("id", flat=True))  # replaced, not added
    assert set(rows.values_list("band", flat=True)) <= {"High", "Medium", "Low"}
    high = rows.filter(probability__gte=book.model.band_high)
    assert set(high.values_list("band", flat=True)) <= {"High"}
    assert ChurnModel.objects.get(pk=book.model.pk).drift["as_of"] == TODAY.isoformat()


def test_contributions_add_up_to_the_log_odds_and_the_top_ones_are_stored(book):
    model = ChurnModel.objects.get(pk=book.model.pk)
    features = feature_frame(D).features
    encoded = encode(features, model.baselines)
    booster = booster_of(model)
    contrib = contributions(booster, encoded)

    np.testing.assert_allclose(contrib.sum(axis=1), booster.predict(encoded, raw_score=True), atol=1e-9)

    predict_day(D)
    first = features.index[0]
    stored = ChurnPrediction.objects.get(account_id=first, as_of=D).contributions
    largest = np.sort(np.abs(contrib[0, :-1]))[::-1][:len(stored)]
    assert [abs(item["contribution"]) for item in stored] == pytest.approx(largest.tolist(), abs=1e-4)
    assert all(describe(item).endswith(("raises the risk", "lowers the risk")) for item in stored)


def test_contributions_read_as_plain_words():
    assert describe({"feature": "usage_drop", "value": 0.64, "contribution": 0.8}) == \
        "Usage fell 64% in the last 30 days — raises the risk"
    assert describe({"feature": "days_to_renewal", "value": 25.0, "contribution": 0.2}) == \
        "Renewal in 25 days — raises the risk"
    assert describe({"feature": "daily_active_rate", "value": 27 / 31, "contribution": -0.4}) == \
        "Active on 27 of the last 31 days — lowers the risk"
    assert describe({"feature": "satisfaction_30", "value": None, "contribution": 0.1}) == \
        "Mean ticket satisfaction (30 days, 1-5): no data — raises the risk"


def test_population_stability_is_zero_for_the_same_data_and_warns_for_a_shift(book):
    features = feature_frame(D).features
    stored = baselines(features)

    assert set(population_stability(features, stored).values()) == {0.0}

    shifted = features.assign(usage_30=features["usage_30"] * 3 + 100, segment="Enterprise")
    psi = population_stability(shifted, stored)
    assert psi["usage_30"] > WARNING_PSI and psi["segment"] > WARNING_PSI
    assert psi["seats"] == 0.0


def test_training_is_quick_on_the_test_book(book):
    figures = book.model.validation

    # Ten dates of 300 accounts scored point in time (most of the time), then LightGBM and the calibration.
    assert figures["seconds_fit"] < 5
    assert book.training_seconds < 20
    assert STEP_DAYS == 28


def test_the_backtest_reads_the_same_probabilities_without_writing(book):
    found = probabilities(TODAY)

    assert not ChurnPrediction.objects.filter(as_of=TODAY).exists()
    predict_day(TODAY)
    stored = dict(ChurnPrediction.objects.filter(as_of=TODAY).values_list("account_id", "probability"))
    assert {int(k): round(v, 4) for k, v in found.items()} == stored


def test_a_model_must_beat_the_rules_clearly_to_be_activated():
    figures = {"auc_model": 0.644, "auc_rules": 0.624, "validation_rows": 7261, "validation_churners": 65}

    activate, reason = judge(figures)

    assert not activate and reason.startswith("It does not clearly beat the rules: AUC 0.644 against the rules' "
                                              "risk score 0.624")
    assert judge({**figures, "auc_model": 0.66})[0]


def test_band_thresholds_sit_on_plateau_edges_of_the_calibrated_probability():
    # 40% of the rows share the lowest probability, 30% the next: a quantile would put the 25% Medium line
    # inside a plateau and flag 60% of the rows.
    probability = np.array([0.02] * 40 + [0.05] * 30 + [0.08] * 22 + [0.3] * 8)

    assert band_threshold(probability, 0.10) == 0.3
    assert band_threshold(probability, 0.25) == 0.3  # 0.08 would flag 30%
    assert band_threshold(probability, 0.30) == 0.08
    assert band_threshold(np.array([0.1] * 10), 0.10) == 0.1  # one plateau: the top value


def test_a_higher_rules_risk_score_never_lowers_the_models_score(book):
    model = ChurnModel.objects.get(pk=book.model.pk)
    features = feature_frame(D).features.head(25)
    booster = booster_of(model)
    steps = np.arange(0, 101, 5)
    raw = np.array([booster.predict(encode(features.assign(risk_score=float(s)), model.baselines), raw_score=True)
                    for s in steps])  # one row per risk score, one column per account

    assert "risk_score" in model.features
    assert np.all(np.diff(raw, axis=0) >= -1e-12)
    assert describe({"feature": "risk_score", "value": 45.0, "contribution": 0.3}) == \
        "Risk score 45 of 100 from the rules — raises the risk"


def test_a_model_trained_before_a_feature_was_added_still_predicts_with_its_own_features(book):
    model = ChurnModel.objects.get(pk=book.model.pk)
    older = [name for name in FEATURE_NAMES if name != "risk_score"]
    rows = feature_frame(D).features
    labels = churn_labels(D, rows.index)
    booster = lgb.train({"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 5, "verbose": -1},
                        lgb.Dataset(encode(rows, model.baselines, older), label=labels.to_numpy()), num_boost_round=5)
    ChurnModel.objects.filter(pk=model.pk).update(booster=booster.model_to_string(), features=older)

    written = predict_day(TODAY)

    assert written == len(live_accounts(TODAY))
    stored = ChurnPrediction.objects.filter(as_of=TODAY).values_list("contributions", flat=True)
    assert all(item["feature"] != "risk_score" for items in stored for item in items)
