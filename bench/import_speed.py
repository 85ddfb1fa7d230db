#!/usr/bin/env python3
"""Import benchmark: RavenStack and a generated healthcare book, into a fresh PostgreSQL database.

    .venv/bin/python bench/import_speed.py [--accounts 20000] [--seed 42] [--as-of 2026-11-01]

Prints, for each source, the rows per table, the wall time of the whole import (read, validate,
write, commit) and of a second, unchanged import, and the usage rows per second. The generated book
is written once to bench/data/ and reused. The database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) is dropped and re-created.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/healthcs_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")


def recreate_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_schema() -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    recreate_database()
    call_command("migrate", verbosity=0)


BUDGET_USAGE_ROWS_PER_SECOND = 100_000  # SPEC.md section 8, over the whole first import


def timed_import(label: str, directory: Path) -> float:
    """Both imports of the directory's files; returns the first import's usage rows per second."""
    from accounts.importing.services import import_files, read_directory

    files = read_directory(directory)
    first_rate = 0.0
    megabytes = sum(len(raw) for raw in files.values()) / 1e6
    for attempt in ("first import", "re-import"):
        started = time.perf_counter()
        result = import_files(files)
        seconds = time.perf_counter() - started
        if not result.ok:
            raise SystemExit("\n".join(str(p) for p in result.problems[:20]))
        rows = sum(t.rows for t in result.tables)
        usage = next((t for t in result.tables if t.table == "usage"), None)
        print(f"\n{label} — {attempt}: {rows:,} rows ({megabytes:,.0f} MB) in {seconds:.1f} s "
              f"= {rows / seconds:,.0f} rows/s end to end")
        for t in result.tables:
            print(f"  {t.table:<14} {t.rows:>10,} rows  new {t.inserted:>10,}  updated {t.updated:>8,}  "
                  f"write {t.seconds:6.2f} s")
        if usage:
            print(f"  usage rows per second over the whole import: {usage.rows / seconds:,.0f}; "
                  f"in its write step: {usage.rows_per_second:,.0f}")
            first_rate = first_rate or usage.rows / seconds
    return first_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    args = parser.parse_args()

    import django

    django.setup()
    from workspace.demo.generator import generate_book, write_book

    fresh_schema()
    timed_import("RavenStack", ROOT / "tests" / "data" / "ravenstack")

    book = ROOT / "bench" / "data" / f"book-{args.accounts}-seed{args.seed}-{args.as_of}"
    if not (book / "ravenstack_feature_usage.csv").exists():
        started = time.perf_counter()
        frames = generate_book(accounts=args.accounts, seed=args.seed, as_of=args.as_of, csm_emails=[])
        write_book(frames, book)
        print(f"\ngenerated {book.name} in {time.perf_counter() - started:.1f} s")
    fresh_schema()
    rate = timed_import(f"Generated book of {args.accounts:,} accounts", book)
    import pages

    verdict = "PASS" if rate >= BUDGET_USAGE_ROWS_PER_SECOND else "FAIL"
    print(f"\nFirst import of the generated book: {rate:,.0f} usage rows/s over the whole import (budget >= "
          f"{BUDGET_USAGE_ROWS_PER_SECOND:,}): {verdict}; load average at the end {os.getloadavg()[0]:.1f}")
    print(pages.python_speed_text())
    if verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
