"""Receivers of what the customer-data layer announces (accounts.events): a reassigned account's open tasks go
with it to its new CSM."""

from django.dispatch import receiver

from accounts.events import accounts_reassigned
from interventions.services import tasks_hand_over


@receiver(accounts_reassigned, dispatch_uid="interventions.hand_over_tasks")
def hand_over_tasks(sender, *, moves: dict[int, tuple[int | None, int]], **kwargs) -> None:
    """Inside the reassignment's transaction: all or nothing with it."""
    tasks_hand_over(moves=moves)
