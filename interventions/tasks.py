"""Background work of the interventions app: the escalation sweep (firing after a recompute: workspace.tasks)."""


from django.conf import settings

from healthcs.celery import app
from interventions.services import escalate_overdue_tasks


@app.task(acks_late=True)
def escalate_overdue() -> int:
    """The periodic sweep: escalate open tasks past their escalation time (each once)."""
    return escalate_overdue_tasks(site_url=settings.SITE_URL)
