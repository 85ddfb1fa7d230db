"""The churn model in the backtest on the synthetic book: without stored predictions the active model is run on
the cut-off (nothing written) and marked in-sample on a date it was trained on; stored predictions are read as
they are, and --rescore runs the model again instead."""

import datetime as dt

import pandas as pd
import pytest

from scoring.backtest import run_backtest
from scoring.model.predict import predict_day, probabilities
from scoring.models import ChurnPrediction
from tests.scoring.model.book import TODAY

pytestmark = pytest.mark.django_db

D = dt.date(2025, 1, 15)


def test_without_stored_predictions_the_active_model_is_run_on_the_cut_off(book):
    model = book.model
    assert model.trained_from <= D <= model.trained_to  # a date the model learned from

    result = run_backtest(as_of=D, horizon=90)

    judged = result.predictor("model")
    expected = probabilities(D, model)
    got = result.book["model_probability"].dropna()
    pd.testing.assert_series_equal(got.sort_index(), expected.reindex(got.index).sort_index(), check_names=False)
    assert judged.scored == len(expected) > 0 and judged.is_probability
    assert judged.detail.startswith(f"Predicted now by the active model, version {model.version} (High from ")
    assert judged.in_sample.startswith(f"in-sample: trained on this period (version {model.version} learned from "
                                       f"{model.trained_from} to {model.trained_to})")
    assert judged.auc is not None and judged.auc > result.predictor("risk").auc  # the usage decline it reads
    assert not ChurnPrediction.objects.exists()  # nothing written


def test_a_cut_off_after_the_training_range_is_not_in_sample(book):
    after = book.model.trained_to + dt.timedelta(days=7)
    assert after < TODAY

    assert run_backtest(as_of=after, horizon=90, with_signals=False).predictor("model").in_sample == ""


def test_stored_predictions_are_read_and_rescore_runs_the_model_again(book):
    predict_day(D)
    ChurnPrediction.objects.filter(as_of=D).update(probability=0.99, band="High")  # not what the model says

    stored = run_backtest(as_of=D, horizon=90, with_signals=False)
    replayed = run_backtest(as_of=D, horizon=90, rescore=True, with_signals=False)

    assert set(stored.book["model_probability"].dropna()) == {0.99}
    assert stored.predictor("model").bands[0].flagged == stored.predictor("model").scored
    assert stored.predictor("model").detail.startswith("The predictions stored on 2025-01-15")
    again = replayed.book["model_probability"].dropna()
    assert again.to_dict() == pytest.approx(probabilities(D, book.model).reindex(again.index).to_dict())
    assert replayed.predictor("model").detail.startswith("Predicted now by the active model")
