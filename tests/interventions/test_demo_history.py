"""seed_demo's intervention history (issue 5): 120 days in which playbooks fired, one CSM acted on time,
one late and on about half, one not at all (escalated), so the effectiveness page has real numbers."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import User
from interventions.effectiveness import effectiveness
from interventions.models import Intervention, Notification, Outcome, Task

AS_OF = dt.date(2025, 3, 14)


@pytest.mark.django_db
def test_the_demo_has_a_history_of_playbooks_worked_well_badly_and_not_at_all():
    call_command("seed_demo", "--accounts", "150", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())

    days = sorted(set(Intervention.objects.values_list("triggered_on", flat=True)))
    assert len(days) >= 5  # fired on many of the scored days, from the start of the history to its end
    assert days[0] <= AS_OF - dt.timedelta(days=90) and days[-1] >= AS_OF - dt.timedelta(days=14)
    assert Intervention.objects.filter(group="control").exists() and Intervention.objects.filter(group="treated")
    done_share = dict(Task.objects.filter(escalation_of__isnull=True, intervention__triggered_on__lt=AS_OF
                                          - dt.timedelta(days=7))
                      .values_list("account__csm__username").annotate(n=Count("id")))
    done = dict(Task.objects.filter(status="done").values_list("account__csm__username").annotate(n=Count("id")))
    assert done.get("csm1", 0) / done_share["csm1"] > 0.85
    assert 0.3 < done.get("csm2", 0) / done_share["csm2"] < 0.7
    assert done.get("csm3", 0) == 0
    assert Outcome.objects.filter(created_by__username="csm1").exists()
    manager = User.objects.get(username="manager")
    assert Notification.objects.filter(user=manager, task__account__csm__username="csm3").exists()
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()  # history is not e-mailed

    report = effectiveness(as_of=AS_OF)
    assert report.rows
    assert any(r.churn_treated.n and r.churn_control.n for r in report.rows)
    assert any(r.recovery_treated.n for r in report.rows)
    assert {w.csm.username for w in report.workload} == {"csm1", "csm2", "csm3"}
