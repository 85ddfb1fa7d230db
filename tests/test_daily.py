"""The daily run in one function (workspace.daily): scores, then the planner's statistics, churn predictions,
expansion signals and playbook firing; the schedule, `recompute_scores` and `seed_demo` all go through it."""

import random
import sys

import pytest

from interventions.models import Intervention, Playbook, PlaybookStep
from scoring.events import day_scored
from scoring.models import Snapshot
from tests.scoring.page_data import AS_OF, OWN_RISK, build_book
from workspace.daily import run_day
from workspace.receivers import queue_finish_day

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
