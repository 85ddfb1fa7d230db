"""A book of ten accounts with stored snapshots on a cut-off and two churners after it (a0 and a3), for the
Score accuracy page and the backtest command: the same scores as the hand-built book of test_backtest, so the
figures are known exactly (risk High+Medium catches 2 of 2 at 40% precision, AUC 0.8125); and a churn model's
stored predictions of the cut-off (model High+Medium catches 2 of 2 at 40%, AUC 11/14)."""

import datetime as dt

import pandas as pd

from accounts.models import Account
from scoring.models import ChurnModel, ChurnModelStatus, ChurnPrediction
from tests.factories import AccountFactory, ChurnEventFactory, SnapshotFactory


def hand_built_book() -> pd.DataFrame:
    """Ten accounts, a0 and a3 churned; risk levels, health tiers and fired rules chosen by hand (a5 has no
    health data)."""
    health = [15, 70, 55, 45, 85, None, 30, 90, 65, 75]
    rules = [["usage_drop", "churn_intent"], ["usage_drop"], ["error_volume"], ["churn_intent"], ["error_volume"],
             [], [], [], [], ["error_volume"]]
    trend = [10, 80, 60, 20, 90, None, 70, 85, 50, 40]
    book = pd.DataFrame({
        "external_id": [f"a{i}" for i in range(10)],
        "churned": [i in (0, 3) for i in range(10)],
        "risk_score": [70, 65, 45, 35, 20, 10, 5, 0, 0, 50],
        "risk_level": ["High", "High", "Medium", "Medium", "Low", "Low", "Low", "Low", "Low", "Medium"],
        "health_score": health,
        "health_tier": ["Critical", "Healthy", "At risk", "At risk", "Thriving", "", "High risk", "Thriving",
                        "Healthy", "Healthy"],
        "fired_rules": [[{"rule": r, "points": 10, "reason": f"{r} fired", "evidence": {}} for r in fired]
                        for fired in rules],
        "measures": [{"usage_trend_30d": [None, t, None], "payment_health": [1.0, None if t is None else 50.0, 2.0]}
                     for t in trend],
    })
    book["health_score"] = book["health_score"].astype("float64")
    book["health_risk"] = 100.0 - book["health_score"]
    return book


CUT_OFF = dt.date(2025, 3, 31)
LATER = CUT_OFF + dt.timedelta(days=95)  # a second scored date: the cut-off's 90 days are complete by then


def build_snapshot_book(csm=None) -> list[Account]:
    """The ten accounts, their snapshots of CUT_OFF, one snapshot of LATER and the two churn events."""
    accounts = []
    for row in hand_built_book().to_dict("records"):
        account = AccountFactory(external_id=row["external_id"], name=f"Clinic {row['external_id']}", csm=csm,
                                 signup_date=CUT_OFF - dt.timedelta(days=365))
        health = None if row["health_score"] != row["health_score"] else row["health_score"]
        SnapshotFactory(account=account, as_of=CUT_OFF, risk_score=row["risk_score"], risk_level=row["risk_level"],
                        health_score=health, health_tier=row["health_tier"], fired_rules=row["fired_rules"],
                        measures=row["measures"])
        accounts.append(account)
    SnapshotFactory(account=accounts[5], as_of=LATER)
    for index in (0, 3):
        ChurnEventFactory(account=accounts[index], churn_date=CUT_OFF + dt.timedelta(days=30 + index))
    return accounts


# The model's probability per account of the book (a8 was not predicted): High from 0.5, Medium from 0.2, so High
# flags a0 and a1, High+Medium a0, a1, a2, a3 and a9; churners a0 (0.8) and a3 (0.25) outrank 7 and 4 of the 7
# non-churners predicted: AUC 11/14.
PROBABILITIES = [0.8, 0.6, 0.3, 0.25, 0.1, 0.05, 0.15, 0.02, None, 0.4]


VALIDATION = {"auc_model": 0.8, "auc_rules": 0.7, "top_band_precision": 0.5, "top_band_recall": 0.4, "brier": 0.1,
              "validation_rows": 900, "validation_churners": 60}


def churn_model(*, trained_from: dt.date, trained_to: dt.date, status: str = ChurnModelStatus.ACTIVE,
                version: int = 1, reason: str = "It beats the rules.") -> ChurnModel:
    """A churn model row with its band thresholds (no booster: only its stored predictions are judged)."""
    return ChurnModel.objects.create(version=version, status=status, trigger="command", trained_from=trained_from,
                                     trained_to=trained_to, band_high=0.5, band_medium=0.2, reason=reason,
                                     validation=VALIDATION)


def store_predictions(accounts: list[Account], model: ChurnModel, as_of: dt.date = CUT_OFF) -> None:
    """The model's predictions of the book on `as_of`, banded by its thresholds."""
    ChurnPrediction.objects.bulk_create(
        ChurnPrediction(account=account, as_of=as_of, model=model, probability=p,
                        band="High" if p >= model.band_high else "Medium" if p >= model.band_medium else "Low")
        for account, p in zip(accounts, PROBABILITIES, strict=True) if p is not None)
