"""The recompute batch task retries named transient errors (database or broker unreachable) with
backoff and a cap, keeping the run running meanwhile; any other error fails the run at once.

`apply()` runs the task here and its retries one after the other, as a worker would (without the waits),
once eager errors are not propagated: otherwise Celery raises its Retry signal instead of retrying."""

import datetime as dt

import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from healthcs.celery import app
from scoring import tasks
from scoring.models import RunStatus
from scoring.services import recompute_run_create
from scoring.tasks import read_text_batch, recompute_one_batch
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 3, 16)


@pytest.fixture(autouse=True)
def retries_run_in_apply(monkeypatch):
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


@pytest.fixture
def run():
    AccountFactory(external_id="A-1")
    return recompute_run_create(as_of=AS_OF, trigger="schedule")


def failing(monkeypatch, error: Exception, times: int) -> list[int]:
    """recompute_batch raises `error` on its first `times` calls, then works; returns the calls' batch ids."""
    calls: list[int] = []
    real = tasks.recompute_batch

    def flaky(*, batch_id: int, side_by_side: bool = False) -> bool:
        calls.append(batch_id)
        if len(calls) <= times:
            raise error
        return real(batch_id=batch_id, side_by_side=side_by_side)

    monkeypatch.setattr(tasks, "recompute_batch", flaky)
    return calls


@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"),
                                   BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379"),
                                   RedisConnectionError("Connection refused")])
def test_a_transient_error_is_retried_and_the_run_succeeds(monkeypatch, run, error):
    batch = run.batches.get()
    calls = failing(monkeypatch, error, times=1)

    result = recompute_one_batch.apply(args=[batch.pk, run.pk])

    assert (result.state, result.result) == ("SUCCESS", True)
    assert calls == [batch.pk, batch.pk]
    run.refresh_from_db()
    assert (run.status, run.error, run.batches_done) == (RunStatus.SUCCEEDED, "", 1)


def test_a_transient_error_that_lasts_fails_the_run_after_the_last_retry(monkeypatch, run):
    batch = run.batches.get()
    calls = failing(monkeypatch, OperationalError("the database system is shutting down"), times=100)

    result = recompute_one_batch.apply(args=[batch.pk, run.pk])

    assert result.state == "FAILURE" and isinstance(result.result, OperationalError)
    assert len(calls) == 1 + recompute_one_batch.max_retries == 6
    run.refresh_from_db()
    assert (run.status, run.error, run.batches_done) == (
        RunStatus.FAILED, "OperationalError after 5 retries: the database system is shutting down", 0)


def test_any_other_error_fails_the_run_at_once(monkeypatch, run):
    batch = run.batches.get()
    calls = failing(monkeypatch, ValueError("a bug"), times=100)

    result = recompute_one_batch.apply(args=[batch.pk, run.pk])

    assert result.state == "FAILURE" and isinstance(result.result, ValueError)
    assert calls == [batch.pk]
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "ValueError: a bug")


@pytest.mark.parametrize("task", [recompute_one_batch, read_text_batch])
def test_retries_back_off_with_a_cap(task):
    assert OperationalError in task.autoretry_for and BrokerOperationalError in task.autoretry_for
    assert ConnectionError not in task.autoretry_for  # Python's own: no database or broker client raises it
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter, task.max_retries) == (5, 300, True, 5)
