"""Receivers of what the customer-data layer announces (accounts.events): a reassigned account's open tasks go
with it to its new CSM.

Every process loads this module when Django starts (interventions.apps); the receiver imports the interventions'
services (and with them the webhooks' delivery) when it first runs."""

from django.dispatch import receiver

from accounts.events import accounts_reassigned


@receiver(accounts_reassigned, dispatch_uid="interventions.hand_over_tasks")
def hand_over_tasks(sender, *, moves: dict[int, tuple[int | None, int]], **kwargs) -> None:
    """Inside the reassignment's transaction: all or nothing with it."""
    from interventions.services import tasks_hand_over  # see the module's description

    tasks_hand_over(moves=moves)
