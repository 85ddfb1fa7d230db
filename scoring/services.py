"""The recompute: runs and their batches, scoring a range of accounts, writing their snapshots.

A recompute (docs/scoring.md) is a run split into batches of accounts (primary-key ranges). Each batch
reads its accounts' data with a handful of aggregate queries, scores them with pandas and upserts
their snapshots in one transaction, so a batch is either wholly written or not at all, and running
it again replaces what it wrote. The last batch to finish closes the run and raises the alerts.
"""

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import Account, User, WebhookEvent
from accounts.webhooks.emit import webhooks_emit, webhooks_listening
from scoring import alerts as alert_rules
from scoring import notifications
from scoring.calculations import Scores, score_book
from scoring.config import Config, parse_config
from scoring.configs import ensure_active_config
from scoring.fetch import (
    AccountRange,
    beside_other_batches,
    book_usage_ahead,
    load_book,
    shared_reads,
    shared_reads_off,
)
from scoring.models import (
    RecomputeBatch,
    RecomputeRun,
    RunStatus,
    ScoringConfig,
    Snapshot,
)
from scoring.texts.service import texts_read_for_accounts, texts_read_pending

logger = logging.getLogger(__name__)
ALL_ACCOUNTS = AccountRange()
SNAPSHOT_FIELDS = [
    "config", "run", "computed_at", "health_score", "health_tier", "covered_share", "health_before_cap", "health_trend",
    "trend", "risk_score", "risk_level", "risk_subscription", "top_reasons", "recommended_actions", "arr", "usage_30d",
    "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d", "measures", "fired_rules",
]


# Scoring -----------------------------------------------------------------------------------------------

def score_range(*, as_of: dt.date, config: Config, batch: AccountRange = ALL_ACCOUNTS) -> tuple[Scores, Any]:
    """Score the accounts of one range as of a date, without writing anything; also returns the data. Texts
    are scored as read (see scoring.texts.service: the recompute reads the waiting ones first)."""
    data = load_book(as_of, batch, alerts=config.alerts, trend_days=config.trend_days)
    return score_book(data, config), data


def _snapshot_columns(scores: Scores, *, as_of: dt.date, config: ScoringConfig,
                      run: RecomputeRun | None) -> dict[str, list]:
    """Every snapshot column (by attname) as a list of plain Python values, one entry per account."""
    acc = scores.accounts
    n = len(acc)

    def floats_or_none(column: str) -> list[float | None]:
        return [None if np.isnan(v) else v for v in acc[column].astype("float64").tolist()]

    def ints(column: str) -> list[int]:
        return acc[column].astype("int64").tolist()

    return {
        "account_id": acc.index.astype("int64").tolist(), "as_of": [as_of] * n, "config_id": [config.pk] * n,
        "run_id": [run.pk if run else None] * n, "computed_at": [timezone.now()] * n,
        "health_score": floats_or_none("health_score"), "health_tier": acc["health_tier"].fillna("").tolist(),
        "covered_share": acc["covered_share"].astype("float64").tolist(),
        "health_before_cap": floats_or_none("health_before_cap"),
        "health_trend": floats_or_none("health_trend"), "trend": acc["trend"].tolist(),
        "risk_score": ints("risk_score"), "risk_level": acc["risk_level"].tolist(),
        "risk_subscription": acc["risk_subscription"].fillna("").tolist(),
        "top_reasons": acc["top_reasons"].tolist(), "recommended_actions": acc["recommended_actions"].tolist(),
        "arr": [Decimal(f"{v:.2f}") for v in acc["arr"].astype("float64").tolist()],
        "usage_30d": ints("usage_30"), "usage_prev30d": ints("usage_prev"), "usage_drop_pct": ints("usage_drop_pct"),
        "errors_30d": ints("errors_30"), "tickets_30d": ints("tickets_30"), "churn_intent_30d": ints("churn_intent_30"),
        "measures": acc["measures"].tolist(), "fired_rules": acc["fired_rules"].tolist(),
    }


def snapshots_write(*, scores: Scores, as_of: dt.date, config: ScoringConfig, run: RecomputeRun | None = None) -> int:
    """Insert or replace the snapshots of the scored accounts for that date (one per account per day).
    Must run inside a transaction. The rows are streamed in with COPY and upserted on the unique key, so two runs
    of one date never collide on it and the batches of one run never wait for each other."""
    values = _snapshot_columns(scores, as_of=as_of, config=config, run=run)
    values["fired_rules"] = [json.dumps(v, separators=(",", ":")) for v in values["fired_rules"]]
    _copy_snapshots(values, as_of)
    return len(scores.accounts)


def risk_level_changes(*, scores: Scores, as_of: dt.date) -> list[dict]:
    """The "risk level changed" events of a scored batch, against each account's latest snapshot up to the date
    (the date's own one when the day is scored again, so a repeated run announces nothing twice; an account
    scored for the first time has no change). One query, and none when no webhook wants the event."""
    if scores.accounts.empty or not webhooks_listening(WebhookEvent.RISK_LEVEL_CHANGED):
        return []
    acc = scores.accounts
    new_levels = dict(zip(acc.index.astype("int64").tolist(), acc["risk_level"].tolist(), strict=True))
    risk_scores = dict(zip(acc.index.astype("int64").tolist(), acc["risk_score"].astype("int64").tolist(),
                           strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.external_id, last.risk_level FROM {Account._meta.db_table} a "
            f"CROSS JOIN LATERAL (SELECT s.risk_level FROM {Snapshot._meta.db_table} s "
            "WHERE s.account_id = a.id AND s.as_of <= %s ORDER BY s.as_of DESC LIMIT 1) last "
            "WHERE a.id = ANY(%s) ORDER BY a.id", [as_of, list(new_levels)])
        rows = cursor.fetchall()
    return [{"account": external_id, "from": before, "to": new_levels[account_id],
             "risk_score": risk_scores[account_id], "as_of": as_of}
            for account_id, external_id, before in rows if before != new_levels[account_id]]


SNAPSHOT_KEY = "one_snapshot_per_account_per_day"


def _copy_snapshots(values: dict[str, list], as_of: dt.date) -> None:
    """COPY of snapshots_write (the attnames are the column names) into a temporary table, then one upsert in
    account order: a date's batches never wait for each other (a run's batches are disjoint), and two runs of one
    date that overlap take turns row by row on the unique key, in the same order, so they cannot deadlock."""
    columns = list(values)
    table = Snapshot._meta.db_table
    names = ", ".join(columns)
    replaced = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("account_id", "as_of"))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS snapshot_batch")
        cursor.execute(f"CREATE TEMP TABLE snapshot_batch ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY snapshot_batch ({names}) FROM STDIN") as copy:
            for row in zip(*values.values(), strict=True):
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM snapshot_batch ORDER BY account_id "
                       f"ON CONFLICT ON CONSTRAINT {SNAPSHOT_KEY} DO UPDATE SET {replaced}")
        cursor.execute("DROP TABLE snapshot_batch")


# Recompute runs ------------------------------------------------------------------------------------------

def _ranges(batch_size: int, min_batches: int = 1) -> list[tuple[int, int]]:
    ids = np.fromiter(Account.objects.order_by("id").values_list("id", flat=True), dtype=np.int64)
    count = max(1, min_batches, -(-len(ids) // batch_size))
    return [(int(chunk[0]), int(chunk[-1])) for chunk in np.array_split(ids, count) if len(chunk)]


@transaction.atomic
def recompute_run_create(*, as_of: dt.date, trigger: str, user: User | None = None,
                         batch_size: int | None = None, min_batches: int = 1) -> RecomputeRun:
    """A run for the date with its batches (nothing scored yet): batches of at most `batch_size`
    accounts, and at least `min_batches` of them (one per worker). With a percentile normalisation
    the whole book is one batch, because a percentile needs every account of the group at once."""
    config = ensure_active_config()
    parsed = parse_config(config.data)
    size = batch_size or settings.SCORING_BATCH_SIZE
    if any(m.normalisation.method == "percentile" for m in parsed.measures):
        size, min_batches = 10**9, 1
    ranges = _ranges(size, min_batches)
    run = RecomputeRun.objects.create(as_of=as_of, config=config, trigger=trigger, created_by=user,
                                      batches_total=len(ranges))
    RecomputeBatch.objects.bulk_create(
        RecomputeBatch(run=run, number=n, first_account=lo, last_account=hi) for n, (lo, hi) in enumerate(ranges, 1)
    )
    return run


def recompute_batch(*, batch_id: int, side_by_side: bool = False) -> bool:
    """Score one batch and write its snapshots; finishes the run when it was the last batch. Safe to
    run twice: a batch already done is skipped. Returns whether the run is now finished. `side_by_side`: the run's
    other batches are scored at the same time by other processes (Celery workers, the command's worker processes)."""
    batch = RecomputeBatch.objects.select_related("run", "run__config").get(pk=batch_id)
    run = batch.run
    if batch.done_at is None and run.status == RunStatus.RUNNING:
        config = parse_config(run.config.data)
        texts_read_for_accounts(batch.first_account, batch.last_account)  # the rules read the texts' readings
        # What every batch of the run reads alike, read once per process (unless shared_reads_off: one batch).
        with shared_reads(run.pk), beside_other_batches(side_by_side and run.batches_total > 1):
            scores, data = score_range(as_of=run.as_of, config=config,
                                       batch=AccountRange(batch.first_account, batch.last_account))
        detected = alert_rules.detect_alerts(data, scores, config)
        with transaction.atomic():
            claimed = RecomputeBatch.objects.filter(pk=batch.pk, done_at__isnull=True).update(
                done_at=timezone.now(), accounts_scored=len(scores.accounts))
            if not claimed:  # another worker finished this batch meanwhile
                return False
            changed = risk_level_changes(scores=scores, as_of=run.as_of)
            snapshots_write(scores=scores, as_of=run.as_of, config=run.config, run=run)
            webhooks_emit(event=WebhookEvent.RISK_LEVEL_CHANGED, payloads=changed)
            opened = alert_rules.alerts_open(as_of=run.as_of, detected=detected)
            RecomputeRun.objects.filter(pk=run.pk).update(
                batches_done=F("batches_done") + 1, accounts_scored=F("accounts_scored") + len(scores.accounts),
                alerts_opened=F("alerts_opened") + opened,
            )
    return recompute_run_finish(run_id=run.pk)


def recompute_run_finish(*, run_id: int) -> bool:
    """Close the run once every batch is done (exactly once), then announce its new alerts on Slack."""
    run = RecomputeRun.objects.get(pk=run_id)
    if run.batches_done < run.batches_total:
        return False
    closed = RecomputeRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(),
        seconds=(timezone.now() - run.started_at).total_seconds(),
    )
    if closed:
        transaction.on_commit(lambda: _announce_alerts())
    return True


def _announce_alerts() -> None:
    """Slack for new alerts (what it could not send is retried with the next run). E-mail waits for the daily
    digest, so a CSM never gets a mail per run, nor one line per alert."""
    notifications.alerts_slack(site_url=settings.SITE_URL)


def snapshot_statistics_refresh() -> None:
    """Tell PostgreSQL's planner about the day just written: until autovacuum's next analyse (rare on a
    table growing by a day of accounts at a time) it would plan the pages' reads of the new day for about
    one row (measured at 20,000 accounts: the list went from ~60 ms to 80-260 ms, a search to ~0.5 s)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_snapshot")


STALE_RUN_AFTER = dt.timedelta(hours=2)  # far beyond the task time limit: nobody works on it any more


def recompute_runs_expire(*, now: dt.datetime | None = None) -> int:
    """Close runs still "running" long after any worker could be on them (a killed process), so the
    progress page says so; their finished batches stay, and any later run replaces them."""
    cutoff = (now or timezone.now()) - STALE_RUN_AFTER
    return RecomputeRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=cutoff).update(
        status=RunStatus.FAILED, finished_at=timezone.now(),
        error="interrupted: no batch finished for two hours (the process was stopped); start a new recompute",
    )


def recompute_run_fail(*, run_id: int, error: str) -> None:
    RecomputeRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=error[:2000], finished_at=timezone.now())


@dataclass
class RecomputeReport:
    run: RecomputeRun
    seconds: float


def recompute_scores(*, as_of: dt.date, trigger: str = "command", user: User | None = None,
                     batch_size: int | None = None, workers: int = 1,
                     progress: Callable[[int, int], None] | None = None) -> RecomputeReport:
    """Recompute every account's snapshot for the date from this process: batch after batch, or with
    `workers` > 1 in that many worker processes at once (each batch is still one transaction, so the run
    is as safe to kill or repeat as a single process)."""
    started = time.perf_counter()
    texts_read_pending()  # the churn-intent rule and two measures read the texts' readings
    if connection.in_atomic_block:
        # Inside the caller's transaction, worker processes (with connections of their own) would not see
        # what it wrote: the run stays in this process.
        workers = 1
    run = recompute_run_create(as_of=as_of, trigger=trigger, user=user, batch_size=batch_size, min_batches=workers)
    batch_ids = list(run.batches.order_by("number").values_list("id", flat=True))
    try:
        if workers <= 1 or len(batch_ids) <= 1:
            for number, batch_id in enumerate(batch_ids, 1):
                recompute_batch(batch_id=batch_id)
                if progress:
                    progress(number, len(batch_ids))
        else:
            # Within a day's shared reads (workspace.daily.run_day) the whole book's usage is read here, once, before
            # the workers are forked: they inherit it, and the day's signals take it again in this process.
            ahead = book_usage_ahead(as_of, parse_config(run.config.data).alerts)
            _recompute_in_processes(batch_ids, workers, progress, inherit_reads=ahead)
    except Exception as error:
        recompute_run_fail(run_id=run.pk, error=f"{type(error).__name__}: {error}")
        raise
    run.refresh_from_db()
    return RecomputeReport(run=run, seconds=time.perf_counter() - started)


def _recompute_in_processes(batch_ids: list[int], workers: int,
                            progress: Callable[[int, int], None] | None, *, inherit_reads: bool = False) -> None:
    """The batches spread over forked worker processes; progress as each batch finishes. With `inherit_reads`, the
    workers keep the shared reads this process made before forking them (book_usage_ahead)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # a forked child must open its own connection, never share the parent's
    context = multiprocessing.get_context("fork")
    processes = min(workers, len(batch_ids))
    share_reads = inherit_reads or len(batch_ids) > processes
    with context.Pool(processes=processes, initializer=_worker_start, initargs=(share_reads,)) as pool:
        for number, _ in enumerate(pool.imap_unordered(_worker_batch, batch_ids), 1):
            if progress:
                progress(number, len(batch_ids))


def _worker_start(share_reads: bool) -> None:
    """In a worker process: die with the parent (Linux), so a killed recompute leaves no worker behind
    to finish its batch later; share the batches' reads only when the worker may score more than one or inherits
    the reads its parent made before the fork."""
    import ctypes
    import signal

    if not share_reads:
        shared_reads_off()

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_batch(batch_id: int) -> int:
    from django.db import connections

    try:
        recompute_batch(batch_id=batch_id, side_by_side=True)
    finally:
        connections.close_all()
    return batch_id


def latest_as_of() -> dt.date | None:
    """The most recent date that has snapshots."""
    return Snapshot.objects.aggregate(d=Max("as_of"))["d"]
