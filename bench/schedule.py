#!/usr/bin/env python3
"""The daily run as the schedule runs it (issue 19, docs/performance.md): one day at 20,000 accounts through a real
Celery worker.

    .venv/bin/python bench/schedule.py [--accounts 20000] [--seed 42] [--as-of 2026-11-01] [--concurrency N]

bench/daily.py runs the day's phases in its own process, as `manage.py recompute_scores` does; the beat schedule runs
it on Celery instead: `scoring.tasks.recompute_all` queues one task per batch of SCORING_BATCH_SIZE accounts, the
worker's pool processes score them side by side, and the last batch queues `workspace.tasks.finish_day` (statistics,
predictions, signals, playbooks) for one of them, which then queues `scoring.tasks.cache_accuracy_report` (the
Score accuracy page's figures for the new book). This benchmark makes a fresh copy of recompute.py's book of the size
(as bench/daily.py does, without its scores), starts a worker on it (`celery -A healthcs worker --pool prefork
--concurrency N`, default SCORING_COMMAND_WORKERS: one pool process per core) with a Redis database of its own
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, emptied first), waits until it is ready, queues recompute_all
for the date as the beat schedule would, and waits for finish_day to end.

Times, wall clock from queueing recompute_all: the scores (until the run is marked succeeded, polled every 10 ms) and
the whole day (until the worker logs finish_day's success, read every 10 ms from its log, which also gives
finish_day's own run time); then, apart from the day, the accuracy figures' task's own run time and the
memory's peak while it runs. Memory: the worker's main process's resident set plus each pool process's private memory
(USS), sampled every 5 ms, as bench/daily.py counts its own workers. Budget: bench/daily.py's, the day within 10 s and
400 MiB at 20,000 accounts. Exit status 1 on FAIL.
"""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

# recompute.py, next to this file, sets the environment (database server, SECRET_KEY, in-memory e-mail) and lends its
# book machinery; pages.py its database copy and the machine's Python speed; daily.py the budget and the copy's name.
import daily
import pages
import psutil
import recompute

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["REDIS_URL"] = REDIS_URL  # this process queues the tasks on the worker's broker
FINISHED = re.compile(r"Task workspace\.tasks\.finish_day\[[^\]]+\] succeeded in ([0-9.]+)s")
ACCURACY = re.compile(r"Task scoring\.tasks\.cache_accuracy_report\[[^\]]+\] succeeded in ([0-9.]+)s")
FAILED = re.compile(r"Task \S+\[[^\]]+\] (raised|retry)")


def tree_mib(pid: int) -> float:
    """A process's resident set plus its children's private memory (pages they share with it counted once)."""
    try:
        main = psutil.Process(pid)
        total = main.memory_info().rss
        for child in main.children():
            try:
                total += child.memory_full_info().uss
            except psutil.NoSuchProcess:
                pass
        return total / 2**20
    except psutil.NoSuchProcess:
        return 0.0


class TreePeak:
    """The largest memory of a process tree since the last reset, sampled by a background thread."""

    def __init__(self, pid: int, every: float = 0.005):
        self.pid, self.every, self.peak, self._stop = pid, every, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_mib(self.pid))
            time.sleep(self.every)

    def reset(self) -> float:
        self.peak = tree_mib(self.pid)
        return self.peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def start_worker(database: str, concurrency: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"{recompute.SERVER_URL}/{database}", "REDIS_URL": REDIS_URL,
           "CELERY_TASK_ALWAYS_EAGER": "false", "DEBUG": "false"}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "healthcs", "worker", "--pool", "prefork",
                                 "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-heartbeat",
                                 "--without-gossip", "--without-mingle"],
                                cwd=recompute.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(log: Path, pattern: re.Pattern, worker: subprocess.Popen, timeout: float) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = pattern.search(text)
        if found:
            return found
        failed = FAILED.search(text)
        if failed or worker.poll() is not None:
            sys.exit(f"the worker stopped or a task failed; its log:\n{text[-4000:]}")
        time.sleep(0.01)
    sys.exit(f"nothing matched {pattern.pattern!r} within {timeout:.0f} s; the worker's log:\n"
             f"{log.read_text(errors='replace')[-4000:]}")


def main() -> None:
    parser = daily.book_parser(__doc__)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the worker's pool processes (default SCORING_COMMAND_WORKERS)")
    args = parser.parse_args()

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db.models import Max

    from scoring.models import RecomputeRun, RunStatus
    from scoring.tasks import recompute_all

    concurrency = args.concurrency or settings.SCORING_COMMAND_WORKERS
    print(f"\n{args.accounts:,} accounts on a Celery worker of {concurrency} pool process(es), batches of "
          f"{settings.SCORING_BATCH_SIZE:,} (load average {os.getloadavg()[0]:.1f})")
    recompute.prepare(args.accounts, args.seed, args.as_of, fresh=False)
    name = daily.daily_database(args.accounts)
    recompute.use_database("postgres")  # the copy needs nobody connected to the book
    pages.copy_database(recompute.database_name(args.accounts), name)
    recompute.use_database(name)
    recompute.remove_scores(args.as_of)
    redis.Redis.from_url(REDIS_URL).flushdb()
    log = Path(recompute.ROOT / "bench" / "data" / "schedule-worker.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    worker = start_worker(name, concurrency, log)
    memory = None
    try:
        wait_for(log, re.compile(r"celery@\S+ ready\."), worker, timeout=120)
        memory = TreePeak(worker.pid)
        before = memory.reset()
        earlier = RecomputeRun.objects.aggregate(last=Max("id"))["last"] or 0  # the book's copy holds past runs
        runs = RecomputeRun.objects.filter(id__gt=earlier, as_of=args.as_of)
        started = time.perf_counter()
        recompute_all.delay(args.as_of.isoformat(), "schedule")
        while not runs.filter(status=RunStatus.SUCCEEDED).exists():
            if runs.filter(status=RunStatus.FAILED).exists() or worker.poll() is not None:
                sys.exit(f"the run failed; the worker's log:\n{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.01)
        scores = time.perf_counter() - started
        scores_peak = memory.peak
        finish = float(wait_for(log, FINISHED, worker, timeout=600).group(1))
        day = time.perf_counter() - started
        peak = memory.peak
        memory.reset()
        accuracy = float(wait_for(log, ACCURACY, worker, timeout=600).group(1))
        accuracy_peak = memory.peak
    finally:
        if memory:
            memory.stop()
        worker.terminate()
        worker.wait(timeout=60)
    run = runs.get()
    print(f"\n{'phase':<22}  {'seconds':>7}  {'peak MiB':>8}")
    print(f"{'scores (queued → run)':<22}  {scores:>7.2f}  {scores_peak:>8.0f}  {run.accounts_scored:,} accounts in "
          f"{run.batches_total} batches")
    print(f"{'finish_day task':<22}  {finish:>7.2f}")
    print(f"{'whole day':<22}  {day:>7.2f}  {peak:>8.0f}  (the worker held {before:.0f} MiB before the day)")
    print(f"{'accuracy figures':<22}  {accuracy:>7.2f}  {accuracy_peak:>8.0f}  (the task finish_day queues, after the "
          f"day: not in its budget)")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}; {pages.python_speed_text()}")
    daily.verdict(f"the scheduled day at {args.accounts:,} accounts", day, peak)


if __name__ == "__main__":
    main()
