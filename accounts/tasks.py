"""Background work of the accounts app."""

from celery import shared_task

from accounts.services import import_run_execute, import_runs_dispatch_queued, import_runs_expire


@shared_task(acks_late=True)
def run_import(run_id: int) -> None:
    """Run one queued web import (idempotent: a run is claimed once)."""
    import_run_execute(run_id=run_id)


@shared_task
def expire_stale_imports() -> int:
    """Scheduled housekeeping: close imports that never finished."""
    return import_runs_expire()


@shared_task
def dispatch_queued_imports() -> int:
    """Scheduled: hand over the imports left queued while the broker was unreachable (or whose message it lost)."""
    return import_runs_dispatch_queued()
