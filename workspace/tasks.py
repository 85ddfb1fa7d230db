"""The daily run's background half: after a queued recompute's last batch, the rest of the day in one task."""

import datetime as dt

from celery import shared_task

from healthcs.celery import TRANSIENT_RETRY
from scoring.backtest import DEFAULT_HORIZON, accuracy_report
from workspace.daily import finish_day as finish


@shared_task(acks_late=True, **TRANSIENT_RETRY)
def finish_day(as_of: str) -> int:
    """Finish a scored day (workspace.daily.finish_day; idempotent, so a redelivered or retried task changes
    nothing more), then compute and cache the Score accuracy page's default figures for the book as it now
    is, so a manager's first view of the day reads them from the cache. Returns the playbook firings."""
    report = finish(dt.date.fromisoformat(as_of))
    accuracy_report(as_of=None, horizon=DEFAULT_HORIZON)
    return report.firing.treated + report.firing.control
