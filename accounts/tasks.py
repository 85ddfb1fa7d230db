"""Background work of the accounts app, and handing web imports to it: once committed, and again by the sweep
when the broker was unreachable."""

import logging
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ImportRun, ImportStatus, User
from accounts.services import UNREACHABLE, import_run_create, import_run_execute, import_runs_expire
from healthcs.celery import app

logger = logging.getLogger(__name__)


@app.task(acks_late=True)
def run_import(run_id: int) -> None:
    """Run one queued web import (idempotent: a run is claimed once)."""
    import_run_execute(run_id=run_id)


@app.task
def expire_stale_imports() -> int:
    """Scheduled housekeeping: close imports that never finished."""
    return import_runs_expire()


@app.task
def dispatch_queued_imports() -> int:
    """Scheduled: hand over the imports left queued while the broker was unreachable (or whose message it lost)."""
    return import_runs_dispatch_queued()


def import_run_submit(*, user: User, files: dict[str, bytes], upload_root: Path) -> ImportRun:
    """Record a web import and hand it to the workers once it is committed. When the broker cannot be
    reached the run stays queued, with its files on disk, and the dispatch sweep hands it over later."""
    with transaction.atomic():
        run = import_run_create(user=user, files=files, upload_root=upload_root)
        transaction.on_commit(partial(import_run_dispatch, run_id=run.pk))
    run.refresh_from_db(fields=["dispatched_at", "status"])
    return run


def import_run_dispatch(*, run_id: int) -> bool:
    """Put one queued run on the task queue; False (and the run left as it is) when the broker is unreachable.
    Handing a run over twice is harmless: import_run_execute claims it once."""
    try:
        run_import.delay(run_id)
    except UNREACHABLE as error:
        logger.warning("Import #%s stays queued: the task queue cannot be reached (%s)", run_id, error)
        return False
    ImportRun.objects.filter(pk=run_id).update(dispatched_at=timezone.now())
    return True


def import_runs_dispatch_queued() -> int:
    """Hand over again the runs still queued that never reached the broker, or whose message was handed over
    long ago (a broker restarted without persistence loses it); the number handed over."""
    resend_before = timezone.now() - timedelta(minutes=settings.IMPORT_REDISPATCH_MINUTES)
    waiting = ImportRun.objects.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=resend_before),
                                       status=ImportStatus.QUEUED)
    dispatched = 0
    for run_id in waiting.order_by("pk").values_list("pk", flat=True):
        if not import_run_dispatch(run_id=run_id):
            break  # the broker is still away: the next sweep tries again
        dispatched += 1
    return dispatched
