"""Background work of the interventions app: the escalation sweep (firing after a recompute: workspace.tasks)."""


from celery import shared_task
from django.conf import settings

from interventions.services import escalate_overdue_tasks


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    """The periodic sweep: escalate open tasks past their escalation time (each once)."""
    return escalate_overdue_tasks(site_url=settings.SITE_URL)
