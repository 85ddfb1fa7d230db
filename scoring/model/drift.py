"""Population stability of the churn model's features: does a day's book still look like the one it learned from?

At training, each feature's distribution is stored on the model (`baselines`): numbers as the training shares of
ten quantile bins, categories as the share of each value, and in both the share of missing values. A day's
features are binned the same way and compared with the population stability index,
PSI = sum((day share - training share) * ln(day share / training share)); above 0.2 is a shift worth a warning.
"""

from typing import Any

import numpy as np
import pandas as pd

from scoring.model.features import CATEGORICAL

WARNING_PSI = 0.2
BINS = 10
FLOOR = 1e-4  # an empty bin counts as this share, so the logarithm stays finite


def _numeric_counts(values: pd.Series, edges: list[float]) -> np.ndarray:
    """How many values fall in each bin between the edges (len(edges) + 1 bins), then the missing ones."""
    x = values.to_numpy(dtype="float64")
    missing = np.isnan(x)
    bins = np.searchsorted(np.asarray(edges, dtype="float64"), x[~missing], side="right")
    return np.append(np.bincount(bins, minlength=len(edges) + 1), missing.sum())


def _category_counts(values: pd.Series, categories: list[str]) -> np.ndarray:
    """How many values are each category, then the missing ones (and unseen values) together."""
    text = values.astype(object)
    counts = [int((text == c).sum()) for c in categories]
    return np.append(counts, len(text) - sum(counts))


def baselines(features: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each feature's training distribution: bin edges (or categories) and the share of rows in each bin."""
    out: dict[str, dict[str, Any]] = {}
    for name in features.columns:
        column = features[name]
        if name in CATEGORICAL:
            categories = sorted(column.dropna().astype(str).unique().tolist())
            counts = _category_counts(column, categories)
            out[name] = {"categories": categories, "shares": (counts / max(len(column), 1)).round(6).tolist()}
            continue
        known = column.dropna().to_numpy(dtype="float64")
        quantiles = np.quantile(known, np.linspace(0, 1, BINS + 1)[1:-1]) if len(known) else np.array([])
        edges = np.unique(quantiles).tolist()
        counts = _numeric_counts(column, edges)
        out[name] = {"edges": edges, "shares": (counts / max(len(column), 1)).round(6).tolist()}
    return out


def population_stability(features: pd.DataFrame, stored: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The PSI of each feature of a day against the stored training distribution (rounded to 4 places)."""
    result: dict[str, float] = {}
    for name, base in stored.items():
        if name not in features:
            continue
        column = features[name]
        counts = (_category_counts(column, base["categories"]) if "categories" in base
                  else _numeric_counts(column, base["edges"]))
        actual = np.maximum(counts / max(len(column), 1), FLOOR)
        expected = np.maximum(np.asarray(base["shares"], dtype="float64"), FLOOR)
        result[name] = round(float(np.sum((actual - expected) * np.log(actual / expected))), 4)
    return result
