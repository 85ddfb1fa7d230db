"""Background work of the top layer: after a queued recompute's last batch, the rest of the day in one task; the
daily CSM digests, the weekly executive summary and the business reviews printed before renewals on the beat
schedule.

Every process that runs or queues tasks loads this module (the receivers name finish_day); the score accuracy
report that follows a day is scoring's task, and brings scikit-learn's metrics only when it runs."""

import datetime as dt

from healthcs.celery import TRANSIENT_RETRY, app
from scoring.tasks import cache_accuracy_report
from workspace.daily import finish_day as finish
from workspace.digests import daily_digests_send, weekly_summaries_send
from workspace.review_documents import review_document_store, reviews_due


@app.task(acks_late=True, **TRANSIENT_RETRY)
def finish_day(as_of: str) -> int:
    """Finish a scored day (workspace.daily.finish_day; idempotent, so a redelivered or retried task changes
    nothing more), then queue the Score accuracy page's figures for the book as it now is
    (scoring.tasks.cache_accuracy_report): a manager's first view of the day reads them from the cache, and the day
    is done without waiting for them (about 3 s at 20,000 accounts, bench/schedule.py). Returns the playbook
    firings."""
    report = finish(dt.date.fromisoformat(as_of))
    cache_accuracy_report.delay()
    return report.firing.treated + report.firing.control


@app.task(acks_late=True, **TRANSIENT_RETRY)
def send_daily_digests(day: str | None = None) -> int:
    """E-mail each user their digest of the day (default today); a user's digest goes once, so a retried or
    repeated run sends nothing twice. Returns the number sent."""
    return daily_digests_send(day=dt.date.fromisoformat(day) if day else None).sent


@app.task(acks_late=True, **TRANSIENT_RETRY)
def send_weekly_summaries(day: str | None = None) -> int:
    """E-mail the managers and admins the summary of the seven days up to the day (default today), once each.
    Returns the number sent."""
    return weekly_summaries_send(day=dt.date.fromisoformat(day) if day else None).sent


@app.task(acks_late=True, **TRANSIENT_RETRY)
def store_renewal_reviews(day: str | None = None) -> int:
    """Queue the printing of the last quarter's review for each account renewing within REVIEW_RENEWAL_DAYS that has
    none stored yet (docs/operations.md#business-reviews); one small task per account. Returns how many."""
    period, due = reviews_due(today=dt.date.fromisoformat(day) if day else None)
    for account_id in due:
        store_review_document.delay(account_id, period.key)
    return len(due)


@app.task(acks_late=True, time_limit=180, soft_time_limit=150, **TRANSIENT_RETRY)
def store_review_document(account_id: int, period_key: str) -> int:
    """Print and store one account's review of the period (replacing an earlier print). Returns its size."""
    return review_document_store(account_id=account_id, period_key=period_key).size
