"""The active churn model's predictions for a day: a calibrated probability, a band and the top reasons per
live account, written set-based (the day's rows replaced at once), and the day's drift against training.

Reasons are LightGBM's SHAP contributions (`pred_contrib=True`): per account, each feature's share of the raw
score in log-odds, the last column being the base value, so that they add up to the score exactly.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from django.db import transaction

from scoring.levels import Level
from scoring.model.drift import population_stability
from scoring.model.features import FEATURE_NAMES, feature_frame, feature_label
from scoring.model.training import calibrate, encode
from scoring.models import ChurnModel, ChurnPrediction
from scoring.selectors import active_model

TOP_CONTRIBUTIONS = 5


def booster_of(model: ChurnModel) -> lgb.Booster:
    """The model's booster, read back from its text."""
    return lgb.Booster(model_str=model.booster)


def contributions(booster: lgb.Booster, encoded: pd.DataFrame) -> np.ndarray:
    """Per row, each feature's SHAP contribution to the raw score (log-odds), then the base value."""
    return np.asarray(booster.predict(encoded, pred_contrib=True))


def band_of(probability: np.ndarray, model: ChurnModel) -> np.ndarray:
    """High, Medium or Low by the model's probability thresholds."""
    return np.where(probability >= model.band_high, Level.HIGH,
                    np.where(probability >= model.band_medium, Level.MEDIUM, Level.LOW))


def _plain(value: Any) -> Any:
    """A JSON value: numbers as floats rounded to 4 places, missing as None, categories as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float | np.number):
        return round(float(value), 4)
    return str(value)


def top_contributions(features: pd.DataFrame, contrib: np.ndarray, n: int = TOP_CONTRIBUTIONS,
                      names: Sequence[str] = FEATURE_NAMES) -> list[list[dict]]:
    """Per row, the n features (of `names`, the columns of `contrib`) that moved its score most (either way),
    largest first."""
    names = list(names)
    values = features.reindex(columns=names).astype(object).to_numpy()
    shares = contrib[:, :-1]
    order = np.argsort(-np.abs(shares), axis=1, kind="stable")[:, :n]
    return [[{"feature": names[j], "label": feature_label(names[j]), "value": _plain(values[i, j]),
              "contribution": round(float(shares[i, j]), 4)} for j in row if shares[i, j] != 0]
            for i, row in enumerate(order.tolist())]


@dataclass
class Predicted:
    """One day's predictions of the live accounts, computed and not yet written."""

    features: pd.DataFrame  # indexed by account id
    probability: np.ndarray
    bands: np.ndarray
    reasons: list[list[dict]]


def predict(as_of: dt.date, model: ChurnModel, *, with_reasons: bool = True) -> Predicted:
    """The model's calibrated probability, band and top reasons (without `with_reasons`: none) for every account
    live on the date, from point-in-time features; writes nothing (the backtest scores past dates with it)."""
    features = feature_frame(as_of).features
    if features.empty:
        return Predicted(features, np.array([]), np.array([], dtype=object), [])
    names = model.features or FEATURE_NAMES  # a model trained before a feature was added reads its own list
    encoded = encode(features, model.baselines, names)
    booster = booster_of(model)
    raw = booster.predict(encoded, raw_score=True)
    probability = np.clip(calibrate(raw, model.calibration), 0.0, 1.0)
    # The SHAP contributions cost a second pass over the trees: skipped when only the probabilities are wanted.
    reasons = top_contributions(features, contributions(booster, encoded), names=names) if with_reasons else []
    return Predicted(features, probability, band_of(probability, model), reasons)


def probabilities(as_of: dt.date, model: ChurnModel | None = None) -> pd.Series:
    """The (active) model's probability of churn within 90 days per live account on the date, as a predictor
    for the backtest: empty without a model."""
    model = model or active_model()
    if model is None:
        return pd.Series(dtype="float64")
    found = predict(as_of, model, with_reasons=False)
    return pd.Series(found.probability, index=found.features.index, dtype="float64")


def predict_day(as_of: dt.date, *, model: ChurnModel | None = None) -> int:
    """Write the day's prediction of every live account with the active model (replacing the day's rows) and
    its drift; returns how many were written (0 without an active model)."""
    model = model or active_model()
    if model is None:
        return 0
    found = predict(as_of, model)
    features, probability, bands, reasons = found.features, found.probability, found.bands, found.reasons
    rows = [ChurnPrediction(account_id=int(a), as_of=as_of, model=model, probability=round(float(p), 4), band=b,
                            contributions=c)
            for a, p, b, c in zip(features.index.tolist(), probability.tolist(), bands.tolist(), reasons, strict=True)]
    drift = {"as_of": as_of.isoformat(), "psi": population_stability(features, model.baselines)}
    with transaction.atomic():
        ChurnPrediction.objects.filter(as_of=as_of).delete()
        ChurnPrediction.objects.bulk_create(rows, batch_size=2000)
        ChurnModel.objects.filter(pk=model.pk).update(drift=drift)
    return len(rows)
