"""The backtest (docs/score-accuracy.md): how well the scores of a past date foretold the churn that followed.

Point in time: the accounts live at a cut-off date D are scored as of D (their stored snapshots of D, or
the rules replayed over the raw tables dated up to D) and judged on whether they churned in (D, D + horizon].
Metrics are pure functions over one DataFrame per cut-off; each score to judge is a `Predictor` (a score
where higher means riskier, and named bands of flagged accounts): the rules' risk, health, and the churn model's
probability (the day's stored predictions, or the active model run on the cut-off), marked in-sample on dates
it was trained on. The Score accuracy page, its CSV export and `manage.py backtest` read this module.
"""

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, Q

from accounts.models import Account, ChurnEvent, Subscription, SupportTicket, UsageDay
from accounts.services import UNREACHABLE
from scoring.config import MEASURE_IDS, RULE_LABELS, Config, parse_config
from scoring.configs import ensure_active_config
from scoring.fetch import frame, sql_frame
from scoring.levels import FLAGGING_TIERS, SEVERE_TIERS, WARNING_LEVELS, Level
from scoring.models import ChurnModel, ChurnModelStatus, ChurnPrediction, RecomputeRun, Snapshot
from scoring.selectors import MEASURE_LABELS
from scoring.services import score_range

logger = logging.getLogger(__name__)

DEFAULT_HORIZON = 90
MAX_HORIZON = 730
CALIBRATION_BINS = 10
TREND_CUTOFFS = 6  # cut-offs in the "over time" table
TREND_STEP_DAYS = 30  # at least this far apart
CACHE_SECONDS = 24 * 3600
HORIZON_INCOMPLETE = "horizon not complete yet"


# Predictors ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    """A named group of flagged accounts: `flags` says, for the scored frame, which accounts it flags."""

    name: str
    flags: Callable[[pd.DataFrame], pd.Series]


def in_values(column: str, values: Iterable[str]) -> Callable[[pd.DataFrame], pd.Series]:
    """A band of the accounts whose `column` holds one of `values` (e.g. risk levels)."""
    wanted = tuple(values)
    return lambda book: book[column].isin(wanted)


def at_least(column: str, threshold: float) -> Callable[[pd.DataFrame], pd.Series]:
    """A band of the accounts whose `column` is at least `threshold` (e.g. a churn probability)."""
    return lambda book: book[column].ge(threshold).fillna(False)


@dataclass(frozen=True)
class Predictor:
    """One score judged by the backtest: `score_column` (higher = riskier; NaN = not scored), its
    `level_column` shown per account, its bands, and how a score reads as a probability (`to_probability`;
    rule scores are points, so score/100 is a scale, not a probability, which `is_probability` says)."""

    id: str
    label: str
    score_column: str
    level_column: str
    bands: tuple[Band, ...]
    headline_band: str
    to_probability: Callable[[pd.Series], pd.Series] = lambda s: s / 100.0
    is_probability: bool = False
    note: str = ""


RISK_PREDICTOR = Predictor(
    id="risk", label="Churn risk (rules)", score_column="risk_score", level_column="risk_level",
    bands=(Band("High", in_values("risk_level", (Level.HIGH,))),
           Band("High+Medium", in_values("risk_level", WARNING_LEVELS))),
    headline_band="High+Medium",
    note="Risk points 0-100; the calibration reads score/100, which is a scale, not a probability.",
)
HEALTH_PREDICTOR = Predictor(
    id="health", label="Health (100 − score)", score_column="health_risk", level_column="health_tier",
    bands=(Band("Critical+High risk", in_values("health_tier", SEVERE_TIERS)),
           Band("At risk or worse", in_values("health_tier", FLAGGING_TIERS))),
    headline_band="At risk or worse",
    note="100 − health score; accounts without any health data are in no band and left out of AUC and "
         "calibration. (100 − score)/100 is a scale, not a probability.",
)


MODEL_PREDICTOR = Predictor(
    id="model", label="Churn model (probability)", score_column="model_probability", level_column="model_band",
    bands=(Band("High", in_values("model_band", (Level.HIGH,))),
           Band("High+Medium", in_values("model_band", WARNING_LEVELS))),
    headline_band="High+Medium", to_probability=lambda s: s, is_probability=True,
    note="The model's calibrated probability of churn within 90 days: unlike the two scores above, this one IS a "
         "probability, so its calibration compares a predicted churn rate with the observed one. Bands by the "
         "model's own probability thresholds.",
)


def predictors() -> list[Predictor]:
    """Every predictor the backtest can judge, in display order (the model only where the book has its column)."""
    return [RISK_PREDICTOR, HEALTH_PREDICTOR, MODEL_PREDICTOR]


def judged_in(book: pd.DataFrame) -> list[Predictor]:
    """The predictors whose score the book carries."""
    return [p for p in predictors() if p.score_column in book]


def judged_by(result: "Backtest | None") -> list[Predictor]:
    """The predictors a backtest judged (for its per-account rows)."""
    return [p for p in predictors() if result is not None and result.predictor(p.id) is not None]


# Results ---------------------------------------------------------------------------------------------------

@dataclass
class BandResult:
    """How one band did: flagged accounts, churners caught, and the usual ratios (None: undefined)."""

    band: str
    flagged: int
    flagged_share: float | None
    caught: int
    churners: int
    recall: float | None
    precision: float | None
    f1: float | None
    accuracy: float | None
    lift: float | None

    @property
    def caught_text(self) -> str:
        return f"caught {self.caught} of {self.churners} churners"


@dataclass
class CalibrationBin:
    """One decile of the score: accounts, mean predicted value and observed churn rate."""

    decile: int
    accounts: int
    predicted: float
    observed: float
    score_from: float
    score_to: float


@dataclass
class PredictorResult:
    id: str
    label: str
    note: str
    is_probability: bool
    scored: int
    unscored: int
    auc: float | None
    bands: list[BandResult]
    calibration: list[CalibrationBin]
    headline_band: str
    detail: str = ""  # where the scores came from (the model: stored or predicted now, by which version)
    in_sample: str = ""  # the model on a date it was trained on: why its figures flatter it

    @property
    def headline(self) -> BandResult | None:
        return next((b for b in self.bands if b.band == self.headline_band), None)


@dataclass
class SignalResult:
    """One rule or measure as a churn signal: accounts it marks, their churn rate, lift, share of churners."""

    kind: str  # "rule" or "measure"
    id: str
    label: str
    accounts: int
    churners: int
    churn_rate: float | None
    lift: float | None
    churner_share: float | None
    auc: float | None = None


@dataclass
class Backtest:
    """The backtest of one cut-off: population, labels, every predictor's figures and the signals."""

    as_of: dt.date
    horizon: int
    source: str  # "snapshots" or "rescored"
    latest_data: dt.date | None
    accounts: int
    churners: int
    base_rate: float | None
    predictors: list[PredictorResult]
    signals: list[SignalResult] = field(default_factory=list)
    book: pd.DataFrame | None = None  # one row per live account: scores, levels, churned, churn_date
    model_missing: str = ""  # why the churn model is not judged (no model yet, or the last one was rejected)

    @property
    def complete(self) -> bool:
        """Whether every day of the horizon has data (otherwise the churn counts are a floor)."""
        return self.latest_data is not None and self.latest_data >= self.as_of + dt.timedelta(days=self.horizon)

    @property
    def status(self) -> str:
        return "complete" if self.complete else HORIZON_INCOMPLETE

    def predictor(self, predictor_id: str) -> PredictorResult | None:
        return next((p for p in self.predictors if p.id == predictor_id), None)


# Metrics (pure) --------------------------------------------------------------------------------------------

def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def band_metrics(name: str, flagged: np.ndarray, churned: np.ndarray) -> BandResult:
    """Confusion-matrix figures of one band over the population (flagged and churned: boolean arrays)."""
    n = len(churned)
    flagged = np.asarray(flagged, dtype=bool)
    churned = np.asarray(churned, dtype=bool)
    caught = int((flagged & churned).sum())
    n_flagged, churners = int(flagged.sum()), int(churned.sum())
    true_negatives = int((~flagged & ~churned).sum())
    recall, precision = _ratio(caught, churners), _ratio(caught, n_flagged)
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0 else
          0.0 if churners and n_flagged else None)
    base = _ratio(churners, n)
    return BandResult(band=name, flagged=n_flagged, flagged_share=_ratio(n_flagged, n), caught=caught,
                      churners=churners, recall=recall, precision=precision, f1=f1,
                      accuracy=_ratio(caught + true_negatives, n),
                      lift=precision / base if precision is not None and base else None)


def auc(score: pd.Series, churned: pd.Series) -> float | None:
    """ROC AUC of a score (higher = riskier) over the accounts it scored; None with one class only."""
    known = score.notna()
    labels = churned[known].to_numpy(dtype=bool)
    if labels.all() or not labels.any():
        return None
    # scikit-learn, and SciPy with it (about 100 MiB): loaded by what computes an AUC, not by every process that loads
    # the site's addresses (the accuracy page imports this module), among them each Celery worker, whose start runs
    # Django's checks and with them the addresses.
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, score[known].to_numpy(dtype="float64")))


def calibration(predicted: pd.Series, churned: pd.Series, bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Mean predicted value against observed churn rate per decile of the prediction (equal-count bins,
    ties split by order so every bin has its share of accounts)."""
    known = predicted.notna()
    values, labels = predicted[known].to_numpy(dtype="float64"), churned[known].to_numpy(dtype=bool)
    if len(values) == 0:
        return []
    order = np.argsort(values, kind="stable")
    result = []
    for decile, chunk in enumerate(np.array_split(order, min(bins, len(values))), 1):
        if len(chunk) == 0:
            continue
        result.append(CalibrationBin(decile=decile, accounts=len(chunk), predicted=float(values[chunk].mean()),
                                     observed=float(labels[chunk].mean()), score_from=float(values[chunk].min()),
                                     score_to=float(values[chunk].max())))
    return result


def judge(book: pd.DataFrame, predictor: Predictor) -> PredictorResult:
    """Every figure of one predictor over the scored book (columns: churned and the predictor's)."""
    churned = book["churned"].astype(bool)
    score = book[predictor.score_column].astype("float64")
    bands = [band_metrics(band.name, band.flags(book).fillna(False).to_numpy(dtype=bool), churned.to_numpy())
             for band in predictor.bands]
    return PredictorResult(
        id=predictor.id, label=predictor.label, note=predictor.note, is_probability=predictor.is_probability,
        scored=int(score.notna().sum()), unscored=int(score.isna().sum()), auc=auc(score, churned), bands=bands,
        calibration=calibration(predictor.to_probability(score), churned), headline_band=predictor.headline_band,
    )


def rule_signals(rules: pd.Series, churned: pd.Series) -> list[SignalResult]:
    """Per risk rule that fired on some account (`rules`: the list of fired rule ids per account): the accounts
    it fired on, their churn rate, lift against the base rate and the share of all churners among them."""
    positions = pd.Series(rules.to_numpy(), index=np.arange(len(rules))).explode().dropna()
    if positions.empty:
        return []
    hits = pd.DataFrame({"position": positions.index, "rule": positions.to_numpy()}).drop_duplicates()
    hits["churned"] = churned.to_numpy(dtype=bool)[hits["position"].to_numpy()]
    per_rule = hits.groupby("rule")["churned"].agg(accounts="size", churners="sum")
    return [_signal("rule", rule, RULE_LABELS.get(rule, rule.replace("_", " ").capitalize()), int(row.accounts),
                    int(row.churners), churned) for rule, row in per_rule.iterrows()]


def measure_signals(scores: pd.DataFrame, churned: pd.Series) -> list[SignalResult]:
    """Per health measure (columns of 0-100 scores, higher = healthier, NaN = no data): churn rate and lift
    of the accounts in its worst quartile, and its AUC as a predictor by itself (100 - score)."""
    result = []
    for measure in scores.columns:
        score = scores[measure].astype("float64")
        known = score.notna()
        if known.sum() < 2:
            continue
        worst = known & (score <= score[known].quantile(0.25))
        result.append(_signal("measure", measure, MEASURE_LABELS.get(measure, measure), int(worst.sum()),
                              int((worst & churned).sum()), churned, auc=auc(100 - score, churned)))
    return result


def _signal(kind: str, signal_id: str, label: str, accounts: int, churners: int, churned: pd.Series,
            auc: float | None = None) -> SignalResult:
    base = _ratio(int(churned.sum()), len(churned))
    rate = _ratio(churners, accounts)
    return SignalResult(kind=kind, id=signal_id, label=label, accounts=accounts, churners=churners, churn_rate=rate,
                        lift=rate / base if rate is not None and base else None,
                        churner_share=_ratio(churners, int(churned.sum())), auc=auc)


def by_lift(signals: list[SignalResult]) -> list[SignalResult]:
    """Signals from the strongest lift down (undefined lift last), then by accounts marked."""
    return sorted(signals, key=lambda s: (s.lift is None, -(s.lift or 0.0), -s.accounts, s.id))


MEASURE_PREFIX = "measure:"


def detail_from_documents(measures: pd.Series, fired_rules: pd.Series) -> pd.DataFrame:
    """The signal columns from stored documents: `rules` (the fired rule ids per account) and one
    "measure:<id>" column per measure with its 0-100 score ({id: [raw, score, points]}, as a dict or its
    JSON text). An account without a snapshot (NaN) has no rule and no measure."""
    docs = [json.loads(m) if isinstance(m, str) else m if isinstance(m, dict) else {} for m in measures.tolist()]
    ids = sorted({key for doc in docs for key in doc})
    detail = pd.DataFrame({f"{MEASURE_PREFIX}{mid}": [(doc.get(mid) or [None, None])[1] for doc in docs]
                           for mid in ids}, index=measures.index, dtype="float64")
    detail["rules"] = [[item["rule"] for item in fired if isinstance(item, dict) and "rule" in item]
                       if isinstance(fired, list) else [] for fired in fired_rules.tolist()]
    return detail


def with_detail(book: pd.DataFrame) -> pd.DataFrame:
    """The book with its signal columns, converted from the stored documents when it carries those."""
    if "fired_rules" not in book and "measures" not in book:
        return book
    detail = detail_from_documents(book.get("measures", pd.Series(None, index=book.index, dtype=object)),
                                   book.get("fired_rules", pd.Series(None, index=book.index, dtype=object)))
    return book.drop(columns=[c for c in DETAIL_COLUMNS if c in book]).join(detail)


def evaluate(book: pd.DataFrame, *, as_of: dt.date, horizon: int, source: str, latest_data: dt.date | None,
             with_signals: bool = True, judged: list[Predictor] | None = None) -> Backtest:
    """Every figure of one cut-off from its scored book (one row per live account with `churned`)."""
    churned = book["churned"].astype(bool)
    result = Backtest(as_of=as_of, horizon=horizon, source=source, latest_data=latest_data, accounts=len(book),
                      churners=int(churned.sum()), base_rate=_ratio(int(churned.sum()), len(book)),
                      predictors=[judge(book, p) for p in (judged or judged_in(book))])
    if with_signals:
        book = with_detail(book)
        signals = rule_signals(book["rules"], churned) if "rules" in book else []
        measures = book[[c for c in book.columns if c.startswith(MEASURE_PREFIX)]]
        signals += measure_signals(measures.rename(columns=lambda c: c[len(MEASURE_PREFIX):]), churned)
        result.signals = by_lift(signals)
    return result


# Selectors: population, labels and scores of a cut-off -----------------------------------------------------

def live_accounts(as_of: dt.date) -> pd.DataFrame:
    """The accounts that were customers on the cut-off: signed up on or before it (or no sign-up date) and not
    churned then. An account whose last churn event on or before the cut-off was followed by a subscription
    starting after that churn and by the cut-off had come back (reactivated) and counts as live."""
    accounts = frame(Account.objects.order_by().values_list("id", "external_id", "name", "signup_date"),
                     ["account_id", "external_id", "name", "signup_date"]).set_index("account_id")
    signed = pd.to_datetime(accounts["signup_date"])
    accounts = accounts[signed.isna() | (signed <= pd.Timestamp(as_of))]
    churns = frame(ChurnEvent.objects.filter(churn_date__lte=as_of).order_by().values_list("account_id")
                   .annotate(last=Max("churn_date")), ["account_id", "last_churn"]).set_index("account_id")
    restarts = frame(Subscription.objects.filter(start_date__lte=as_of).order_by().values_list("account_id")
                     .annotate(last=Max("start_date")), ["account_id", "last_start"]).set_index("account_id")
    gone = churns.join(restarts, how="left")
    gone = gone[gone["last_start"].isna() | (pd.to_datetime(gone["last_start"]) <= pd.to_datetime(gone["last_churn"]))]
    return accounts.drop(index=gone.index, errors="ignore").drop(columns="signup_date")


def churn_labels(as_of: dt.date, horizon: int) -> pd.Series:
    """The first churn date in (as_of, as_of + horizon] of every account that churned then."""
    qs = (ChurnEvent.objects.filter(churn_date__gt=as_of, churn_date__lte=as_of + dt.timedelta(days=horizon))
          .order_by().values_list("account_id").annotate(first=Min("churn_date")))
    return frame(qs, ["account_id", "churn_date"]).set_index("account_id")["churn_date"]


SNAPSHOT_COLUMNS = ["account_id", "risk_score", "risk_level", "health_score", "health_tier"]
DETAIL_COLUMNS = ["measures", "fired_rules"]


def snapshot_scores(as_of: dt.date, *, detail: bool = True) -> pd.DataFrame:
    """The stored scores of the cut-off, in one query of only the columns the backtest reads. With `detail`,
    the fired rule ids and every measure's 0-100 score too, picked out of the JSON documents by the database
    (decoding 20,000 whole documents in Python took seconds)."""
    qs = Snapshot.objects.filter(as_of=as_of).order_by()
    if not detail:
        return frame(qs.values_list(*SNAPSHOT_COLUMNS), SNAPSHOT_COLUMNS).set_index("account_id")
    table, quote = Snapshot._meta.db_table, connection.ops.quote_name
    # The documents are stored as json (text): json_to_record parses each once and hands every measure's
    # [raw, score, points] over as a column (picking them out one by one would parse it once per measure).
    picked = ", ".join(f"(doc.{quote(m)}->>1)::float8" for m in MEASURE_IDS)
    declared = ", ".join(f"{quote(m)} json" for m in MEASURE_IDS)
    sql = (f"SELECT {', '.join(f's.{c}' for c in SNAPSHOT_COLUMNS)}, "
           f"ARRAY(SELECT item->>'rule' FROM json_array_elements(s.fired_rules) AS item), {picked} "
           f"FROM {table} AS s CROSS JOIN LATERAL json_to_record(s.measures) AS doc({declared}) "
           f"WHERE s.as_of = %s")
    columns = [*SNAPSHOT_COLUMNS, "rules", *(f"{MEASURE_PREFIX}{m}" for m in MEASURE_IDS)]
    book = sql_frame(sql, [as_of], columns).set_index("account_id")
    scored = [c for c in columns if c.startswith(MEASURE_PREFIX)]
    book[scored] = book[scored].astype("float64")
    # Measures no snapshot of the date scored (switched off in its configuration) are not signals.
    return book.drop(columns=[c for c in scored if book[c].isna().all()])


def rescored_scores(as_of: dt.date, config: Config) -> pd.DataFrame:
    """The rules and measures replayed as of the cut-off over the raw tables (nothing is written)."""
    scores, _ = score_range(as_of=as_of, config=config)
    acc = scores.accounts
    return acc[SNAPSHOT_COLUMNS[1:] + DETAIL_COLUMNS].rename_axis("account_id")


def scored_book(as_of: dt.date, horizon: int, scores: pd.DataFrame) -> pd.DataFrame:
    """The live accounts of the cut-off with their scores and labels (churned, churn_date)."""
    book = live_accounts(as_of).join(scores, how="left")
    labels = churn_labels(as_of, horizon)
    book["churn_date"] = labels.reindex(book.index)
    book["churned"] = book["churn_date"].notna()
    book["risk_score"] = pd.to_numeric(book["risk_score"], errors="coerce").astype("float64")
    book["health_score"] = pd.to_numeric(book["health_score"], errors="coerce").astype("float64")
    book["health_risk"] = 100.0 - book["health_score"]
    for column in ("risk_level", "health_tier"):
        book[column] = book[column].fillna("").astype(str)
    return book


# The churn model's probabilities of a cut-off ---------------------------------------------------------------

MODEL_COLUMNS = ["model_probability", "model_band"]
MODEL_FIELDS = ("pk", "version", "status", "created_at", "trained_from", "trained_to", "band_high", "band_medium",
                "reason")


@dataclass
class ModelScores:
    """The churn model's probability and band per account on a cut-off (`scores`, empty when there are none),
    which models gave them, whether they were stored that day or predicted now, and why there are none."""

    scores: pd.DataFrame
    models: list[ChurnModel]
    source: str = ""  # "stored" or "predicted"
    missing: str = ""


def stored_predictions(as_of: dt.date) -> pd.DataFrame:
    """The churn predictions stored for the cut-off (probability, band, model id per account), in one query."""
    qs = ChurnPrediction.objects.filter(as_of=as_of).order_by().values_list("account_id", "probability", "band",
                                                                            "model_id")
    return frame(qs, ["account_id", *MODEL_COLUMNS, "model_id"]).set_index("account_id")


def model_missing() -> str:
    """Why no churn model can be judged: none trained yet, the last one rejected (its reason), or none active."""
    latest = ChurnModel.objects.only(*MODEL_FIELDS).order_by("-version").first()
    if latest is None:
        return ("No churn model has been trained yet, so only the rules are judged: one is trained every week from "
                "the book's own history and activated once it beats the rules.")
    if latest.status == ChurnModelStatus.REJECTED:
        return (f"No churn model is active: the last one (version {latest.version}, trained "
                f"{latest.created_at:%Y-%m-%d}) was not activated. {latest.reason}")
    return (f"No churn model is active (the last one, version {latest.version}, was retired) and none predicted "
            f"this date.")


def model_scores(as_of: dt.date, *, rescore: bool = False) -> ModelScores:
    """The model's probabilities of the cut-off: its stored predictions of that day when there are any (and no
    `rescore`), else the active model run on the data dated up to the cut-off (nothing is written)."""
    stored = stored_predictions(as_of)
    active = ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE).first() if rescore or stored.empty else None
    if not stored.empty and active is None:  # (asked to replay without a model to replay with: the day's own)
        models = list(ChurnModel.objects.filter(pk__in=stored["model_id"].unique().tolist()).only(*MODEL_FIELDS))
        return ModelScores(scores=stored[MODEL_COLUMNS], models=models, source="stored")
    if active is None:
        return ModelScores(scores=pd.DataFrame(columns=MODEL_COLUMNS), models=[], missing=model_missing())
    # LightGBM: loaded when a backtest runs the model, not by the pages nor by a backtest without one to run
    from scoring.model.predict import band_of, probabilities

    probability = probabilities(as_of, active)
    scores = pd.DataFrame({"model_probability": probability.astype("float64"),
                           "model_band": band_of(probability.to_numpy(), active)}, index=probability.index)
    return ModelScores(scores=scores.rename_axis("account_id"), models=[active], source="predicted")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def model_detail(found: ModelScores, as_of: dt.date, horizon: int) -> str:
    """Where the model's figures come from, in words: which version, stored or predicted now, its thresholds."""
    versions = ", ".join(f"version {m.version} (High from {_share(m.band_high)}, Medium from "
                         f"{_share(m.band_medium)})" for m in sorted(found.models, key=lambda m: m.version))
    text = (f"The predictions stored on {as_of} by {versions}." if found.source == "stored" else
            f"Predicted now by the active model, {versions}, from the data dated up to {as_of}; nothing was stored.")
    if horizon != 90:
        text += f" The model predicts churn within 90 days; it is judged here on {horizon}."
    return text


def in_sample_note(as_of: dt.date, models: list[ChurnModel]) -> str:
    """When the cut-off lies in the training range of a model judged on it: say so (its figures flatter it)."""
    inside = [m for m in models if m.trained_from <= as_of <= m.trained_to]
    if not inside:
        return ""
    m = inside[0]
    return (f"in-sample: trained on this period (version {m.version} learned from {m.trained_from} to "
            f"{m.trained_to}), so these figures flatter it; judge it on a cut-off after {m.trained_to}.")


def latest_data_date() -> dt.date | None:
    """The newest date the book holds data for (usage, tickets, churn events, snapshots)."""
    days = [UsageDay.objects.aggregate(d=Max("date"))["d"], ChurnEvent.objects.aggregate(d=Max("churn_date"))["d"],
            Snapshot.objects.aggregate(d=Max("as_of"))["d"]]
    ticket = SupportTicket.objects.aggregate(d=Max("submitted_at"))["d"]
    days.append(ticket.date() if ticket else None)
    known = [d for d in days if d is not None]
    return max(known) if known else None


def snapshot_dates() -> list[dt.date]:
    """Every date with stored snapshots, newest first."""
    return list(Snapshot.objects.order_by("-as_of").values_list("as_of", flat=True).distinct())


def run_backtest(*, as_of: dt.date, horizon: int = DEFAULT_HORIZON, rescore: bool = False,
                 config: Config | None = None, with_signals: bool = True,
                 latest_data: dt.date | None = None) -> Backtest:
    """The backtest of one cut-off: from its snapshots, or rescored from the raw tables when asked (or when
    the date has no snapshots), with the given configuration or the active one; the churn model from the day's
    stored predictions, or the active model run on the cut-off (with `rescore`, or when none were stored)."""
    stored = None if rescore else snapshot_scores(as_of, detail=with_signals)
    if stored is None or stored.empty:
        if config is None:
            config = parse_config(ensure_active_config().data)
        scores, source = rescored_scores(as_of, config), "rescored"
    else:
        scores, source = stored, "snapshots"
    book = scored_book(as_of, horizon, scores)
    model = model_scores(as_of, rescore=rescore)
    if not model.missing:
        book = book.join(model.scores, how="left")
        book["model_probability"] = pd.to_numeric(book["model_probability"], errors="coerce").astype("float64")
        book["model_band"] = book["model_band"].fillna("").astype(str)
    result = evaluate(book, as_of=as_of, horizon=horizon, source=source,
                      latest_data=latest_data if latest_data is not None else latest_data_date(),
                      with_signals=with_signals)
    result.model_missing = model.missing
    judged_model = result.predictor(MODEL_PREDICTOR.id)
    if judged_model is not None:
        judged_model.detail = model_detail(model, as_of, horizon)
        judged_model.in_sample = in_sample_note(as_of, model.models)
    result.book = book[[c for c in book.columns if c not in DETAIL_COLUMNS and c != "rules"
                        and not c.startswith(MEASURE_PREFIX)]]
    return result


def cutoff_choices(dates: list[dt.date], latest_data: dt.date | None, horizon: int) -> dt.date | None:
    """The default cut-off: the latest snapshot date whose horizon is complete, else the latest."""
    for day in dates:
        if latest_data is not None and day + dt.timedelta(days=horizon) <= latest_data:
            return day
    return dates[0] if dates else None


def trend_dates(dates: list[dt.date], chosen: dt.date, count: int = TREND_CUTOFFS,
                step: int = TREND_STEP_DAYS) -> list[dt.date]:
    """Up to `count` snapshot dates from the chosen cut-off back, at least `step` days apart, oldest first."""
    picked: list[dt.date] = []
    for day in sorted((d for d in dates if d <= chosen), reverse=True):
        if not picked or (picked[-1] - day).days >= step:
            picked.append(day)
        if len(picked) == count:
            break
    return picked[::-1]


# Cached reads for the page ---------------------------------------------------------------------------------

def book_version() -> str:
    """What the cached results depend on: the latest recompute run, the newest snapshot date, the accounts, the
    churn events, the churn models (the latest and the active one) and the stored predictions (a day predicted
    again gets new ids): six index-only aggregates."""
    run = RecomputeRun.objects.order_by("-pk").values_list("pk", "batches_done", "status").first()
    newest = Snapshot.objects.aggregate(d=Max("as_of"))["d"]
    accounts = Account.objects.aggregate(n=Count("id"), last=Max("id"))
    churns = ChurnEvent.objects.aggregate(n=Count("id"), last=Max("id"))
    models = ChurnModel.objects.aggregate(last=Max("id"), active=Max("id", filter=Q(status=ChurnModelStatus.ACTIVE)))
    predicted = ChurnPrediction.objects.aggregate(last=Max("id"))["last"]
    run_key = "-".join(str(part) for part in run) if run else "none"
    return (f"{run_key}:{newest}:{accounts['n']}:{accounts['last']}:{churns['n']}:{churns['last']}:"
            f"{models['last']}-{models['active']}:{predicted}")


def _cached(key: str, compute: Callable[[], object]) -> object:
    """The cached value of `key`, or computed and cached; works on without the cache (Redis down)."""
    try:
        found = cache.get(key)
    except UNREACHABLE as error:
        logger.warning("Backtest cache unavailable: %s", error)
        return compute()
    if found is not None:
        return found
    value = compute()
    try:
        cache.set(key, value, timeout=CACHE_SECONDS)
    except UNREACHABLE as error:
        logger.warning("Backtest cache unavailable: %s", error)
    return value


@dataclass
class AccuracyReport:
    """What the Score accuracy page shows for one cut-off and horizon (`problem`: why it shows nothing)."""

    dates: list[dt.date]
    as_of: dt.date | None
    horizon: int
    latest_data: dt.date | None
    backtest: Backtest | None
    trend: list[Backtest]
    problem: str = ""


def accuracy_report(*, as_of: dt.date | None, horizon: int) -> AccuracyReport:
    """The page's figures: the chosen cut-off (default: latest with a complete horizon) and a few earlier
    ones, each computed once per book version and cached."""
    version = book_version()
    dates, latest = accuracy_dates(version)
    if as_of is not None and as_of not in dates:  # the page replays no date: that is the command's work
        return AccuracyReport(dates=dates, as_of=None, horizon=horizon, latest_data=latest, backtest=None, trend=[],
                              problem=f"There are no stored scores of {as_of}; pick one of the listed dates (or "
                                      f"replay any date with `python manage.py backtest --as-of {as_of} --rescore`).")
    chosen = as_of or cutoff_choices(dates, latest, horizon)
    if chosen is None:
        return AccuracyReport(dates=dates, as_of=None, horizon=horizon, latest_data=latest, backtest=None, trend=[])
    main = _cached(f"backtest:full:{chosen}:{horizon}:{version}",
                   lambda: run_backtest(as_of=chosen, horizon=horizon, latest_data=latest))
    trend = []
    for day in trend_dates(dates, chosen):
        if day == chosen:
            trend.append(main)
            continue
        light = _cached(f"backtest:light:{day}:{horizon}:{version}",
                        lambda day=day: _without_book(run_backtest(as_of=day, horizon=horizon, with_signals=False,
                                                                   latest_data=latest)))
        trend.append(light)
    return AccuracyReport(dates=dates, as_of=chosen, horizon=horizon, latest_data=latest, backtest=main, trend=trend)


def accuracy_dates(version: str | None = None) -> tuple[list[dt.date], dt.date | None]:
    """The snapshot dates (newest first) and the latest data date, cached per book version."""
    version = version or book_version()
    return _cached(f"backtest:dates:{version}", lambda: (snapshot_dates(), latest_data_date()))


def _without_book(result: Backtest) -> Backtest:
    result.book = None
    return result


# One row per account, for the CSV export and the command ---------------------------------------------------

def account_rows(result: Backtest | None) -> tuple[list[str], list[list]]:
    """Header and rows: external id, name, each predictor's score (higher = riskier: health_risk is 100 - health)
    and level and whether each band flagged the account, churned, churn date."""
    book = result.book if result is not None and result.book is not None else pd.DataFrame()
    judged = judged_by(result)
    header = ["external_id", "name"]
    for p in judged:
        header += [p.score_column, p.level_column, *[f"{p.id}_{_slug(b.name)}" for b in p.bands]]
    header += ["churned", "churn_date"]
    if book.empty:
        return header, []
    book = book.sort_values("external_id")
    columns: list[list] = [book["external_id"].tolist(), book["name"].tolist()]
    for p in judged:
        score = book[p.score_column].astype("float64").round(4 if p.is_probability else 1)
        columns.append([None if np.isnan(v) else v for v in score.tolist()])
        columns.append(book[p.level_column].tolist())
        columns += [["yes" if f else "no" for f in b.flags(book).fillna(False).tolist()] for b in p.bands]
    columns.append(["yes" if c else "no" for c in book["churned"].tolist()])
    columns.append([d.isoformat() if isinstance(d, dt.date) else "" for d in book["churn_date"].tolist()])
    return header, [list(row) for row in zip(*columns, strict=True)]


def _slug(name: str) -> str:
    return name.lower().replace("+", "_").replace(" ", "_")


def churner_rows(result: Backtest) -> list[dict]:
    """The churners of the horizon, first to churn first: their levels at the cut-off and which bands flagged
    them."""
    book = result.book
    if book is None or book.empty or not result.churners:
        return []
    judged = judged_by(result)
    churners = book[book["churned"]].sort_values(["churn_date", "name"])
    flags = {p.id: {b.name: b.flags(churners).fillna(False).tolist() for b in p.bands} for p in judged}
    rows = []
    for i, (external_id, name, churn_date) in enumerate(zip(churners["external_id"], churners["name"],
                                                           churners["churn_date"], strict=True)):
        rows.append({"external_id": external_id, "name": name, "churn_date": churn_date,
                     "levels": [{"predictor": p.label, "level": churners[p.level_column].iloc[i] or "not scored",
                                 "caught_by": [b for b, f in flags[p.id].items() if f[i]]} for p in judged]})
    return rows
