#!/usr/bin/env python3
"""Business review and brief generation time (issue 18: quote the review generation time).

    .venv/bin/python bench/reviews.py [--accounts 20] [--pdfs 3]

Runs against the database in DATABASE_URL (e.g. the demo's, after `seed_demo`): for the live accounts with the
most tickets (the heaviest reviews), times the review of the last full quarter (the data: `business_review`),
its HTML document, the risk and expansion briefs, and for the first few of them the PDF print by headless Chromium
with the PDF cache bypassed. Prints p50 and max per step, the load average and the machine's cores."""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--pdfs", type=int, default=3)
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.cache import cache
    from django.db.models import Count

    from accounts.models import Account
    from workspace.briefs import expansion_brief, risk_brief
    from workspace.pdf import html_to_pdf
    from workspace.review_documents import review_html
    from workspace.reviews import business_review, last_full_quarter

    period = last_full_quarter()
    accounts = list(Account.objects.filter(churned=False).annotate(n=Count("tickets")).order_by("-n", "id")
                    .select_related("csm")[:options.accounts])
    timings: dict[str, list[float]] = {"review data": [], "review HTML": [], "risk brief": [],
                                       "expansion brief": [], "PDF print": []}
    for number, account in enumerate(accounts):
        for step, work in (("review data", lambda a=account: business_review(a, period)),
                           ("review HTML", lambda a=account: review_html(a, period)),
                           ("risk brief", lambda a=account: risk_brief(a)),
                           ("expansion brief", lambda a=account: expansion_brief(a))):
            started = time.perf_counter()
            work()
            timings[step].append(time.perf_counter() - started)
        if number < options.pdfs:
            html = review_html(account, period)
            cache.clear()  # a real print each time
            started = time.perf_counter()
            pdf = html_to_pdf(html)
            timings["PDF print"].append(time.perf_counter() - started)
            print(f"{account.external_id}: PDF of {len(pdf):,} bytes")
    print(f"{len(accounts)} accounts of {Account.objects.count():,}, period {period.label}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for step, values in timings.items():
        if values:
            print(f"{step:16} p50 {1000 * statistics.median(values):8.1f} ms   max {1000 * max(values):8.1f} ms"
                  f"   ({len(values)} runs)")


if __name__ == "__main__":
    main()
