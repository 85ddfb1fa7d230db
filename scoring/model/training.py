"""Training the churn model on the book's own history, and deciding whether it may replace the rules' verdict.

Every 14 days across the history, as far back as the usage goes and up to 90 days before the training date (so
each label is fully observed), the live accounts' point-in-time features (scoring.model.features) are labelled
with whether the account churned in the next 90 days. The latest dates validate, the earlier ones train, and
no training label reaches into the validation dates. A small, deterministic LightGBM learns from the training
rows, with the rules' risk score among its inputs and bound to rise with it (MONOTONE); an isotonic calibration
fitted on the validation predictions turns its scores into probabilities. The model is activated only when it
beats the rules' risk score (AUC on the same validation rows) with enough churners to tell; otherwise it is
kept as rejected, with the reason in words.
"""

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from accounts.models import UsageDay, User
from scoring.config import Config, parse_config
from scoring.configs import ensure_active_config
from scoring.model.drift import baselines
from scoring.model.features import CATEGORICAL, FEATURE_NAMES, HORIZON_DAYS, churn_labels, feature_frame
from scoring.models import ChurnModel, ChurnModelStatus

logger = logging.getLogger(__name__)

STEP_DAYS = 14
HISTORY_DAYS = 60  # the first training date has 60 days of usage behind it (last and prior 30 days)
VALIDATION_SHARE = 0.25
MIN_VALIDATION_DATES = 2
MIN_CHURNERS = 20  # churned accounts in validation below which AUC says too little to decide
TOP_BAND_SHARE = 0.10  # the High band: about the riskiest tenth of the validation rows
MEDIUM_BAND_SHARE = 0.25
AUC_MARGIN = 0.03  # how much better than the rules' AUC a model must be to become the headline
ROUNDS = 150
# A higher rules' risk score never lowers the model's score. Look-alikes of churn (seasonal dips, hiccups
# fixed within days) can be rare in the history a model learns from and common on the day it scores: on a
# held-out book built that way, a model of the raw measures alone validated above the rules and then ranked
# the next quarter's churners at chance, while the same model with the rules' score as a monotone input
# ranked them as well as the rules or better (docs/scoring.md, "Churn model").
MONOTONE: dict[str, int] = {"risk_score": 1}
PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "max_depth": 4, "min_data_in_leaf": 20,
    "min_data_per_group": 20, "cat_smooth": 10, "lambda_l2": 1.0, "seed": 17, "deterministic": True,
    "force_row_wise": True, "num_threads": 1, "verbose": -1,
    "monotone_constraints": [MONOTONE.get(name, 0) for name in FEATURE_NAMES],
}


@dataclass
class TrainingRows:
    """Labelled point-in-time rows: the features, and per row its date, account, label and rules' risk score."""

    features: pd.DataFrame
    as_of: pd.Series
    account: pd.Series
    label: pd.Series
    risk_score: pd.Series


@dataclass
class Fitted:
    """A trained booster with its calibration, bands, validation figures, drift baselines and verdict."""

    booster: lgb.Booster | None
    calibration: dict[str, list[float]]
    band_high: float | None
    band_medium: float | None
    validation: dict[str, Any]
    baselines: dict[str, Any]
    activate: bool
    reason: str
    train_dates: list[dt.date] = field(default_factory=list)
    validation_dates: list[dt.date] = field(default_factory=list)


def training_dates(first: dt.date, as_of: dt.date, *, step: int = STEP_DAYS,
                   horizon: int = HORIZON_DAYS) -> list[dt.date]:
    """Dates every `step` days, the latest `horizon` days before as_of (its label is then fully observed),
    back to `first`; oldest first."""
    dates, day = [], as_of - dt.timedelta(days=horizon)
    while day >= first:
        dates.append(day)
        day -= dt.timedelta(days=step)
    return dates[::-1]


def split_dates(dates: list[dt.date], *, horizon: int = HORIZON_DAYS,
                share: float = VALIDATION_SHARE) -> tuple[list[dt.date], list[dt.date]]:
    """Training and validation dates: the latest quarter validates; training keeps the earlier dates whose
    90-day label window ends before the first validation date, so no training label overlaps validation."""
    if len(dates) < MIN_VALIDATION_DATES + 1:
        return [], list(dates)
    count = max(MIN_VALIDATION_DATES, round(share * len(dates)))
    validation = dates[-count:]
    train = [d for d in dates[:-count] if d + dt.timedelta(days=horizon) < validation[0]]
    return train, validation


def history_needed(step: int = STEP_DAYS) -> int:
    """Days of usage history the smallest split needs: 60 days before the first date, enough dates for a
    validation quarter clear of the training labels, and 90 days after the last."""
    day = dt.date(2000, 1, 1)
    for count in range(MIN_VALIDATION_DATES + 1, 200):
        dates = [day + dt.timedelta(days=step * i) for i in range(count)]
        if split_dates(dates)[0]:
            return HISTORY_DAYS + step * (count - 1) + HORIZON_DAYS
    raise ValueError("no split possible")


def history_start() -> dt.date | None:
    """The first date with usage history behind it (HISTORY_DAYS after the first usage day)."""
    first = UsageDay.objects.aggregate(d=Min("date"))["d"]
    return first + dt.timedelta(days=HISTORY_DAYS) if first else None


def labelled_rows(dates: list[dt.date], config: Config, *, horizon: int = HORIZON_DAYS) -> TrainingRows:
    """The point-in-time features of every live account on each date, with its churn label."""
    parts, meta = [], []
    for day in dates:
        found = feature_frame(day, config=config)
        labels = churn_labels(day, found.features.index, horizon)
        parts.append(found.features)
        meta.append(pd.DataFrame({"as_of": day, "account": found.features.index, "label": labels.to_numpy(),
                                  "risk_score": found.risk_score.to_numpy()}))
    if not parts:
        empty = pd.Series(dtype="float64")
        return TrainingRows(pd.DataFrame(columns=list(FEATURE_NAMES)), empty, empty, empty, empty)
    features = pd.concat(parts, ignore_index=True)
    info = pd.concat(meta, ignore_index=True)
    return TrainingRows(features, info["as_of"], info["account"], info["label"].astype("int8"),
                        info["risk_score"].astype("float64"))


def encode(features: pd.DataFrame, stored_baselines: dict[str, Any],
           names: Sequence[str] = FEATURE_NAMES) -> pd.DataFrame:
    """The features as the booster reads them (`names`: those it was trained on, in order; one the frame no
    longer has reads as missing): categories as pandas categoricals with the training's values."""
    encoded = features.reindex(columns=list(names))
    for name in CATEGORICAL:
        if name not in encoded:
            continue
        encoded[name] = pd.Categorical(encoded[name].astype(object), categories=stored_baselines[name]["categories"])
    return encoded


def calibrate(raw: np.ndarray, calibration: dict[str, list[float]]) -> np.ndarray:
    """Probabilities from the booster's raw scores by the stored isotonic steps (flat beyond both ends)."""
    return np.interp(np.asarray(raw, dtype="float64"), calibration["x"], calibration["y"])


def fit(rows: TrainingRows, train_dates: list[dt.date], validation_dates: list[dt.date], *,
        min_churners: int = MIN_CHURNERS) -> Fitted:
    """Train on the training dates, calibrate and judge on the validation dates, against the rules."""
    in_train = rows.as_of.isin(train_dates).to_numpy()
    in_val = rows.as_of.isin(validation_dates).to_numpy()
    stored = baselines(rows.features[in_train])
    y_train, y_val = rows.label[in_train].to_numpy(), rows.label[in_val].to_numpy()
    figures: dict[str, Any] = {
        "train_rows": int(in_train.sum()), "train_churn_rows": int(y_train.sum()),
        "validation_rows": int(in_val.sum()), "validation_churn_rows": int(y_val.sum()),
        "validation_churners": int(rows.account[in_val][y_val == 1].nunique()),
        "train_dates": [d.isoformat() for d in train_dates[:1] + train_dates[-1:]],
        "validation_dates": [d.isoformat() for d in validation_dates[:1] + validation_dates[-1:]],
    }
    verdict = _cannot_train(figures, min_churners)
    if verdict:
        return Fitted(None, {}, None, None, figures, stored, False, verdict, train_dates, validation_dates)

    x_train = encode(rows.features[in_train], stored)
    x_val = encode(rows.features[in_val], stored)
    dataset = lgb.Dataset(x_train, label=y_train, categorical_feature=list(CATEGORICAL), free_raw_data=True)
    booster = lgb.train(PARAMS, dataset, num_boost_round=ROUNDS)
    raw = booster.predict(x_val, raw_score=True)
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y_val)
    calibration = {"x": [float(v) for v in isotonic.X_thresholds_], "y": [float(v) for v in isotonic.y_thresholds_]}
    probability = calibrate(raw, calibration)
    high = band_threshold(probability, TOP_BAND_SHARE)
    medium = min(high, band_threshold(probability, MEDIUM_BAND_SHARE))
    top = probability >= high
    rules = rows.risk_score[in_val].to_numpy()
    figures.update({
        "auc_model": round(float(roc_auc_score(y_val, raw)), 4),
        "auc_rules": round(float(roc_auc_score(y_val, rules)), 4),
        "brier": round(float(brier_score_loss(y_val, probability)), 4),
        "base_rate": round(float(y_val.mean()), 4),
        "top_band_rows": int(top.sum()),
        "top_band_precision": round(float(y_val[top].mean()), 4) if top.any() else 0.0,
        "top_band_recall": round(float(y_val[top].sum() / y_val.sum()), 4),
    })
    activate, reason = judge(figures, min_churners=min_churners)
    return Fitted(booster, calibration, high, medium, figures, stored, activate, reason, train_dates,
                  validation_dates)


def band_threshold(probability: np.ndarray, share: float) -> float:
    """The lowest probability from which at most `share` of the rows are flagged (the highest value when
    even its rows are more). Calibration gives plateaus of equal probabilities; a quantile that falls
    inside one would flag the whole plateau, so thresholds sit on plateau edges."""
    values, counts = np.unique(probability, return_counts=True)
    values, counts = values[::-1], counts[::-1]
    within = np.flatnonzero(np.cumsum(counts) <= share * len(probability))
    return float(values[within[-1]] if len(within) else values[0])


def _cannot_train(figures: dict[str, Any], min_churners: int) -> str:
    """Why there is nothing to train or judge with ("" when there is)."""
    if not figures["train_rows"] or not figures["validation_rows"]:
        return ("Not enough history: training needs scored dates at least 90 days apart from the validation "
                "dates, and every label needs 90 days after its date.")
    if figures["validation_churners"] < min_churners:
        return _too_few(figures, min_churners)
    if not figures["train_churn_rows"]:
        return "No account churned within 90 days of any training date: there is nothing to learn from."
    return ""


def _too_few(figures: dict[str, Any], min_churners: int) -> str:
    """Why too few churners in validation keep the model from being judged."""
    return (f"Too few churners to judge: {figures['validation_churners']} accounts churned within 90 days of the "
            f"validation dates; at least {min_churners} are needed.")


def judge(figures: dict[str, Any], *, min_churners: int = MIN_CHURNERS) -> tuple[bool, str]:
    """Whether the model may become active, and why, in words."""
    model, rules = figures["auc_model"], figures["auc_rules"]
    if figures["validation_churners"] < min_churners:
        return False, _too_few(figures, min_churners)
    if model <= rules:
        return False, (f"It does not beat the rules: AUC {model:.2f} against the rules' risk score {rules:.2f} on "
                       f"the same {figures['validation_rows']} validation rows.")
    if model < rules + AUC_MARGIN:
        return False, (f"It does not clearly beat the rules: AUC {model:.3f} against the rules' risk score "
                       f"{rules:.3f} on the same {figures['validation_rows']} validation rows, less than "
                       f"{AUC_MARGIN} better (a difference that small is within the noise of one validation).")
    return True, (f"It beats the rules: AUC {model:.2f} against the rules' risk score {rules:.2f} on "
                  f"{figures['validation_rows']} validation rows with {figures['validation_churners']} churners.")


def train_churn_model(*, as_of: dt.date | None = None, trigger: str = "command", user: User | None = None,
                      min_churners: int = MIN_CHURNERS, step_days: int = STEP_DAYS) -> ChurnModel:
    """Train on the history up to as_of (default: the latest usage day), a training date every `step_days`,
    store the model and activate it when it beats the rules (the previous active model is then retired)."""
    config_row = ensure_active_config()
    as_of = as_of or UsageDay.objects.aggregate(d=Max("date"))["d"] or timezone.localdate()
    start = history_start()
    dates = training_dates(start, as_of, step=step_days) if start else []
    train_dates, validation_dates = split_dates(dates)
    started = time.perf_counter()
    rows = labelled_rows(train_dates + validation_dates, parse_config(config_row.data))
    scored = time.perf_counter()
    fitted = fit(rows, train_dates, validation_dates, min_churners=min_churners)
    if not train_dates:
        first = UsageDay.objects.aggregate(d=Min("date"))["d"]
        had = f"{(as_of - first).days + 1} days from {first} to {as_of}" if first else "none"
        fitted.reason = (f"Not enough history: training needs about {history_needed(step_days)} days of usage "
                         f"history (dates to learn from, validation dates whose 90 days do not overlap theirs, and "
                         f"90 days after the last); this book has {had}.")
    # Where the time goes: scoring each date point in time dominates; the trees and calibration take little.
    fitted.validation.update({"scoring_config": config_row.version, "as_of": as_of.isoformat(),
                              "seconds_features": round(scored - started, 2),
                              "seconds_fit": round(time.perf_counter() - scored, 2)})
    model = model_store(fitted=fitted, trigger=trigger, user=user, rows=rows, as_of=as_of)
    logger.info("churn model v%s %s: %s", model.version, model.status, model.reason)
    return model


def model_store(*, fitted: Fitted, trigger: str, user: User | None, rows: TrainingRows,
                as_of: dt.date) -> ChurnModel:
    """Save the trained model: active (retiring the previous one) or rejected."""
    first = fitted.train_dates[0] if fitted.train_dates else as_of
    last = fitted.validation_dates[-1] if fitted.validation_dates else as_of
    values = {
        "trigger": trigger, "created_by": user, "trained_from": first, "trained_to": last,
        "rows": len(rows.label), "churners": int(rows.label.sum()), "features": list(FEATURE_NAMES),
        "booster": fitted.booster.model_to_string() if fitted.booster else "", "calibration": fitted.calibration,
        "band_high": fitted.band_high, "band_medium": fitted.band_medium, "validation": fitted.validation,
        "reason": fitted.reason, "baselines": fitted.baselines,
    }
    for _ in range(3):
        try:
            with transaction.atomic():
                version = (ChurnModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                if fitted.activate:
                    ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE).update(status=ChurnModelStatus.RETIRED)
                status = ChurnModelStatus.ACTIVE if fitted.activate else ChurnModelStatus.REJECTED
                return ChurnModel.objects.create(version=version, status=status, **values)
        except IntegrityError:  # another training took the version number (or activated) meanwhile: next one
            continue
    raise RuntimeError("could not store the churn model")
