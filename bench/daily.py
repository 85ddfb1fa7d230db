#!/usr/bin/env python3
"""The daily run, phase by phase (issue 19, docs/performance.md): time and memory of one day at 20,000 accounts.

    .venv/bin/python bench/daily.py [--accounts 20000] [--seed 42] [--as-of 2026-11-01]

The day runs in a database of its own, named after BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) plus "_daily_<accounts>": a fresh copy (CREATE DATABASE ...
TEMPLATE) of recompute.py's database of that size, which recompute.py's machinery makes or reuses first, so every
run starts from the same imported book with no scores (recompute.py's own runs leave its book alone). In this one
process it runs workspace.daily.run_day's phases for the as-of date, in its order and within its shared reads (the
whole book's usage days are read once, by the scores, for the signals too), each timed (wall clock). What the
process holds before the day is frozen out of the garbage collector's sight first, as a Celery pool process does
before its first task (healthcs.celery.freeze_what_was_loaded) and `manage.py recompute_scores` before its work:

  - scores: scoring.services.recompute_scores (every account's health and risk, alerts), in this process;
  - statistics: the planner's statistics of the new day's snapshots;
  - predictions: the active churn model's predictions (none: the copy has no trained model, as a new install, and
    workspace.daily.predictions_write does not load LightGBM without one);
  - signals: expansion.detection.detect_signals;
  - playbooks: interventions.firing.fire_playbooks.

The scores are cut into batches of --batch-size accounts at most (default SCORING_BATCH_SIZE, 5,000: the daily
schedule's batches, and a day's in `manage.py recompute_scores`), at least one per worker, and run by --workers
processes (default SCORING_COMMAND_WORKERS: one per core, at most 4) as `manage.py recompute_scores` runs a day: with
one, in this process; with more, in forked worker processes, which inherit the whole book's usage read this process
makes before it forks them (scoring.fetch.book_usage_ahead) and which the signals read again here. The phases after
the scores always run in this process.

Memory is sampled every 5 ms by a thread: this process's resident set (VmRSS) plus, while worker processes run,
each worker's private memory (psutil's USS: what it holds beyond the pages it shares with this process since the
fork). The table gives each phase's peak and its growth over the process as it stood before the day (Django, pandas
and the app loaded), and ends with the whole day's time and peak, against the budget: at most 10 s and 400 MiB at
20,000 accounts. Exit status 1 on FAIL.
"""

import argparse
import datetime as dt
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass

# recompute.py, next to this file, sets the environment (database server, SECRET_KEY, in-memory e-mail) and lends
# its book machinery; pages.py its database copy and the machine's Python speed.
import pages
import psutil
import recompute

BUDGET_SECONDS = 10.0
BUDGET_MIB = 400.0


def rss_mib() -> float:
    """This process's resident set, plus its worker processes' private memory (their USS: pages a forked worker still
    shares with this process are counted once, here)."""
    this = psutil.Process()
    private = 0
    for child in this.children():
        try:
            private += child.memory_full_info().uss
        except psutil.NoSuchProcess:  # a worker that has just ended
            pass
    return (this.memory_info().rss + private) / 2**20


class PeakMemory:
    """The largest resident set seen since the last reset, sampled by a background thread."""

    def __init__(self, every: float = 0.005):
        self.every, self.peak, self._stop = every, rss_mib(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib())
            time.sleep(self.every)

    def reset(self) -> float:
        self.peak = rss_mib()
        return self.peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Phase:
    name: str
    seconds: float
    peak_mib: float
    growth_mib: float
    result: str


def run_phases(as_of: dt.date, workers: int = 1, batch_size: int | None = None) -> tuple[list[Phase], float]:
    """The day's phases in run_day's order, the scores in batches of `batch_size` (default SCORING_BATCH_SIZE) in
    `workers` processes; the resident set before the day."""
    from expansion.detection import detect_signals
    from healthcs.celery import freeze_what_was_loaded
    from interventions.firing import fire_playbooks
    from scoring.fetch import shared_reads
    from scoring.services import recompute_scores, snapshot_statistics_refresh
    from workspace.daily import predictions_write

    now = dt.datetime.combine(as_of, dt.time(6), tzinfo=dt.UTC)  # a replayed morning, as seed_demo dates its days
    steps = [
        ("scores", lambda: recompute_scores(as_of=as_of, trigger="command", workers=workers, batch_size=batch_size),
         lambda r: f"{r.run.accounts_scored:,} accounts"),
        ("statistics", snapshot_statistics_refresh, lambda r: ""),
        ("predictions", lambda: predictions_write(as_of), lambda r: f"{r:,} predictions"),
        ("signals", lambda: detect_signals(as_of=as_of, now=now),
         lambda r: f"{r.new:,} new, {r.refreshed:,} refreshed"),
        ("playbooks", lambda: fire_playbooks(as_of=as_of, now=now, rng=random.Random(1)),
         lambda r: f"{r.treated:,} treated, {r.control:,} control"),
    ]
    freeze_what_was_loaded()  # as a worker's pool process before its first task (healthcs.celery)
    memory = PeakMemory()
    before = memory.reset()
    phases = []
    # As workspace.daily.run_day: what the phases read alike, read once, under a name of this day's own.
    shared = shared_reads(("bench day", as_of, uuid.uuid4()))
    try:
        with shared:
            for name, step, describe in steps:
                start_mib = memory.reset()
                started = time.perf_counter()
                result = step()
                seconds = time.perf_counter() - started
                phases.append(Phase(name, seconds, memory.peak, memory.peak - start_mib, describe(result)))
                print(f"  {name:<12} {seconds:6.2f} s  peak {memory.peak:6.0f} MiB")
    finally:
        memory.stop()
    return phases, before


def daily_database(accounts: int) -> str:
    return f"{recompute.BASE_NAME}_daily_{accounts}"


def measure_day(accounts: int, seed: int, as_of: dt.date, *, copy: bool = True, workers: int = 1,
                batch_size: int | None = None) -> tuple[list[Phase], float]:
    """The day's phases on a fresh copy of the size's book (made or reused first), or on the book itself (copy=False:
    a book about to be dropped); the resident set before the day."""
    recompute.prepare(accounts, seed, as_of, fresh=False)
    source, name = recompute.database_name(accounts), daily_database(accounts)
    if copy:
        recompute.use_database("postgres")  # the copy needs nobody connected to the book
        started = time.perf_counter()
        pages.copy_database(source, name)
        recompute.use_database(name)
        print(f"  copied the book to {name} in {time.perf_counter() - started:.1f} s")
    recompute.remove_scores(as_of)
    return run_phases(as_of, workers, batch_size)


def book_parser(description: str) -> argparse.ArgumentParser:
    """The options that name the day's book: its size, the generator's seed and the date scored."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=recompute.BUDGET_ACCOUNTS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    return parser


def main() -> None:
    parser = book_parser(__doc__)
    parser.add_argument("--workers", type=int, default=None,
                        help="processes that score the batches (default SCORING_COMMAND_WORKERS)")
    parser.add_argument("--batch-size", type=int, default=None, help="accounts per batch (default SCORING_BATCH_SIZE)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    args.workers = args.workers or settings.SCORING_COMMAND_WORKERS
    print(f"\n{args.accounts:,} accounts, scores in batches of {args.batch_size or 'SCORING_BATCH_SIZE'} accounts "
          f"in {args.workers} process(es) (load average {os.getloadavg()[0]:.1f})")
    phases, before = measure_day(args.accounts, args.seed, args.as_of, workers=args.workers,
                                 batch_size=args.batch_size)

    total = sum(p.seconds for p in phases)
    peak = max(p.peak_mib for p in phases)
    header = f"{'phase':<12}  {'seconds':>7}  {'peak MiB':>8}  {'growth MiB':>10}  result"
    print("\n" + header + "\n" + "-" * len(header))
    for p in phases:
        print(f"{p.name:<12}  {p.seconds:>7.2f}  {p.peak_mib:>8.0f}  {p.growth_mib:>10.0f}  {p.result}")
    print(f"{'whole day':<12}  {total:>7.2f}  {peak:>8.0f}  {peak - before:>10.0f}")
    print(f"\nresident set before the day {before:.0f} MiB (Django, pandas and the app loaded); per 1,000 accounts "
          f"{total / args.accounts * 1000:.2f} s; load average at the end {os.getloadavg()[0]:.1f}")
    print(pages.python_speed_text())
    verdict(f"daily run at {args.accounts:,} accounts", total, peak)


def verdict(what: str, seconds: float, peak_mib: float) -> None:
    """Print the day's figures against the budget; exit status 1 when it is missed."""
    passes = seconds <= BUDGET_SECONDS and peak_mib <= BUDGET_MIB
    print(f"{what}: {seconds:.1f} s (budget {BUDGET_SECONDS:.0f} s), peak {peak_mib:.0f} MiB (budget {BUDGET_MIB:.0f} "
          f"MiB): {'PASS' if passes else 'FAIL'}")
    if not passes:
        sys.exit(1)


if __name__ == "__main__":
    main()
