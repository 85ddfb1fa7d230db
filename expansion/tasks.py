"""Background work of the expansion app: the day's signal detection after a recompute."""

import datetime as dt

from celery import shared_task

from expansion.signals import detect_signals


@shared_task(acks_late=True)
def detect_signals_for_day(as_of: str) -> int:
    """Detect the day's expansion signals (idempotent: a redelivered task refreshes the same signals)."""
    return detect_signals(as_of=dt.date.fromisoformat(as_of)).new
