"""The interventions' Celery tasks through a real Redis and worker: a scheduled recompute's last batch
fires the day's playbooks and then warms the Score accuracy figures, and the escalation sweep runs as a task."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.utils import timezone

from healthcs.celery import app
from interventions.firing import fire_playbooks
from interventions.models import Intervention, Notification, Playbook, PlaybookStep, Task
from interventions.tasks import escalate_overdue
from scoring.backtest import book_version
from scoring.models import RecomputeRun, RunStatus
from scoring.tasks import recompute_start
from tests.factories import AccountFactory, SnapshotFactory
from tests.scoring.page_data import AS_OF, build_book

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_last_batch_of_a_queued_recompute_fires_the_playbooks_then_warms_score_accuracy(
        own_account, foreign_account, settings):
    assert app.conf.broker_url.startswith("redis://")
    settings.SCORING_BATCH_SIZE = 1
    cache.clear()  # no figures of an earlier test's book
    app.control.purge()
    build_book(own_account, foreign_account)
    Playbook.objects.all().delete()
    playbook = Playbook.objects.create(name="Everyone at Low risk", trigger_kind="risk_level", trigger_value="Low")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Say hello", due_offset_hours=24)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run = recompute_start(as_of=AS_OF, trigger="web")
        assert wait_for(lambda: RecomputeRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED)
        assert wait_for(lambda: Intervention.objects.exists())
        warmed = f"backtest:dates:{book_version()}"  # the book as the day's run left it
        assert wait_for(lambda: cache.get(warmed) is not None)

    assert cache.get(warmed)[0] == [AS_OF]  # the page's cut-off choices, read without computing them again
    assert set(Intervention.objects.values_list("triggered_on", flat=True)) == {AS_OF}
    assert Intervention.objects.filter(playbook=playbook).count() == Task.objects.count() >= 1


def test_the_escalation_sweep_runs_as_a_task(csm, manager):
    app.control.purge()
    Playbook.objects.all().delete()
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=1, escalate_after_hours=2)
    day = timezone.localdate() - dt.timedelta(days=2)
    SnapshotFactory(account=AccountFactory(csm=csm), as_of=day, health_tier="Critical")
    fire_playbooks(as_of=day)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        escalate_overdue.delay()
        assert wait_for(lambda: Notification.objects.exists())

    assert Notification.objects.get().user == manager
    assert Task.objects.filter(escalation_of__isnull=False).count() == 1
