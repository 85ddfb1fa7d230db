#!/usr/bin/env python3
"""The daily run at growing books (issue 19, docs/performance.md): does its cost per account stay flat?

    .venv/bin/python bench/scale.py [--accounts 20000 40000 80000] [--seed 42] [--as-of 2026-11-01] [--drop]

For each size, smallest first, it runs bench/daily.py's measurement: the generated book of that many accounts (the
same generator and CSV files as bench/recompute.py, written once and reused, imported into a database of its own
with its texts read, by `recompute.py --prepare-only` in a process of its own; made when missing; a book of more than
20,000 accounts is generated and imported in parts of 20,000, since neither the generator nor an import holds a
bigger one in the machine's memory), copied fresh, and the day's phases run and timed as bench/daily.py runs them by
default (the scores in --workers processes, default SCORING_COMMAND_WORKERS, as `manage.py recompute_scores` runs a
day; the phases after them in this process), with the peak memory bench/daily.py samples.
--drop runs the day on the book's own database instead of a copy and removes the size's databases and CSV files once
it is measured (the next size needs the disk: an 80,000-account book and its copy would take some 80 GB).

The table gives each size's time and peak memory, the time and the memory growth per 1,000 accounts, and each
size's time per account against the smallest size's (1.00: flat; above: growing faster than the book). The
budget this reports against is issue 19's: cost per account flat (within 1.25 of the smallest size's) and, at
20,000 accounts, the day within 10 s and 400 MiB (bench/daily.py's budget). Exit status 1 on FAIL.
"""

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# daily.py, next to this file, lends its measurement; recompute.py (through it) the books and the environment.
import daily
import pages
import recompute

FLAT = 1.25  # a size's time per account may exceed the smallest size's by this factor at most


@dataclass
class SizeDay:
    accounts: int
    seconds: float
    peak_mib: float
    growth_mib: float
    phases: dict[str, float]

    @property
    def seconds_per_1000(self) -> float:
        return self.seconds / self.accounts * 1000

    @property
    def growth_per_1000(self) -> float:
        return self.growth_mib / self.accounts * 1000


def prepare(accounts: int, seed: int, as_of: dt.date) -> None:
    """The size's book generated, imported and its texts read by recompute.py in a process of its own, so that what
    the import held does not count in this process's memory."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).with_name("recompute.py")), "--accounts", str(accounts),
                    "--seed", str(seed), "--as-of", as_of.isoformat(), "--prepare-only"], check=True)
    print(f"  prepared in {time.perf_counter() - started:.0f} s")


def measure(accounts: int, seed: int, as_of: dt.date, *, copy: bool, workers: int) -> SizeDay:
    prepare(accounts, seed, as_of)
    started = time.perf_counter()
    phases, before = daily.measure_day(accounts, seed, as_of, copy=copy, workers=workers)
    print(f"  {accounts:,} accounts measured in {time.perf_counter() - started:.0f} s")
    peak = max(p.peak_mib for p in phases)
    return SizeDay(accounts, sum(p.seconds for p in phases), peak, peak - before,
                   {p.name: p.seconds for p in phases})


def drop(accounts: int, seed: int, as_of: dt.date) -> None:
    import psycopg

    recompute.use_database("postgres")
    with psycopg.connect(f"{recompute.SERVER_URL}/postgres", autocommit=True) as conn:
        for name in (daily.daily_database(accounts), recompute.database_name(accounts)):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(recompute.book_directory(accounts, seed, as_of), ignore_errors=True)


def report(days: list[SizeDay]) -> bool:
    first = days[0]
    names = list(first.phases)
    header = (f"{'accounts':>8}  {'day s':>6}  " + "  ".join(f"{n[:10]:>10}" for n in names)
              + f"  {'peak MiB':>8}  {'s / 1,000':>9}  {'MiB / 1,000':>11}  {'vs first':>8}")
    print("\n" + header + "\n" + "-" * len(header))
    for d in days:
        print(f"{d.accounts:>8,}  {d.seconds:>6.2f}  " + "  ".join(f"{d.phases[n]:>10.2f}" for n in names)
              + f"  {d.peak_mib:>8.0f}  {d.seconds_per_1000:>9.3f}  {d.growth_per_1000:>11.2f}  "
              f"{d.seconds_per_1000 / first.seconds_per_1000:>8.2f}")
    flat = all(d.seconds_per_1000 <= FLAT * first.seconds_per_1000 for d in days)
    at_budget = [d for d in days if d.accounts == recompute.BUDGET_ACCOUNTS]
    within = all(d.seconds <= daily.BUDGET_SECONDS and d.peak_mib <= daily.BUDGET_MIB for d in at_budget)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}; {pages.python_speed_text()}")
    print(f"cost per account {'flat' if flat else 'NOT flat'} (each size within {FLAT}x the smallest's)"
          + (f"; the day at {recompute.BUDGET_ACCOUNTS:,} accounts {'within' if within else 'over'} "
             f"{daily.BUDGET_SECONDS:.0f} s and {daily.BUDGET_MIB:.0f} MiB" if at_budget else ""))
    passes = flat and within
    print(f"daily run at scale: {'PASS' if passes else 'FAIL'}")
    return passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[20_000, 40_000, 80_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--drop", action="store_true", help="remove each size's databases and files once measured")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes that score the batches (default SCORING_COMMAND_WORKERS)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    args.workers = args.workers or settings.SCORING_COMMAND_WORKERS
    days = []
    for accounts in sorted(args.accounts):
        print(f"\n{accounts:,} accounts, scores in {args.workers} process(es) (load average {os.getloadavg()[0]:.1f})")
        days.append(measure(accounts, args.seed, args.as_of, copy=not args.drop, workers=args.workers))
        if args.drop:
            drop(accounts, args.seed, args.as_of)
    if not report(days):
        sys.exit(1)


if __name__ == "__main__":
    main()
