"""A web import while Redis is down is not lost: the page says it is queued, the run keeps its files, and
the dispatch sweep hands it to a real worker once the broker is back; a stuck broker does not hold the
request. The broker is made unreachable for real: a closed port, or a port that accepts and never answers."""

import datetime as dt
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import models as m
from accounts.services import import_run_create, import_runs_expire
from accounts.tasks import dispatch_queued_imports, import_runs_dispatch_queued
from healthcs.celery import app
from tests.importing import ravenstack_files

CLOSED_PORT = "redis://127.0.0.1:1/0"
QUEUED_MESSAGE = ("Queued: the background worker cannot be reached right now. Your files are kept\n  and the import "
                  "will run by itself as soon as it is reachable again; nothing is lost, and you can leave this page.")


def _use_broker(url: str) -> None:
    """Point the Celery app at another broker: its producers are looked up again for the new address (Celery has
    no public call for this; a web process gets its broker from REDIS_URL when it starts)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@contextmanager
def redis_at(url: str, settings) -> Iterator[None]:
    """Broker and cache at `url` (both are Redis in production, so both go down together)."""
    real_broker, real_caches = app.conf.broker_url, django_settings.CACHES
    _use_broker(url)
    settings.CACHES = {"default": {**real_caches["default"], "LOCATION": url}}
    try:
        yield
    finally:
        settings.CACHES = real_caches
        _use_broker(real_broker)


@pytest.fixture
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return [SimpleUploadedFile(name, raw, content_type="text/csv") for name, raw in ravenstack_files().items()]


@pytest.fixture
def empty_queue():
    """No message left behind in the test Redis for a later worker to pick up."""
    yield
    app.control.purge()


def wait_until_finished(run: m.ImportRun, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and run.status not in (m.ImportStatus.SUCCEEDED, m.ImportStatus.FAILED):
        time.sleep(0.2)
        run.refresh_from_db()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_uploaded_while_redis_is_down_waits_and_runs_once_it_is_back(client, manager, uploads, settings):
    assert django_settings.REDIS_URL, "this test needs REDIS_URL: the worker must go through a real Redis"
    client.force_login(manager)

    with redis_at(CLOSED_PORT, settings):
        started = time.monotonic()
        response = client.post(reverse("import_upload"), {"files": uploads})
        took = time.monotonic() - started
        run = m.ImportRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("import_detail", args=[run.pk])
        detail = client.get(response["Location"])
        assert detail.status_code == 200
        assert QUEUED_MESSAGE in detail.content.decode()
        assert import_runs_dispatch_queued() == 0  # the sweep, too, finds the broker away and keeps the run

    assert took < 5
    run.refresh_from_db()
    assert (run.status, run.dispatched_at) == (m.ImportStatus.QUEUED, None)
    assert sorted(p.name for p in Path(run.upload_dir).iterdir()) == sorted(ravenstack_files())
    assert not m.Account.objects.exists()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        dispatch_queued_imports.delay()  # what beat sends every minute
        wait_until_finished(run, 90)

    assert run.status == m.ImportStatus.SUCCEEDED, run.errors[:5]
    assert run.dispatched_at is not None
    assert m.Account.objects.count() == 500 and m.UsageRecord.objects.count() == 25000
    assert "Imported in" in client.get(reverse("import_detail", args=[run.pk])).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_stuck_redis_does_not_hold_the_upload(client, manager, uploads, settings):
    assert django_settings.REDIS_URL, "this test needs REDIS_URL: the broker's timeouts are Redis settings"
    client.force_login(manager)
    with socket.socket() as stuck:  # accepts connections and never answers, like a frozen Redis
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(16)
        with redis_at(f"redis://127.0.0.1:{stuck.getsockname()[1]}/0", settings):
            started = time.monotonic()
            response = client.post(reverse("import_upload"), {"files": uploads})
            posted = time.monotonic() - started
            detail = client.get(response["Location"])
            shown = time.monotonic() - started - posted

    assert response.status_code == 302 and detail.status_code == 200
    assert QUEUED_MESSAGE in detail.content.decode()
    # One publish and one retry, each given up after the socket timeout; the page's progress read likewise.
    assert posted < 2 * django_settings.REDIS_SOCKET_TIMEOUT + 2
    assert shown < django_settings.REDIS_SOCKET_TIMEOUT + 2
    assert m.ImportRun.objects.get().status == m.ImportStatus.QUEUED


@pytest.mark.django_db
def test_the_sweep_hands_over_runs_never_handed_over_or_handed_over_long_ago(manager, tmp_path, settings,
                                                                            empty_queue):
    settings.IMPORT_REDISPATCH_MINUTES = 10
    now = timezone.now()

    def run(status=m.ImportStatus.QUEUED, dispatched_minutes_ago=None):
        created = import_run_create(user=manager, files={"a.csv": b"x"}, upload_root=tmp_path)
        dispatched_at = None if dispatched_minutes_ago is None else now - dt.timedelta(minutes=dispatched_minutes_ago)
        m.ImportRun.objects.filter(pk=created.pk).update(status=status, dispatched_at=dispatched_at)
        return created.pk

    never, recent, long_ago = run(), run(dispatched_minutes_ago=2), run(dispatched_minutes_ago=30)
    running, finished = run(m.ImportStatus.RUNNING), run(m.ImportStatus.SUCCEEDED)

    assert import_runs_dispatch_queued() == 2

    handed_over = dict(m.ImportRun.objects.values_list("pk", "dispatched_at"))
    assert handed_over[never] >= now and handed_over[long_ago] >= now
    assert handed_over[recent] == now - dt.timedelta(minutes=2)
    assert handed_over[running] is None and handed_over[finished] is None


@pytest.mark.django_db
def test_a_run_that_never_reached_the_broker_is_not_expired(manager, tmp_path):
    waiting = import_run_create(user=manager, files={"a.csv": b"x"}, upload_root=tmp_path)
    m.ImportRun.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(hours=30))

    assert import_runs_expire() == 0

    waiting.refresh_from_db()
    assert waiting.status == m.ImportStatus.QUEUED and Path(waiting.upload_dir).exists()


def test_the_sweep_runs_every_minute_from_the_beat_schedule():
    entry = app.conf.beat_schedule["dispatch-queued-imports"]

    assert entry["task"] == "accounts.tasks.dispatch_queued_imports" and entry["task"] in app.tasks
    assert str(entry["schedule"]) == "<crontab: * * * * * (m/h/dM/MY/d)>"
