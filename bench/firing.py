#!/usr/bin/env python3
"""The playbook firing as the book grows (issue 19, docs/performance.md): is its cost per account flat?

    .venv/bin/python bench/firing.py [--times 1 2 4] [--seed 42] [--as-of 2026-11-01] [--drop]

A book of 80,000 accounts takes close to an hour and some 40 GB to generate and import (bench/scale.py); the firing
reads none of its usage, tickets or touchpoints, only the day's snapshots, alerts, expansion signals, churn events,
accounts, contacts and earlier interventions. So this benchmark scores the 20,000-account book of bench/recompute.py
once for the as-of date (with its expansion signals, as the daily run does), in a database of its own named after
BENCH_DATABASE_URL plus "_firing_base", with the usage, ticket and touchpoint tables emptied, and makes each larger
book from it by copying every account K times with all the rows the firing reads (new ids, external ids with a
"~copy" suffix; everything else the same, so each copy matches, draws and fires as the original does). For each
factor it fires the day's playbooks on a fresh copy of that book (CREATE DATABASE ... TEMPLATE) in this process,
timed (wall clock) with the process's peak resident set (bench/daily.py's sampler), and prints the time and the
memory growth per 1,000 accounts against the first factor's (1.00: flat; the budget: within 1.25, as bench/scale.py's).
--drop removes the benchmark's databases at the end. Exit status 1 on FAIL.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from dataclasses import dataclass

# daily.py lends its memory sampler, recompute.py the book and the environment, pages.py the database copy.
import daily
import pages
import recompute

FLAT = 1.25
# What the firing reads of an account besides the account itself (each row copied with its account).
ACCOUNT_ROWS = ("accounts_contact", "scoring_snapshot", "scoring_alert", "expansion_expansionsignal",
                "interventions_intervention", "accounts_churnevent")
# What it does not read, emptied in the base book so that its copies are quick.
UNREAD = ("accounts_usagerecord", "accounts_usageday", "accounts_supportticket", "accounts_touchpoint")


@dataclass
class Firing:
    times: int
    accounts: int
    seconds: float
    peak_mib: float
    growth_mib: float
    result: str


def database(suffix: str) -> str:
    return f"{recompute.BASE_NAME}_firing_{suffix}"


def prepare_base(seed: int, as_of: dt.date) -> None:
    """The 20,000-account book scored and its signals detected for the date, without the rows the firing never reads."""
    from django.db import connection

    from expansion.detection import detect_signals
    from scoring.fetch import shared_reads
    from scoring.services import recompute_scores, snapshot_statistics_refresh

    recompute.prepare(recompute.BUDGET_ACCOUNTS, seed, as_of, fresh=False)
    recompute.use_database("postgres")
    pages.copy_database(recompute.database_name(recompute.BUDGET_ACCOUNTS), database("base"))
    recompute.use_database(database("base"))
    recompute.remove_scores(as_of)
    started = time.perf_counter()
    with shared_reads(("firing bench", as_of)):
        recompute_scores(as_of=as_of, trigger="command")
        snapshot_statistics_refresh()
        detect_signals(as_of=as_of, now=morning(as_of))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(UNREAD)} CASCADE")
    print(f"  scored the day and detected its signals in {time.perf_counter() - started:.1f} s")


def morning(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(6), tzinfo=dt.UTC)  # a replayed morning, as bench/daily.py's


def columns(cursor, table: str) -> list[str]:
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = "
                   "'NEVER' AND identity_generation IS NULL ORDER BY ordinal_position", [table])
    return [name for (name,) in cursor.fetchall()]


def multiply(times: int) -> int:
    """Make database("xK") hold the base book's accounts `times` times over; returns its number of accounts."""
    from django.db import connection

    recompute.use_database("postgres")
    pages.copy_database(database("base"), database(f"x{times}"))
    recompute.use_database(database(f"x{times}"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) + 1, count(*) FROM accounts_account")
        offset, accounts = cursor.fetchone()
        for copy in range(1, times):
            for table in ("accounts_account", *ACCOUNT_ROWS):
                account = table == "accounts_account"
                names = ["id", *columns(cursor, table)] if account else columns(cursor, table)
                key = "id" if account else "account_id"
                values = [f"{key} + {copy * offset}" if name == key else
                          f"external_id || '~{copy}'" if name == "external_id" else f'"{name}"' for name in names]
                quoted = ", ".join(f'"{name}"' for name in names)
                cursor.execute(f"INSERT INTO {table} ({quoted}) {'OVERRIDING SYSTEM VALUE' if account else ''} "
                               f"SELECT {', '.join(values)} FROM {table} WHERE {key} < %s", [offset])
        cursor.execute("ANALYZE")
    return accounts * times


def fire(times: int, accounts: int, as_of: dt.date) -> Firing:
    """The day's playbooks fired on a fresh copy of the factor's book, timed, with the peak resident set."""
    from interventions.firing import fire_playbooks

    recompute.use_database("postgres")
    pages.copy_database(database(f"x{times}"), database("run"))
    recompute.use_database(database("run"))
    memory = daily.PeakMemory()
    start_mib = memory.reset()
    started = time.perf_counter()
    report = fire_playbooks(as_of=as_of, now=morning(as_of), rng=random.Random(1))
    seconds = time.perf_counter() - started
    memory.stop()
    result = f"{report.treated:,} treated, {report.control:,} control, {report.tasks:,} tasks"
    print(f"  x{times}: {accounts:,} accounts fired in {seconds:.2f} s, peak {memory.peak:.0f} MiB ({result})")
    return Firing(times, accounts, seconds, memory.peak, memory.peak - start_mib, result)


def drop(factors: list[int]) -> None:
    import psycopg

    recompute.use_database("postgres")
    with psycopg.connect(f"{recompute.SERVER_URL}/postgres", autocommit=True) as conn:
        for suffix in ("base", "run", *(f"x{t}" for t in factors)):
            conn.execute(f'DROP DATABASE IF EXISTS "{database(suffix)}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    print(f"\nplaybook firing at {', '.join(f'{t}x' for t in args.times)} the 20,000-account book "
          f"(load average {os.getloadavg()[0]:.1f})")
    prepare_base(args.seed, args.as_of)
    results = [fire(times, multiply(times), args.as_of) for times in sorted(args.times)]
    if args.drop:
        drop(args.times)

    first = results[0]
    header = (f"{'accounts':>8}  {'firing s':>8}  {'peak MiB':>8}  {'growth MiB':>10}  {'s per 1000':>10}  "
              f"{'against first':>13}  result")
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        against = (r.seconds / r.accounts) / (first.seconds / first.accounts)
        print(f"{r.accounts:>8,}  {r.seconds:>8.2f}  {r.peak_mib:>8.0f}  {r.growth_mib:>10.0f}  "
              f"{r.seconds / r.accounts * 1000:>10.3f}  {against:>13.2f}  {r.result}")
    worst = max((r.seconds / r.accounts) / (first.seconds / first.accounts) for r in results)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}; {pages.python_speed_text()}")
    passes = worst <= FLAT
    print(f"firing cost per account, largest against smallest: {worst:.2f} (budget <= {FLAT}): "
          f"{'PASS' if passes else 'FAIL'}")
    if not passes:
        sys.exit(1)


if __name__ == "__main__":
    main()
