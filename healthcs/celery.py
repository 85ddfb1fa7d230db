"""The Celery application: Redis when REDIS_URL is set, otherwise the file-system queue.

The beat schedule is defined here, in one place; django-celery-beat copies it into the database
on start, where admins can change times or switch entries off (Admin → Periodic tasks).
"""

import ctypes
import gc
import os
import sys

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, worker_before_create_process, worker_process_init
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")

app = Celery("healthcs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["accounts.webhooks"])  # the webhooks' tasks live in their sub-package

app.conf.beat_schedule = {
    # Every account's health and risk for the day, then alerts (docs/scoring.md); 05:30 so CSMs start fresh.
    "recompute-scores-daily": {
        "task": "scoring.tasks.recompute_all",
        "schedule": crontab(hour=5, minute=30),
    },
    # Each CSM's digest of new alerts, due tasks, renewals and tier changes, after the recompute (docs/operations.md).
    "send-daily-digests": {
        "task": "workspace.tasks.send_daily_digests",
        "schedule": crontab(hour=6, minute=30),
    },
    # The managers' weekly executive summary: risk, ARR at risk, churn and saves, playbooks, pipeline.
    "send-weekly-summaries": {
        "task": "workspace.tasks.send_weekly_summaries",
        "schedule": crontab(hour=7, minute=0, day_of_week="monday"),
    },
    # The last quarter's business review of every account renewing within REVIEW_RENEWAL_DAYS, printed and stored.
    "store-renewal-reviews-daily": {
        "task": "workspace.tasks.store_renewal_reviews",
        "schedule": crontab(hour=6, minute=45),
    },
    # The churn model learns again from the week's history; it replaces the active one only if it beats the rules.
    "train-churn-model-weekly": {
        "task": "scoring.tasks.train_churn_model",
        "schedule": crontab(hour=3, minute=30, day_of_week="sunday"),
    },
    "expire-stale-recomputes": {
        "task": "scoring.tasks.expire_stale_recomputes",
        "schedule": crontab(minute=20),
    },
    # Playbook tasks not done in time go to the manager (docs/interventions.md); each task is escalated once.
    "escalate-overdue-tasks": {
        "task": "interventions.tasks.escalate_overdue",
        "schedule": crontab(minute="*/15"),
    },
    # Texts waiting to be read (imported, or marked unread after a reader change) go to the workers in batches.
    "read-waiting-texts": {
        "task": "scoring.tasks.read_waiting_texts",
        "schedule": crontab(minute="*/5"),
    },
    # Web imports uploaded while the broker was unreachable wait, queued; this hands them over once it is back.
    "dispatch-queued-imports": {
        "task": "accounts.tasks.dispatch_queued_imports",
        "schedule": crontab(minute="*"),
    },
    # Webhook deliveries whose retry is due, or whose message or worker was lost, go to the workers again.
    "dispatch-due-webhooks": {
        "task": "accounts.webhooks.tasks.dispatch_due_webhooks",
        "schedule": crontab(minute="*"),
    },
    "expire-stale-imports": {
        "task": "accounts.tasks.expire_stale_imports",
        "schedule": crontab(minute=15),
    },
}

# Errors worth another try: the database or the broker briefly unreachable (a restart, a failover, the
# network; PostgreSQL's deadlock and serialisation failures are OperationalErrors too). Anything else (a
# bug, bad data) would fail again the same way, so it fails the task at once. Python's own ConnectionError
# is not among them: psycopg, redis-py and kombu raise their own types.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    DatabaseOperationalError, DatabaseInterfaceError, BrokerOperationalError, RedisConnectionError, RedisTimeoutError)
# For tasks that retry them: waits of about 5 s, 10 s, 20 s, ... (jittered), at most 5 minutes, 5 retries.
TRANSIENT_RETRY = {"autoretry_for": TRANSIENT_ERRORS, "retry_backoff": 5, "retry_backoff_max": 300,
                   "retry_jitter": True, "max_retries": 5}


@worker_before_create_process.connect
def freeze_before_the_fork(**kwargs) -> None:
    """The worker's main process, about to fork a pool process: what it has loaded (Django, pandas, the app, every
    task's module: a few hundred thousand objects) is collected once and frozen (gc.freeze), out of the garbage
    collector's sight. Its later collections then no longer write to the pages it shares with the pool processes it
    forked, which would copy them into each: an idle pool process held 10-65 MiB of its own before, 6 MiB now
    (2026-12-04)."""
    gc.collect()
    gc.freeze()


@worker_process_init.connect
def freeze_what_was_loaded(**kwargs) -> None:
    """A pool process starts its tasks with what the worker loaded, frozen (by its main process before the fork; the
    solo pool's one process, which is the main one, here). Out of the garbage collector's sight, it is not walked by
    its full collections during a task (at 20,000 accounts the daily run's six full collections took half a second,
    0.05 s frozen; bench/daily.py), nor written to, so the pages stay shared with the worker that forked the process.
    Objects loaded later are collected as usual.
    """
    gc.freeze()


def _malloc_trim():
    """The C library's malloc_trim (glibc), or None where there is none (musl, macOS). Looked up among the symbols the
    process already has (its C library's among them), so that no library search runs as the module loads."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


MALLOC_TRIM = _malloc_trim()


@task_postrun.connect
def return_freed_memory(**kwargs) -> None:
    """A pool process lives on after its task, and would keep the memory the task freed: the C library's heap and
    pyarrow's pool (mimalloc) hold freed blocks for reuse rather than give them back. Each task's end gives them back
    (a few milliseconds), so an idle worker holds what it uses: after the daily run's batches at 20,000 accounts a
    pool process holds 51-93 MiB of its own instead of 76-127, and the day's peak is 40 MiB lower
    (bench/schedule.py, 2026-12-04)."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
    arrow = sys.modules.get("pyarrow")  # loaded by the tasks that use it, never here
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
