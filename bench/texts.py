#!/usr/bin/env python3
"""Text reading benchmark (issue budget: ≥ 2,000 texts/s per core at ticket length for the built-in reader, and
the texts of a 2,000-account book read and stored in ≤ 60 s).

    .venv/bin/python bench/texts.py [--accounts 2000] [--seed 42] [--as-of 2026-11-01] [--fresh]

The book is the generated one of bench/recompute.py, in its database (BENCH_DATABASE_URL plus
"_recompute_<accounts>"), prepared the same way and reused when it is already there. Measured:

  - one core, ticket length: the built-in reader over ticket-length texts (300–800 characters, cut from the book's
    texts joined end to end, so the words are the book's), texts per second, best of 3;
  - one core, the book's own texts as they are (mostly short), texts per second, best of 3;
  - the whole book: every ticket and touchpoint marked unread, then `texts_read_pending()` — read on every core,
    stored in the database — wall clock.

Exit status 1 when a budget is missed.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recompute  # noqa: E402  (the book and its database; sets the environment Django reads)

PER_CORE_BUDGET = 2000.0
BOOK_BUDGET_SECONDS = 60.0
TICKET_LENGTHS = (300, 800)


def ticket_length_texts(texts: list[str], count: int = 3000) -> list[str]:
    """Texts of 300–800 characters made of the book's own texts, joined end to end and cut at a word."""
    import random

    rng = random.Random(7)
    pool = [text for text in texts if text.strip()]
    result = []
    while len(result) < count and pool:
        target = rng.randint(*TICKET_LENGTHS)
        pieces, length = [], 0
        while length < target:
            piece = rng.choice(pool)
            pieces.append(piece)
            length += len(piece) + 1
        result.append(" ".join(pieces)[:target].rsplit(" ", 1)[0])
    return result


def best_rate(texts: list[str], runs: int = 3) -> float:
    from scoring.texts.reader import read
    from scoring.texts.service import lexicon

    names = lexicon()
    read("warm-up", names)
    best = 0.0
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            read(text, names)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the database")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from accounts.models import SupportTicket, Touchpoint
    from scoring.texts.service import texts_mark_unread, texts_read_pending

    print(f"{args.accounts:,} accounts (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, "
          f"{settings.SCORING_COMMAND_WORKERS} reading processes at most)")
    recompute.prepare(args.accounts, args.seed, args.as_of, args.fresh)
    texts = [f"{s}\n{b}".strip() for s, b in SupportTicket.objects.values_list("subject", "body")]
    texts += [f"{s}\n{b}".strip() for s, b in Touchpoint.objects.values_list("subject", "text")]
    tickets = ticket_length_texts(texts)
    mean_ticket = sum(map(len, tickets)) / len(tickets)
    mean_book = sum(map(len, texts)) / len(texts)
    ticket_rate = best_rate(tickets)
    book_sample = texts[:: max(1, len(texts) // 5000)]
    book_rate = best_rate(book_sample)
    texts_mark_unread()
    started = time.perf_counter()
    stored = texts_read_pending()
    book_seconds = time.perf_counter() - started

    print(f"  one core, ticket length ({len(tickets):,} texts, mean {mean_ticket:.0f} characters): "
          f"{ticket_rate:,.0f} texts/s")
    print(f"  one core, the book's texts ({len(book_sample):,} of {len(texts):,}, mean {mean_book:.0f} characters): "
          f"{book_rate:,.0f} texts/s")
    print(f"  whole book: {stored:,} of {len(texts):,} texts read and stored in {book_seconds:.1f} s")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    failures = []
    if ticket_rate < PER_CORE_BUDGET:
        failures.append(f"ticket-length reading {ticket_rate:,.0f}/s is below {PER_CORE_BUDGET:,.0f}/s")
    if book_seconds > BOOK_BUDGET_SECONDS:
        failures.append(f"the book took {book_seconds:.1f} s, over {BOOK_BUDGET_SECONDS:.0f} s")
    print("FAIL: " + "; ".join(failures) if failures else "PASS")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
