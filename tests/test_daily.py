"""The daily run in one function (workspace.daily): scores, then the planner's statistics, churn predictions,
expansion signals and playbook firing; the schedule, `recompute_scores` and `seed_demo` all go through it."""

import random
import sys

import pytest
from celery.signals import task_prerun
from django.core.cache import cache

from healthcs.celery import app as celery_app
from interventions.models import Intervention, Playbook, PlaybookStep
from scoring.backtest import book_version
from scoring.events import day_scored
from scoring.models import Snapshot
from scoring.services import recompute_scores
from tests.scoring.page_data import AS_OF, OWN_RISK, build_book
from workspace.daily import run_day
from workspace.receivers import queue_finish_day
from workspace.tasks import finish_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def medium_playbook(db):
    Playbook.objects.all().delete()
    playbook = Playbook.objects.create(name="Medium", trigger_kind="risk_level", trigger_value="Medium",
                                       control_share=0)
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=24)
    return playbook


def test_a_day_scores_the_book_then_fires_the_playbooks_on_those_scores(own_account, foreign_account,
                                                                         medium_playbook):
    build_book(own_account, foreign_account)

    report = run_day(AS_OF, rng=random.Random(1))

    assert report.as_of == AS_OF and report.scores.run.accounts_scored == 2
    assert Snapshot.objects.get(account=own_account, as_of=AS_OF).risk_score == OWN_RISK
    assert report.predicted == 0  # no active churn model
    assert report.signals is not None and report.signals.as_of == AS_OF
    assert (report.firing.treated, report.firing.control) == (1, 0)
    assert Intervention.objects.get().account == own_account  # Medium, from the day's own scores


def test_a_day_without_a_churn_model_never_loads_the_model_code(own_account, foreign_account, medium_playbook,
                                                                 monkeypatch):
    build_book(own_account, foreign_account)
    monkeypatch.setitem(sys.modules, "scoring.model.predict", None)  # importing it now raises ImportError

    report = run_day(AS_OF, rng=random.Random(1))

    assert report.predicted == 0 and report.firing.treated == 1


def test_a_day_without_signals_skips_only_them(own_account, foreign_account, medium_playbook):
    build_book(own_account, foreign_account)

    report = run_day(AS_OF, signals=False)

    assert report.signals is None and report.firing.treated == 1


def test_the_scoring_layer_announces_a_scored_day_to_the_workspace_without_importing_it():
    assert any(entry[1]() is queue_finish_day for entry in day_scored.receivers)  # (key, weak reference, is_async)


def test_the_days_task_queues_the_accuracy_figures_as_a_task_of_their_own(own_account, foreign_account,
                                                                          medium_playbook):
    """The schedule's day ends with its playbooks; the Score accuracy page's figures for the new book follow in
    scoring.tasks.cache_accuracy_report, so the day is not kept waiting for them (bench/schedule.py)."""
    build_book(own_account, foreign_account)
    recompute_scores(as_of=AS_OF, trigger="command")  # the batches' part of the day
    cache.clear()
    started = []

    def record(sender=None, **kwargs):
        started.append(sender.name)

    task_prerun.connect(record)
    celery_app.conf.task_always_eager = True
    try:
        firings = finish_day.delay(AS_OF.isoformat()).get()
    finally:
        celery_app.conf.task_always_eager = False
        task_prerun.disconnect(record)

    assert firings == 1 and Intervention.objects.get().account == own_account
    assert started == ["workspace.tasks.finish_day", "scoring.tasks.cache_accuracy_report"]
    dates, _latest = cache.get(f"backtest:dates:{book_version()}")
    assert dates == [AS_OF]
