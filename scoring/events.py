"""What the scoring layer announces to the layers above it, without importing them (they connect receivers)."""

from django.dispatch import Signal

# Sent once when a queued recompute run has written its last batch; keyword argument `as_of` (a date).
day_scored = Signal()
