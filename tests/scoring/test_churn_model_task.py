"""The churn model's training as a task: once through a real Celery worker and Redis, from the command, and from
the managers' "Retrain now" button while the broker is down."""

import datetime as dt
import time
from io import StringIO

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from healthcs.celery import app
from scoring.models import ChurnModel, ChurnModelStatus
from tests.factories import AccountFactory, SubscriptionFactory
from tests.test_import_broker_down import CLOSED_PORT, redis_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retrain_now_has_a_worker_train_a_model_and_keep_a_rejected_one_with_its_reason(client, manager):
    assert settings.REDIS_URL and app.conf.broker_url.startswith("redis://")
    AccountFactory(external_id="T-1")  # a book without usage history: nothing to learn from yet
    client.force_login(manager)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = client.post(reverse("churn_model_retrain"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ChurnModel.objects.exists():
            time.sleep(0.2)

    assert response.status_code == 302 and response["Location"] == reverse("score_accuracy") + "#model"
    model = ChurnModel.objects.get()
    assert (model.version, model.status, model.trigger, model.created_by) == (1, ChurnModelStatus.REJECTED, "web",
                                                                               manager)
    assert model.reason.startswith("Not enough history")
    assert "Not activated:</strong> Not enough history" in client.get(reverse("score_accuracy")).content.decode()


def test_training_runs_weekly_from_the_beat_schedule():
    entry = app.conf.beat_schedule["train-churn-model-weekly"]

    assert entry["task"] == "scoring.tasks.train_churn_model"
    assert entry["schedule"].day_of_week == {0}


@pytest.mark.django_db
def test_the_command_prints_the_verdict_and_why():
    SubscriptionFactory(account=AccountFactory(external_id="T-2"), start_date=dt.date(2025, 1, 1))
    out = StringIO()

    call_command("train_churn_model", as_of=dt.date(2025, 6, 30), stdout=out)

    assert "Churn model v1: trained 2025-06-30 to 2025-06-30, 0 rows" in out.getvalue()
    assert "Not activated: Not enough history" in out.getvalue()


@pytest.mark.django_db
def test_retrain_now_with_the_broker_down_says_so_and_changes_nothing(client, manager, settings):
    client.force_login(manager)

    with redis_at(CLOSED_PORT, settings):
        response = client.post(reverse("churn_model_retrain"))

    assert response.status_code == 503
    assert "The background task queue is not reachable right now" in response.content.decode()
    assert not ChurnModel.objects.exists()
