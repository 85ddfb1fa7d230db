#!/usr/bin/env python3
"""Ask-the-book benchmark (docs/performance.md): server time of the search page and `GET /api/search/` on the
20,000-account book.

    .venv/bin/python bench/search.py [--requests 30] [--seed 42] [--as-of 2026-11-01] [--fresh] [--prepare-only]
                                     [--show-queries]

The texts are searched in a database of their own, named after BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) plus "_search_20000": a copy (CREATE DATABASE ... TEMPLATE) of
recompute.py's 20,000-account database, which recompute.py's machinery makes or reuses (and migrates) first and
whose contents and schema this benchmark leaves alone (an existing book is copied without migrating it first; the
copy needs nobody else connected to the book while it is made).
Migrating the copy adds the texts' stored search vectors and their GIN indexes (accounts migration
customer_text_search) to its tickets, touchpoints and survey comments. In the copy it adds a manager and ten CSMs
(the project's role groups, as bench/pages.py does), gives the accounts to the CSMs round-robin (2,000 each, one
UPDATE) and runs VACUUM ANALYZE; a marker table records that preparation, and a later run reuses the copy and
only migrates. --fresh re-creates the copy (not the book).

Each case is requested in-process through Django's test client, logged in (force_login) as the manager (all
20,000 accounts) and as one CSM (their own ~2,000), with DEBUG off, over HTTPS as in production, and without the
optional LLM (the answer box is extractive: its sentences are scored too):
  - the search page /search/?q= for questions of the issue and others: a rare word, a common one, an EHR name, a
    German word, a quoted phrase, a question with an EHR and a month ("which Epic customers mention sync
    failures since September"), words no text holds together (the search falls back to any of them);
  - the same with filters (segment and category), page 2 as the HTMX fragment, and the API for two questions.
Requests are timed like bench/pages.py's (time.perf_counter around client.get, in rounds of one request of every
case of the role, after a warm-up pass), and the queries per request are counted in one more untimed request.

The table gives p50, p95 and the slowest request per case, the queries per request and the verdict against the
budget: p95 <= 200 ms in every case. Exit status 1 on FAIL.
"""

import datetime as dt
import logging
import os
import time
from urllib.parse import urlencode

# pages.py, next to this file, brings recompute.py's environment and book machinery, the bench users and the
# timing loop.
import pages
import recompute

os.environ["DEBUG"] = "false"

ACCOUNTS = recompute.BUDGET_ACCOUNTS
BUDGET_MS = 200.0
MARKER_TABLE = "bench_search"
QUESTIONS = {
    "rare word": ["refund", "credit"],
    "common word": ["sync", "appointments"],
    "EHR name": ["who mentioned athenahealth", "who mentioned Cerner"],
    "German word": ["Synchronisierung", "Kündigung"],
    "quoted phrase": ['"duplicate patients"', '"payment failed"'],
    "EHR + month": ["which Epic customers mention sync failures since September",
                    "Allscripts customers complaining about lab results in the last 90 days"],
    "no text has all": ["athenahealth zebrafish", "sync quantum"],
}


def database_name() -> str:
    return f"{recompute.BASE_NAME}_search_{ACCOUNTS}"


def holds_search(name: str, seed: int, as_of: dt.date) -> bool:
    """Whether the copy exists with the book and a completed preparation of this benchmark in it."""
    return pages.prepared_marker(name, seed, as_of, MARKER_TABLE) is not None


def prepare(seed: int, as_of: dt.date, fresh: bool) -> None:
    """Make the copy hold the book (migrated: with its search vectors), the users and the CSMs' books."""
    from django.core.management import call_command
    from django.db import connection

    name = database_name()
    if not fresh and holds_search(name, seed, as_of):
        recompute.use_database(name)
        call_command("migrate", verbosity=0)
        print(f"  reusing database {name}")
        return
    book = recompute.database_name(ACCOUNTS)
    if not recompute.holds_book(book, ACCOUNTS, seed, as_of):
        recompute.prepare(ACCOUNTS, seed, as_of, fresh=False)  # the book's database, made
    # An existing book is copied as it is, not migrated first: the copy gets this benchmark's migrations alone.
    started = time.perf_counter()
    recompute.use_database(name)  # closes the connection to the book's database, which the copy needs
    pages.copy_database(book, name)
    print(f"  copied the book to {name} in {time.perf_counter() - started:.1f} s")
    step = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrated (the texts' search vectors and GIN indexes) in {time.perf_counter() - step:.1f} s")
    _, csm_ids = pages.create_users()
    pages.assign_round_robin(csm_ids)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (csms integer)")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s)", [len(csm_ids)])
    print(f"  prepared {name} in {time.perf_counter() - started:.1f} s")


def cases() -> list[pages.Case]:
    from django.urls import reverse

    search, api = reverse("search"), reverse("api_search")

    def addresses(base: str, questions: list[str], **filters: str) -> list[str]:
        return [f"{base}?{urlencode({'q': question, **filters})}" for question in questions]

    return [
        *[pages.Case("search page", name, addresses(search, questions)) for name, questions in QUESTIONS.items()],
        pages.Case("search page", "segment + category filters",
                   addresses(search, ["sync", "who mentioned athenahealth"], segment="SMB", category="ticket")),
        pages.Case("search page", "HTMX fragment page 2", addresses(search, ["sync", "appointments"], page="2"),
                   {"HX-Request": "true"}),
        pages.Case("API", "/api/search/", addresses(api, ["who mentioned athenahealth",
                                                          QUESTIONS["EHR + month"][0]])),
    ]


def measure(requests: int, show_queries: bool) -> list[pages.CaseResult]:
    from django.conf import settings
    from django.test import Client

    from accounts.models import Account, SupportTicket, SurveyResponse, Touchpoint, User

    if settings.DEBUG:
        raise SystemExit("DEBUG must be off for the search benchmark")
    settings.ANALYSER_LLM_URL = ""  # the extractive answer: no LLM server in the measurement
    logging.getLogger("axes").setLevel(logging.WARNING)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    manager = User.objects.get(username="bench-manager")
    csm = User.objects.get(username="bench-csm01")
    texts = sum(model.objects.count() for model in (SupportTicket, Touchpoint, SurveyResponse))
    print(f"  manager sees {Account.objects.count():,} accounts and {texts:,} texts, {csm.username} "
          f"{Account.objects.filter(csm=csm).count():,} accounts")
    results = []
    for role, user in (("manager", manager), ("CSM", csm)):
        client = Client()
        client.force_login(user)
        results += pages.measure_role(client, role, cases(), requests, show_queries)
        client.logout()
    return results


def main() -> None:
    pages.run(__doc__, prepare=prepare, measure=lambda as_of, requests, show_queries: measure(requests, show_queries),
              requests=30, budget_ms=BUDGET_MS, what="search")


if __name__ == "__main__":
    main()
