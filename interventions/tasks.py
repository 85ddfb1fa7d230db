"""Background work of the interventions app: firing after a recompute and the escalation sweep."""

import datetime as dt

from celery import shared_task
from django.conf import settings

from interventions.firing import fire_playbooks
from interventions.services import escalate_overdue_tasks


@shared_task(acks_late=True)
def fire_playbooks_for_day(as_of: str) -> int:
    """Fire the playbooks for a scoring date (idempotent: a redelivered task creates nothing new)."""
    report = fire_playbooks(as_of=dt.date.fromisoformat(as_of))
    return report.treated + report.control


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    """The periodic sweep: escalate open tasks past their escalation time (each once)."""
    return escalate_overdue_tasks(site_url=settings.SITE_URL)
