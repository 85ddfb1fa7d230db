"""A small book of open tasks for the Tasks page's tests: casey's on Lakeside and Bayview, one per due bucket,
and robin's on Harbor."""

import datetime as dt

from django.utils import timezone

from interventions.models import Intervention, Task
from tests.factories import AccountFactory, InterventionFactory, PlaybookFactory, TaskFactory


def add_task(account, playbook, title: str, due_at: dt.datetime, channel: str = "call", **fields) -> Task:
    """A task on the account's open intervention of the playbook (made when missing), its CSM's."""
    intervention = Intervention.objects.filter(account=account, playbook=playbook, status="open").first() \
        or InterventionFactory(account=account, playbook=playbook)
    order = intervention.tasks.count() + 1
    return TaskFactory(intervention=intervention, order=order, title=title, due_at=due_at, channel=channel, **fields)


def task_book(csm, own_account, foreign_account) -> dict:
    """casey: five open tasks on Lakeside and Bayview, one per due bucket (and one done); robin: one on Harbor."""
    now = timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    bayview = AccountFactory(external_id="A-BAY", name="Bayview Clinic", csm=csm)
    rescue = PlaybookFactory(name="Renewal rescue", priority=10)
    onboarding = PlaybookFactory(name="Onboarding", priority=50)
    tasks = {
        "call_lakeside": add_task(own_account, rescue, "Call Lakeside", now - dt.timedelta(days=2)),
        "email_bayview": add_task(bayview, onboarding, "Email Bayview", now - dt.timedelta(hours=1), "email"),
        "email_lakeside": add_task(own_account, onboarding, "Email Lakeside", now + (end_of_day - now) / 2, "email"),
        "check_bayview": add_task(bayview, rescue, "Check Bayview usage", end_of_day + dt.timedelta(days=3), "task"),
        "review_lakeside": add_task(own_account, rescue, "Review Lakeside", end_of_day + dt.timedelta(days=20)),
        "robins_call": add_task(foreign_account, rescue, "Robin's call", now - dt.timedelta(days=1)),
    }
    add_task(own_account, rescue, "Done already", now - dt.timedelta(days=3), status="done")
    return {"tasks": tasks, "rescue": rescue, "onboarding": onboarding}
