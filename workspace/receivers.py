"""Receivers of what the lower layers announce (scoring.events)."""

import datetime as dt

from django.dispatch import receiver

from scoring.events import day_scored
from workspace.tasks import finish_day


@receiver(day_scored, dispatch_uid="workspace.finish_day")
def queue_finish_day(sender, *, as_of: dt.date, **kwargs) -> None:
    """A queued recompute wrote its last batch: the rest of the day runs as one task."""
    finish_day.delay(as_of.isoformat())
