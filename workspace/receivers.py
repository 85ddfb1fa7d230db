"""Receivers of what the lower layers announce (scoring.events).

Every process loads this module when Django starts (workspace.apps); the receiver imports its task, and with it the
daily run's machinery (pandas, the scoring services), when it first runs."""

import datetime as dt

from django.dispatch import receiver

from scoring.events import day_scored


@receiver(day_scored, dispatch_uid="workspace.finish_day")
def queue_finish_day(sender, *, as_of: dt.date, **kwargs) -> None:
    """A queued recompute wrote its last batch: the rest of the day runs as one task."""
    from workspace.tasks import finish_day  # see the module's description

    finish_day.delay(as_of.isoformat())
