"""seed_demo's intervention history (issue 5): 182 days in which playbooks fired, one CSM acted on time,
one on most tasks and sometimes late, one not at all (escalated), so the effectiveness page has real
numbers."""

import datetime as dt

import pytest
from django.db.models import Count, F, Q, Sum

from accounts.models import Account, ChurnEvent, Subscription, UsageRecord
from interventions.effectiveness import effectiveness
from interventions.models import Intervention, Notification, Outcome, Task
from tests.demo_book.conftest import AS_OF
from workspace.demo.interventions import STALE_DAYS


@pytest.mark.django_db
def test_the_demo_has_a_history_of_playbooks_worked_well_badly_and_not_at_all(demo_book):
    days = sorted(set(Intervention.objects.values_list("triggered_on", flat=True)))
    assert len(days) >= 5  # fired on many of the scored days, from the start of the history to its end
    assert days[0] <= AS_OF - dt.timedelta(days=90) and days[-1] >= AS_OF - dt.timedelta(days=14)
    assert Intervention.objects.filter(group="control").exists() and Intervention.objects.filter(group="treated")
    done_share = dict(Task.objects.filter(escalation_of__isnull=True, intervention__triggered_on__lt=AS_OF
                                          - dt.timedelta(days=7))
                      .values_list("account__csm__username").annotate(n=Count("id")))
    done = dict(Task.objects.filter(status="done").values_list("account__csm__username").annotate(n=Count("id")))
    on_time = dict(Task.objects.filter(status="done", done_at__lte=F("due_at"))
                   .values_list("account__csm__username").annotate(n=Count("id")))
    assert on_time.get("csm1", 0) / done_share["csm1"] > 0.85
    assert 0.5 < on_time.get("csm2", 0) / done.get("csm2", 1) < 0.95 and done.get("csm2", 0) / done_share["csm2"] > 0.8
    assert on_time.get("csm3", 0) == 0
    # No open task is older than a month: old steps were caught up with (late), recent ones wait.
    stale = AS_OF - dt.timedelta(days=STALE_DAYS + 7)
    assert not Task.objects.filter(status="open", due_at__date__lt=stale).exists()
    assert Task.objects.filter(status="open").exists()
    assert Outcome.objects.filter(created_by__username="csm1").exists()
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()  # history is not e-mailed

    report = effectiveness(as_of=AS_OF)
    assert report.rows
    assert any(r.churn_treated.n and r.churn_control.n for r in report.rows)
    assert any(r.recovery_treated.n for r in report.rows)
    assert {w.csm.username for w in report.workload} == {"csm1", "csm2", "csm3"}


@pytest.mark.django_db
def test_demo_churn_markers_agree_and_nothing_follows_a_churn(demo_book):
    churned = set(Account.objects.filter(churned=True).values_list("id", flat=True))
    events = dict(ChurnEvent.objects.values_list("account_id", "churn_date"))
    assert churned and churned == set(events)
    assert not Subscription.objects.filter(account_id__in=churned, end_date__isnull=True).exists()
    assert not Subscription.objects.exclude(account_id__in=churned).filter(churn_flag=True).exists()
    for account_id, day in events.items():
        assert not UsageRecord.objects.filter(subscription__account_id=account_id, date__gt=day).exists()
        assert not Intervention.objects.filter(account_id=account_id, triggered_on__gte=day).exists()
    # Live accounts: "churned" is never their outcome once the year is decided, and header seats fit the
    # licensed seats of their active subscriptions.
    live = Account.objects.filter(churned=False).annotate(licensed=Sum("subscriptions__seats", filter=Q(
        subscriptions__end_date__isnull=True)))
    assert all(a.licensed and a.seats <= a.licensed for a in live)
