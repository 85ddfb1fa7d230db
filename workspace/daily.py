"""The daily run in one place: score the book as of a date, then what follows a scored day — the planner's
statistics, the churn model's predictions, expansion signals and playbook firing — in that order, each step
idempotent. The daily schedule (workspace.tasks.finish_day after the queued batches), `recompute_scores` and
`seed_demo` all run the day through here."""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from expansion.detection import DetectionReport, detect_signals
from interventions.firing import FiringReport, fire_playbooks
from scoring.fetch import shared_reads
from scoring.selectors import active_model
from scoring.services import RecomputeReport, recompute_scores, snapshot_statistics_refresh


@dataclass
class DayReport:
    """What a day's run did: its scores (None when they were written elsewhere), the churn predictions written,
    the expansion signals (None when skipped) and the playbook firings."""

    as_of: dt.date
    scores: RecomputeReport | None
    predicted: int
    signals: DetectionReport | None
    firing: FiringReport


def finish_day(as_of: dt.date, *, now: dt.datetime | None = None, rng: random.Random | None = None,
               signals: bool = True) -> DayReport:
    """What follows a scored day. `now` dates what fires (a replayed morning; default: now), `rng` draws the
    control groups (default: fresh randomness), `signals=False` skips expansion signals (a day without the
    60 days of usage they compare)."""
    snapshot_statistics_refresh()
    predicted = predictions_write(as_of)  # with an active churn model, its bands can trigger playbooks too
    detected = detect_signals(as_of=as_of, now=now) if signals else None
    firing = fire_playbooks(as_of=as_of, now=now, rng=rng)
    return DayReport(as_of=as_of, scores=None, predicted=predicted, signals=detected, firing=firing)


def predictions_write(as_of: dt.date) -> int:
    """The active churn model's predictions for the day (scoring.model.predict.predict_day); 0 without one."""
    model = active_model()
    if model is None:
        return 0
    # LightGBM and scikit-learn (about a second to load): loaded by a day that has a model to apply, not by a day
    # without one nor by every process that imports the task module (web, worker).
    from scoring.model.predict import predict_day

    return predict_day(as_of, model=model)


def run_day(as_of: dt.date, *, trigger: str = "command", batch_size: int | None = None, workers: int = 1,
            progress: Callable[[int, int], None] | None = None, now: dt.datetime | None = None,
            rng: random.Random | None = None, signals: bool = True) -> DayReport:
    """Score every account as of the date in this process (scoring.services.recompute_scores; ConfigError when
    the active configuration is invalid), then finish the day."""
    # The scores and the signals read the whole book's usage days once between them (scoring.fetch.shared_reads).
    with shared_reads(("day", as_of, uuid.uuid4())):
        scores = recompute_scores(as_of=as_of, trigger=trigger, batch_size=batch_size, workers=workers,
                                  progress=progress)
        report = finish_day(as_of, now=now, rng=rng, signals=signals)
    report.scores = scores
    return report
