"""Writes around customer data: recording import runs and running them (accounts.tasks hands web imports to
the workers, and again when the broker was unreachable), touchpoints logged by hand (a call, meeting, e-mail or
note), read by the text reader at once, and an account marked churned with its reason; assignment lives in
accounts.assignment."""

import datetime as dt
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.assignment import assignment_rules_apply
from accounts.audit import audit_record
from accounts.events import import_committed, text_saved_by_hand
from accounts.importing.reading import Problem
from accounts.importing.services import ImportResult, Progress, import_files, read_directory
from accounts.models import (
    Account,
    AccountOutcome,
    ChurnEvent,
    ChurnReason,
    Contact,
    Direction,
    ImportRun,
    ImportStatus,
    Subscription,
    Touchpoint,
    TouchpointKind,
    User,
)
from accounts.webhooks.emit import account_churned_emit
from healthcs.errors import DomainError
from healthcs.inputs import text_checked

MAX_STORED_PROBLEMS = 2000
# The broker or the Redis cache cannot be reached (down, refusing, or not answering in time): transient,
# so the work waits for it instead of failing. Nothing else is caught.
UNREACHABLE = (OperationalError, RedisConnectionError, RedisTimeoutError)


def import_progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def import_progress(run_id: int) -> dict:
    """The last progress a running import reported: phase, done, total, percent."""
    waiting = {"phase": "Waiting for a worker", "percent": 0}
    try:
        return cache.get(import_progress_key(run_id)) or waiting
    except UNREACHABLE:  # the page still answers while Redis is down
        return waiting


def _report_progress(run_id: int, phase: str, done: int, total: int) -> None:
    percent = int(100 * done / total) if total else 0
    cache.set(import_progress_key(run_id), {"phase": phase, "done": done, "total": total,
                                            "percent": percent}, timeout=3600)


def import_run_record(*, run_id: int, result: ImportResult) -> None:
    """Store how an import ended: counts and seconds, or the problems (capped) and their number; after
    a successful one, the text analyser is asked to read the new texts in the background."""
    problems = [str(p) for p in result.problems]
    stored = problems[:MAX_STORED_PROBLEMS]
    if len(problems) > MAX_STORED_PROBLEMS:
        stored.append(f"… and {len(problems) - MAX_STORED_PROBLEMS} more problems")
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportStatus.SUCCEEDED if result.ok else ImportStatus.FAILED,
        counts=result.counts(),
        errors=stored,
        seconds=round(result.seconds, 3),
        finished_at=timezone.now(),
    )
    if result.ok:
        transaction.on_commit(_announce_import)


def _announce_import() -> None:
    """Once the import is committed: the assignment rules give its new (unassigned) accounts their CSMs, and
    the layers above are told (scoring reads the new texts)."""
    assignment_rules_apply()
    import_committed.send(sender=ImportRun)


@transaction.atomic
def import_run_create(*, user: User, files: dict[str, bytes], upload_root: Path) -> ImportRun:
    """Keep the uploaded files on disk and record a queued import run for them."""
    run = ImportRun.objects.create(created_by=user, source=", ".join(sorted(files))[:300])
    folder = upload_root / "imports" / str(run.pk)
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        (folder / Path(name).name).write_bytes(raw)
    run.upload_dir = str(folder)
    run.save(update_fields=["upload_dir"])
    return run


def import_run_execute(*, run_id: int) -> None:
    """Run a queued import once: claim it (queued -> running), import, record, clean up.

    The claim is a conditional UPDATE, so a redelivered task never imports the same upload twice.
    """
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return
    run = ImportRun.objects.get(pk=run_id)
    folder = Path(run.upload_dir)
    try:
        files = read_directory(folder) if folder.is_dir() else {}
        result = import_files(
            files, lambda phase, done, total: _report_progress(run_id, phase, done, total)
        )
    except OSError as exc:
        problem = Problem("(upload)", None, "", f"the uploaded files could not be read: {exc.strerror}")
        result = ImportResult(problems=[problem])
    import_run_record(run_id=run_id, result=result)
    _report_progress(run_id, "Finished", 1, 1)
    shutil.rmtree(folder, ignore_errors=True)


def import_runs_expire(*, older_than: timedelta = timedelta(hours=6)) -> int:
    """Close imports that never finished (worker lost, or handed to a broker that no worker read for hours)
    and delete their files. A run that never reached the broker is not closed: it waits for the broker,
    and the dispatch sweep hands it over once the broker is back."""
    cutoff = timezone.now() - older_than
    stale = ImportRun.objects.filter(
        Q(status=ImportStatus.RUNNING, created_at__lt=cutoff)
        | Q(status=ImportStatus.QUEUED, created_at__lt=cutoff, dispatched_at__lt=cutoff)
    )
    folders = list(stale.values_list("upload_dir", flat=True))
    count = stale.update(
        status=ImportStatus.FAILED, finished_at=timezone.now(),
        errors=["The import did not finish in time (no worker picked it up, or it was stopped). "
                "Nothing was written; please upload the files again."],
    )
    for folder in folders:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    return count


def import_files_recorded(*, files: dict[str, bytes], source: str, progress: Progress | None = None
                          ) -> ImportResult:
    """Import now (command line, demo) and record the run in the import history either way."""
    result = import_files(files, progress or (lambda *_: None))
    run = ImportRun.objects.create(source=source[:300], status=ImportStatus.RUNNING)
    import_run_record(run_id=run.pk, result=result)
    return result


# Touchpoints logged by hand ------------------------------------------------------------------------------

LOGGED_KINDS = (TouchpointKind.CALL, TouchpointKind.MEETING, TouchpointKind.EMAIL, TouchpointKind.NOTE)
TOUCHPOINT_TEXT_MAX = 20_000  # the text reader reads this much of a text
TOUCHPOINT_SUBJECT_MAX = Touchpoint._meta.get_field("subject").max_length
FUTURE_TOLERANCE = timedelta(minutes=5)  # a clock a little ahead of the server's is not "the future"
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@transaction.atomic
def touchpoint_log(*, account: Account, user: User | None, kind: str, text: str, direction: str = "",
                   contact: Contact | None = None, subject: str = "", occurred_at: dt.datetime | None = None,
                   now: dt.datetime | None = None) -> Touchpoint:
    """Log a call, meeting, e-mail or note on an account (when: now unless given), audit it, and have the text
    reader read it at once (accounts.events.text_saved_by_hand); returns it with its reading. Raises DomainError
    naming the field (nothing written) for an unknown kind or direction, a contact of another account, a moment
    in the future or before 2000, an empty text, a NUL character or a text beyond its length."""
    now = now or timezone.now()
    kinds = ", ".join(LOGGED_KINDS)
    if kind not in LOGGED_KINDS:
        problem = "Choose what to log" if not kind else f"'{kind[:40]}' is not something to log"
        raise DomainError(f"{problem}: one of {kinds}.", field="kind")
    if direction and direction not in Direction.values:
        raise DomainError(f"'{direction[:40]}' is not a direction; use one of: {', '.join(Direction.values)}, "
                          "or leave it empty.", field="direction")
    if contact is not None and contact.account_id != account.pk:
        raise DomainError("That contact belongs to another account; choose one of this account's contacts.",
                          field="contact")
    occurred_at = occurred_at or now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise DomainError("The date and time is in the future; log what has happened.", field="occurred_at")
    if occurred_at < EARLIEST:
        raise DomainError("The date and time is before 2000; give when it happened.", field="occurred_at")
    subject = text_checked(subject, field="subject", label="subject", limit=TOUCHPOINT_SUBJECT_MAX)
    text = text_checked(text, field="text", label="text", limit=TOUCHPOINT_TEXT_MAX,
                        missing="Write the text: what was said or agreed.")
    touchpoint = Touchpoint.objects.create(
        external_id=f"log-{uuid.uuid4().hex}", account=account, occurred_at=occurred_at, kind=kind,
        direction=direction, contact=contact, subject=subject, text=text)
    audit_record(user=user, action="created", obj=touchpoint,
                 changes={"account": [None, account.external_id], "kind": [None, kind]})
    # Scoring reads it now (the same path as an admin edit), so the page and the API show its reading.
    text_saved_by_hand.send(sender=Touchpoint, item=touchpoint)
    touchpoint.refresh_from_db()
    return touchpoint


# An account marked churned ---------------------------------------------------------------------------------------

CHURN_FEEDBACK_MAX = 4000


@transaction.atomic
def account_mark_churned(*, account: Account, user: User | None, reason_code: str, feedback: str,
                         churn_date: dt.date | None = None, today: dt.date | None = None) -> ChurnEvent:
    """Mark an account churned on a day (today unless given) for a reason code of ChurnReason with the customer's
    feedback, in one transaction: a ChurnEvent recorded by the user, the account's churned flag and outcome set,
    its subscriptions still running on that day ended on it (so revenue retention counts the loss), and all of it
    audited, and announced to the outgoing webhooks that want "account churned". Raises DomainError naming the
    field (nothing written) for an unknown reason, an empty or overlong feedback, a day in the future or before
    2000, or an account already churned."""
    today = today or timezone.localdate()
    churn_date = churn_date or today
    if reason_code not in ChurnReason.values:
        problem = "Choose the reason" if not reason_code else f"'{reason_code[:40]}' is not a reason code"
        raise DomainError(f"{problem}: one of {', '.join(ChurnReason.values)}.", field="reason_code")
    feedback = text_checked(feedback, field="feedback", label="feedback", limit=CHURN_FEEDBACK_MAX,
                            missing="Write the customer's feedback: what they said, or why it is not known.")
    if churn_date > today:
        raise DomainError("The churn date is in the future; mark the account once it has churned.", field="churn_date")
    if churn_date < EARLIEST.date():
        raise DomainError("The churn date is before 2000; give the day the account churned.", field="churn_date")
    current = Account.objects.select_for_update().get(pk=account.pk)
    if current.churned:
        raise DomainError(f"{current.name} is already marked churned.", field="reason_code")
    running = Subscription.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=churn_date), account=current)
    flags = running.aggregate(up=models.Count("id", filter=Q(upgrade_flag=True)),
                              down=models.Count("id", filter=Q(downgrade_flag=True)))
    ended = sorted(running.values_list("external_id", flat=True))
    # A subscription that starts after the churn day ends on its first day (an end before the start is refused).
    running.update(end_date=Greatest(F("start_date"), Value(churn_date)), churn_flag=True, auto_renew=False)
    event = ChurnEvent.objects.create(
        external_id=f"hcs-churn-{uuid.uuid4().hex}", account=current, churn_date=churn_date, reason_code=reason_code,
        feedback_text=feedback, preceding_upgrade=flags["up"] > 0, preceding_downgrade=flags["down"] > 0,
        recorded_by=user if user is not None and user.is_authenticated else None, recorded_at=timezone.now())
    old_outcome = current.outcome
    current.churned, current.outcome = True, AccountOutcome.CHURNED
    current.save(update_fields=["churned", "outcome"])
    audit_record(user=user, action="churned", obj=current, changes={
        "churned": [False, True], "outcome": [old_outcome or None, AccountOutcome.CHURNED],
        "churn_date": [None, churn_date.isoformat()], "reason_code": [None, reason_code],
        "subscriptions_ended": [None, ", ".join(ended)]})
    audit_record(user=user, action="created", obj=event, changes={"account": [None, current.external_id]})
    account_churned_emit(accounts=[(current.external_id, current.name)], source="healthcs")  # outgoing webhooks
    return event
