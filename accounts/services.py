"""Writes around customer data: recording import runs and running queued web imports."""

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.importing.reading import Problem
from accounts.importing.services import ImportResult, Progress, import_files, read_directory
from accounts.models import ImportRun, ImportStatus, User

logger = logging.getLogger(__name__)

MAX_STORED_PROBLEMS = 2000


def import_progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def import_progress(run_id: int) -> dict:
    """The last progress a running import reported: phase, done, total, percent."""
    return cache.get(import_progress_key(run_id)) or {"phase": "Waiting for a worker", "percent": 0}


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
        transaction.on_commit(_queue_text_analysis)


def _queue_text_analysis() -> None:
    """Fan the new texts out to the workers; without a reachable broker the 5-minute sweep does it."""
    from kombu.exceptions import OperationalError

    from scoring.tasks import analyse_pending_texts

    try:
        analyse_pending_texts.delay()
    except OperationalError as error:
        logger.warning("Text analysis not queued (%s); the periodic sweep will read the new texts", error)


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
    """Close imports that never finished (worker lost, upload abandoned) and delete their files."""
    cutoff = timezone.now() - older_than
    stale = ImportRun.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], created_at__lt=cutoff
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
