"""A web import handed to a real Celery worker through the Redis broker."""

import gc
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from accounts import models as m
from accounts.services import import_run_create
from accounts.tasks import run_import
from healthcs.celery import app
from tests.importing import ravenstack_files


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_queued_import_through_redis(manager, tmp_path):
    assert settings.REDIS_URL, "this test needs REDIS_URL: the worker must go through a real Redis"
    assert app.conf.broker_url.startswith("redis://")
    run = import_run_create(user=manager, files=ravenstack_files(), upload_root=Path(tmp_path))
    app.control.purge()  # a message an earlier test left in this Redis database must not run into later tests' data

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run_import.delay(run.pk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in (m.ImportStatus.SUCCEEDED, m.ImportStatus.FAILED):
                break
            time.sleep(0.2)

    assert run.status == m.ImportStatus.SUCCEEDED, run.errors[:5]
    assert run.counts["usage"] == {"rows": 25000, "inserted": 25000, "updated": 0, "unchanged": 0}
    assert m.Account.objects.count() == 500
    assert not Path(run.upload_dir).exists()


@pytest.mark.django_db
def test_a_run_is_imported_only_once(manager, tmp_path):
    run = import_run_create(user=manager, files=ravenstack_files(), upload_root=Path(tmp_path))
    run_import.apply(args=[run.pk])
    finished_at = m.ImportRun.objects.get(pk=run.pk).finished_at

    run_import.apply(args=[run.pk])  # a redelivered message

    assert m.ImportRun.objects.get(pk=run.pk).finished_at == finished_at
    assert m.UsageRecord.objects.count() == 25000


@pytest.mark.django_db
def test_stale_imports_are_closed_and_their_files_removed(manager, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from accounts.services import import_runs_expire

    stale = import_run_create(user=manager, files={"a.csv": b"x"}, upload_root=Path(tmp_path))
    fresh = import_run_create(user=manager, files={"b.csv": b"x"}, upload_root=Path(tmp_path))
    seven_hours_ago = timezone.now() - dt.timedelta(hours=7)  # handed to a broker then, and no worker took it
    m.ImportRun.objects.filter(pk=stale.pk).update(created_at=seven_hours_ago, dispatched_at=seven_hours_ago)

    assert import_runs_expire() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == m.ImportStatus.FAILED and "did not finish in time" in stale.errors[0]
    assert not Path(stale.upload_dir).exists()
    assert fresh.status == m.ImportStatus.QUEUED and Path(fresh.upload_dir).exists()


def test_the_beat_schedule_names_registered_tasks():
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


@pytest.mark.worker
def test_a_pool_process_starts_its_tasks_with_what_the_worker_loaded_frozen():
    """healthcs.celery.freeze_what_was_loaded: the garbage collector's full collections during a task no longer walk
    Django, pandas and the app (the solo pool starts its one pool process as prefork starts each of its own)."""
    gc.unfreeze()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            frozen = gc.get_freeze_count()
        assert frozen > 50_000  # the modules, classes and functions this process has loaded, at the least
    finally:
        gc.unfreeze()


@pytest.mark.worker
def test_a_prefork_pool_process_keeps_sharing_what_the_worker_loaded(tmp_path):
    """healthcs.celery.freeze_before_the_fork: the worker's main process, whose garbage collector would otherwise walk
    everything it loaded after forking its pool processes, leaves the pages it shares with them alone, so an idle pool
    process holds almost nothing of its own (10-65 MiB before, 6 MiB after, on the machine this was written on)."""
    log = tmp_path / "worker.log"
    with log.open("wb") as out:  # on a queue of its own: it takes no other test's tasks
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "healthcs", "worker", "--pool", "prefork", "--concurrency", "2",
             "--queues", "pool-memory-test", "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=Path(__file__).resolve().parents[1], env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false"},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        time.sleep(2)  # the main process's own work, and its collections, once its pool has started
        pool = psutil.Process(worker.pid).children()
        private = [process.memory_full_info().uss / 2**20 for process in pool]
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert len(private) == 2
    assert max(private) < 20, private


MEMORY_AT_THE_TASKS_END: list[float] = []


def private_mib() -> float:
    return psutil.Process().memory_full_info().uss / 2**20


@app.task(name="tests.free_what_was_used")
def free_what_was_used() -> None:
    """Some 450 MiB through pyarrow's pool and 180 MiB on the C heap in blocks both keep for reuse, one in a hundred
    still held when the rest is freed (as a day's batch leaves them); the process's private memory as it returns."""
    column = pa.array(np.arange(30_000))
    arrow = [pc.add(column, n) for n in range(2_000)]
    heap = [bytearray(3_000) for _ in range(60_000)]
    held = arrow[::100], heap[::100]
    del arrow, heap
    MEMORY_AT_THE_TASKS_END.append(private_mib())
    assert held


@pytest.mark.worker
def test_a_pool_process_gives_back_what_its_task_freed():
    """healthcs.celery.return_freed_memory: after its task a pool process holds what it uses, not what it used."""
    app.control.purge()
    MEMORY_AT_THE_TASKS_END.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        free_what_was_used.delay()
        deadline = time.monotonic() + 60
        while not MEMORY_AT_THE_TASKS_END:
            assert time.monotonic() < deadline, "the task did not run"
            time.sleep(0.05)
    after = private_mib()  # the worker stopped: the task's end and its signals are past

    assert MEMORY_AT_THE_TASKS_END[0] - after > 400  # of the 630 MiB freed, less what is still held
