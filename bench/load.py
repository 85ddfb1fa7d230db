#!/usr/bin/env python3
"""Load benchmark (SPEC §9): 50 logged-in users on gunicorn and PostgreSQL, over loopback.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--accounts 2000] [--seed 42]
                                   [--think 1.0 5.0] [--workers 2] [--threads 4] [--fresh] [--prepare-only]

The book lives in a PostgreSQL database of its own, named after BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) plus "_load" (healthcs_bench_load), so nothing else is
disturbed. It is made by `manage.py seed_demo --accounts 2000` (the demo book: users, scores over 120 days,
alerts, playbooks fired and worked, the expansion pipeline), then VACUUM ANALYZE; a marker table records
the accounts and seed, and a later run reuses the book and only migrates. --fresh re-creates it.

The run: gunicorn serves the app (DEBUG off, gthread workers, bound to 127.0.0.1 only) against that
database; the users' sessions are created up front (one session per user, from the demo's CSMs and its
manager, every fourth user a manager). Each user is a thread with one keep-alive connection that, for
--duration seconds, requests a page from the mix below, then waits a think time drawn uniformly from
--think (seconds), like a person reading the page; every loop is bounded (by the deadline and by a
maximum number of requests). The mix:
  - at-risk list /accounts/ (default order, a risk filter, a page further on),
  - Account 360 /accounts/<id>/ of one of the user's accounts,
  - My queue (home) /,
  - the pipeline board /pipeline/,
  - the API list /api/accounts/.
Requests are sent as by an HTTPS proxy (X-Forwarded-Proto: https).

It reports requests/s, p50/p95/p99 per page and overall, errors (any status but 200, or a failed
connection), the largest HTML (or JSON) body per page, and the load average at the start and at the end.
Budget: p95 <= 300 ms overall and on every page, no errors, every page under 200 KB. Exit status 1 when
the budget is missed.
"""

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/healthcs_bench")
SERVER_URL, BASE_NAME = BASE_URL.rsplit("/", 1)
DATABASE_NAME = f"{BASE_NAME}_load"
DATABASE_URL = f"{SERVER_URL}/{DATABASE_NAME}"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"  # as in production: templates cached, no query log
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")

MARKER_TABLE = "bench_load"
HOST = "127.0.0.1"  # loopback only: the server is never reachable from elsewhere
BUDGET_P95_MS = 300.0
BUDGET_BYTES = 200 * 1024
MAX_REQUESTS_PER_USER = 100_000  # a bound on every user's loop besides the deadline
MANAGER_EVERY = 4  # every fourth user is a manager, the others CSMs
PAGES = ("at-risk list", "Account 360", "My queue", "pipeline board", "API list")


# Preparation ------------------------------------------------------------------------------------------

def holds_book(accounts: int, seed: int) -> bool:
    """Whether the database exists and a completed preparation recorded this book in it."""
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
            return False
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0] is None:
            return False
        return conn.execute(f"SELECT accounts, seed FROM {MARKER_TABLE}").fetchone() == (accounts, seed)


def prepare(accounts: int, seed: int, fresh: bool) -> None:
    """Make the database hold the migrated schema and the scored demo book."""
    import django
    import psycopg

    if fresh or not holds_book(accounts, seed):
        started = time.perf_counter()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--accounts", str(accounts), "--seed", str(seed))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(f"CREATE TABLE {MARKER_TABLE} (accounts integer, seed integer)")
            cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s)", [accounts, seed])
        print(f"  prepared {DATABASE_NAME} in {time.perf_counter() - started:.1f} s")
        return
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"  reusing database {DATABASE_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()
    prepare(args.accounts, args.seed, args.fresh)


if __name__ == "__main__":
    main()
