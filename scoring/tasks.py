"""Background work of the scoring app: the daily recompute, fanned out one task per batch."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from healthcs.celery import TRANSIENT_ERRORS, TRANSIENT_RETRY, app
from scoring.events import day_scored
from scoring.models import RecomputeRun
from scoring.services import recompute_batch, recompute_run_create, recompute_run_fail, recompute_runs_expire
from scoring.texts.service import texts_read, waiting_batches


def recompute_start(*, as_of: dt.date, trigger: str, user: User | None = None) -> RecomputeRun:
    """Create a run and queue one task per batch (after the run is committed). When the broker cannot
    be reached the run is marked failed with a message saying so, and the error is raised."""
    with transaction.atomic():
        run = recompute_run_create(as_of=as_of, trigger=trigger, user=user)
    try:
        for batch_id in run.batches.order_by("number").values_list("id", flat=True):
            recompute_one_batch.delay(batch_id, run.pk)
    except OperationalError as error:
        recompute_run_fail(run_id=run.pk, error=f"The task queue is unavailable ({error}); try again later.")
        raise
    return run


@app.task(acks_late=True)
def recompute_all(as_of: str | None = None, trigger: str = "schedule", user_id: int | None = None) -> int:
    """The daily schedule's entry: a run for the date (default: today), one task per batch."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return recompute_start(as_of=day, trigger=trigger, user=user).pk


@app.task(bind=True, acks_late=True, **TRANSIENT_RETRY)
def recompute_one_batch(self, batch_id: int, run_id: int) -> bool:
    """Score one batch (idempotent: a batch already done is skipped). A transient error (database or
    broker unreachable) is retried with backoff while the run stays running; any other error, or the
    last retry's, fails the run (it must not stay "running" forever) and is re-raised."""
    try:
        finished = recompute_batch(batch_id=batch_id, side_by_side=True)  # the workers take a run's batches at once
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= self.max_retries:
            recompute_run_fail(run_id=run_id, error=f"{type(error).__name__} after {self.max_retries} retries: "
                                                    f"{error}")
        raise  # autoretry_for schedules the next try
    except Exception as error:
        recompute_run_fail(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise
    if finished:  # the run's last batch: the layers above finish the day (workspace.daily, by scoring.events)
        day = RecomputeRun.objects.values_list("as_of", flat=True).get(pk=run_id)
        day_scored.send(sender=RecomputeRun, as_of=day)
    return finished


@app.task
def expire_stale_recomputes() -> int:
    """Scheduled housekeeping: close recompute runs whose process was killed."""
    return recompute_runs_expire()


@app.task(acks_late=True, **TRANSIENT_RETRY)
def cache_accuracy_report() -> bool:
    """Compute and cache the Score accuracy page's default figures for the book as it now is (queued when a day is
    finished; each figure is computed once per book version, so a repeated run reads the cache). Returns whether a
    cut-off with a complete horizon was found."""
    from scoring.backtest import DEFAULT_HORIZON, accuracy_report  # scikit-learn's metrics, loaded when this runs

    return accuracy_report(as_of=None, horizon=DEFAULT_HORIZON).backtest is not None


@app.task(acks_late=True, **TRANSIENT_RETRY)
def read_text_batch(model_label: str, ids: list[int]) -> int:
    """Read one batch of waiting texts (idempotent: rows read meanwhile are skipped)."""
    return texts_read(model_label, ids)


@app.task
def read_waiting_texts() -> int:
    """Hand every waiting text to the workers, one task per batch (after an import, and every few minutes); returns
    how many tasks were queued."""
    batches = waiting_batches()
    for label, ids in batches:
        read_text_batch.delay(label, ids)
    return len(batches)


@app.task(acks_late=True)
def train_churn_model(as_of: str | None = None, trigger: str = "schedule", user_id: int | None = None) -> int:
    """Weekly, or when a manager asks: train the churn model and activate it when it beats the rules."""
    from scoring.model.training import train_churn_model as train  # LightGBM and scikit-learn: loaded by this task only

    user = User.objects.filter(pk=user_id).first() if user_id else None
    return train(as_of=dt.date.fromisoformat(as_of) if as_of else None, trigger=trigger, user=user).pk


def churn_model_training_start(*, user: User | None) -> None:
    """Queue a training run for a manager; raises kombu's OperationalError when the broker cannot be reached."""
    train_churn_model.delay(trigger="web", user_id=user.pk if user else None)
