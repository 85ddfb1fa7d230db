"""The recompute of docs/scoring.md on RavenStack as of 2024-12-31: one snapshot per account and day, replaced
on a re-run, guarded by the database, split into batches, safe to kill half-way (a real process is
SIGKILLed) and spread over a real Celery worker through Redis."""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts import models as m
from accounts.importing.services import import_files
from expansion.models import ExpansionSignal
from healthcs.celery import app
from scoring import fetch
from scoring.config import MEASURE_IDS
from scoring.configs import ensure_active_config
from scoring.models import Alert, ConfigStatus, RecomputeBatch, RecomputeRun, RunStatus, ScoringConfig, Snapshot
from scoring.services import recompute_batch, recompute_run_create, recompute_runs_expire
from scoring.tasks import recompute_all, recompute_one_batch
from tests.db_snapshot import restore_tables, save_tables
from tests.importing import ravenstack_files

AS_OF = dt.date(2024, 12, 31)
BASE_DIR = Path(__file__).resolve().parents[2]
# Everything a snapshot says about an account; what differs between two runs is only when and by which run.
VOLATILE = ("id", "computed_at", "run")


@pytest.fixture(scope="module")
def ravenstack_rows(django_db_setup, django_db_blocker) -> dict[str, bytes]:
    """Every table's rows with RavenStack imported, for the transactional tests: each puts them back (a copy)
    instead of importing the files again. Imported onto whatever the database holds (the module's committed
    `ravenstack` book, or nothing after a transactional test): a reimport of the same files changes nothing."""
    with django_db_blocker.unblock():
        result = import_files(ravenstack_files())
        assert result.ok, result.problems[:5]
        return save_tables()


def snapshot_values() -> dict[int, dict]:
    """Every snapshot of the date, keyed by account id, without the fields that name the run."""
    return {
        s.account_id: {k: v for k, v in model_to_dict(s).items() if k not in VOLATILE}
        for s in Snapshot.objects.filter(as_of=AS_OF)
    }


def recompute(*args: str) -> None:
    call_command("recompute_scores", "--as-of", AS_OF.isoformat(), *args)




# One snapshot per account and day ---------------------------------------------------------------------

@pytest.mark.django_db
def test_it_writes_exactly_one_snapshot_per_account(ravenstack):
    recompute()

    assert Snapshot.objects.count() == 500
    assert set(Snapshot.objects.values_list("account_id", flat=True)) == set(m.Account.objects.values_list("id",
                                                                                                          flat=True))
    assert set(Snapshot.objects.values_list("as_of", flat=True)) == {AS_OF}
    run = RecomputeRun.objects.get()
    assert (run.status, run.as_of, run.trigger, run.batches_total, run.batches_done, run.accounts_scored) == (
        RunStatus.SUCCEEDED, AS_OF, "command", 1, 1, 500)
    assert run.finished_at is not None
    assert set(Snapshot.objects.values_list("run", flat=True)) == {run.pk}


@pytest.mark.django_db
def test_running_it_again_replaces_the_snapshots(ravenstack):
    recompute()
    first = snapshot_values()
    first_computed = dict(Snapshot.objects.values_list("account_id", "computed_at"))
    first_run = RecomputeRun.objects.get()

    recompute()

    assert Snapshot.objects.count() == 500
    assert snapshot_values() == first
    second_run = RecomputeRun.objects.exclude(pk=first_run.pk).get()
    assert second_run.status == RunStatus.SUCCEEDED
    assert set(Snapshot.objects.values_list("run", flat=True)) == {second_run.pk}
    later = dict(Snapshot.objects.values_list("account_id", "computed_at"))
    assert all(later[a] > first_computed[a] for a in first_computed)


@pytest.mark.django_db
def test_two_runs_of_the_same_day_back_to_back_leave_no_duplicates(ravenstack):
    recompute("--batch-size", "100")
    alerts = sorted(Alert.objects.values_list("account_id", "kind", "status"))

    recompute("--batch-size", "100")

    assert Snapshot.objects.count() == 500
    assert Snapshot.objects.values("account_id", "as_of").distinct().count() == 500
    assert list(RecomputeRun.objects.values_list("status", "batches_done", "accounts_scored")) == [
        (RunStatus.SUCCEEDED, 5, 500), (RunStatus.SUCCEEDED, 5, 500)]
    # The second run finds the same alerts already open and opens none again.
    assert sorted(Alert.objects.values_list("account_id", "kind", "status")) == alerts
    assert RecomputeRun.objects.order_by("started_at").last().alerts_opened == 0


@pytest.mark.django_db
def test_the_database_refuses_a_second_snapshot_for_the_same_account_and_day(ravenstack):
    recompute()
    existing = Snapshot.objects.order_by("account_id").first()
    duplicate = Snapshot(**{k: v for k, v in model_to_dict(existing).items() if k not in ("id", "account", "config",
                                                                                          "run")},
                         account_id=existing.account_id, config_id=existing.config_id)

    with pytest.raises(IntegrityError, match="one_snapshot_per_account_per_day"), transaction.atomic():
        duplicate.save(force_insert=True)

    assert Snapshot.objects.filter(account_id=existing.account_id, as_of=AS_OF).count() == 1
    assert Snapshot.objects.count() == 500


@pytest.mark.django_db
def test_a_snapshot_records_its_configuration_measures_and_fired_rules_with_evidence(ravenstack):
    recompute()

    snapshot = Snapshot.objects.select_related("config").get(account__external_id="A-1f7acb")
    active = ensure_active_config()
    assert (snapshot.config_id, snapshot.config.version) == (active.pk, 1)
    # The shipped default: a usage stop is High on its own (the seed's 40 becomes 60; seed-001 gives 52, Medium),
    # and the account's weak scorecard adds 30: capped at 100.
    assert (snapshot.risk_subscription, snapshot.risk_score, snapshot.risk_level) == ("S-2636a7", 100, "High")
    assert (snapshot.usage_30d, snapshot.usage_prev30d, snapshot.usage_drop_pct, snapshot.errors_30d,
            snapshot.tickets_30d, snapshot.churn_intent_30d) == (0, 8, 100, 0, 1, 0)  # T-70987d, 2024-12-05
    weak = round(snapshot.health_before_cap)  # the measures' own score, before risk 100 capped it at 0
    assert snapshot.top_reasons == (f"Usage dropped 100% (30d vs prior); Recent downgrade (value risk); "
                                    f"Weak health scorecard ({weak}/100)")
    assert snapshot.fired_rules == [
        {"rule": "usage_drop", "points": 60, "reason": "Usage dropped 100% (30d vs prior)",
         "evidence": {"pct": 100, "last": 0, "prior": 8, "drop": 1.0}},
        {"rule": "downgrade", "points": 12, "reason": "Recent downgrade (value risk)", "evidence": {}},
        {"rule": "low_health", "points": 30, "reason": f"Weak health scorecard ({weak}/100)",
         "evidence": {"score": weak}},
    ]
    assert set(snapshot.breakdown()) == set(MEASURE_IDS)
    with_data = {k: v for k, v in snapshot.breakdown().items() if v["score"] is not None}
    weights = {mc["id"]: mc["weight"] for mc in active.data["health"]["measures"]}
    assert snapshot.covered_share == round(sum(weights[k] for k in with_data) / 100, 3)
    # The breakdown explains the number: the measures' points add up to their score (each rounded), which
    # the risk score of 100 caps at 100 - 100 = 0, Critical.
    assert abs(sum(v["points"] for v in with_data.values()) - snapshot.health_before_cap) < 0.1
    assert (snapshot.health_score, snapshot.health_tier) == (0.0, "Critical")
    assert all(set(v) == {"raw", "score", "points"} for v in snapshot.breakdown().values())


@pytest.mark.django_db
def test_the_command_runs_a_day_in_the_schedules_batches_and_scores_alone_in_its_own(ravenstack, settings):
    """A whole day reads the book's usage once for all its batches, so it takes the schedule's batch size, which bounds
    what a process holds; scores alone (--scores-only) read per batch and keep the command's larger batches."""
    settings.SCORING_BATCH_SIZE, settings.SCORING_COMMAND_BATCH_SIZE = 100, 250

    recompute()
    recompute("--scores-only")
    recompute("--batch-size", "400")

    assert list(RecomputeRun.objects.order_by("id").values_list("batches_total", "accounts_scored")) == [
        (5, 500), (2, 500), (2, 500)]


@pytest.mark.django_db
def test_batches_give_the_same_snapshots_as_one_batch(ravenstack):
    recompute()
    one_batch = snapshot_values()

    recompute("--batch-size", "100")

    run = RecomputeRun.objects.order_by("started_at").last()
    batches = list(run.batches.order_by("number"))
    ids = sorted(m.Account.objects.values_list("id", flat=True))
    assert [(b.number, b.first_account, b.last_account, b.accounts_scored) for b in batches] == [
        (n + 1, ids[100 * n], ids[100 * n + 99], 100) for n in range(5)]
    assert all(b.done_at is not None for b in batches)
    assert (run.status, run.batches_total, run.batches_done, run.accounts_scored) == (RunStatus.SUCCEEDED, 5, 5, 500)
    assert snapshot_values() == one_batch


@pytest.mark.django_db
def test_a_runs_batches_share_one_read_of_the_usage_days_and_score_as_if_each_read_its_own(ravenstack, monkeypatch):
    import contextlib

    from scoring import fetch, services
    from workspace import daily

    book_reads, batch_reads = [], []
    book_sql, usage_frame = fetch._book_usage_sql, fetch._usage_frame
    monkeypatch.setattr(fetch, "_book_usage_sql", lambda: book_reads.append(1) or book_sql())
    monkeypatch.setattr(fetch, "_usage_frame", lambda *args: batch_reads.append(args) or usage_frame(*args))
    recompute("--batch-size", "100")
    shared = snapshot_values()
    # One read of the whole book's usage days for the five batches and the day's expansion signals after them.
    assert (len(book_reads), batch_reads) == (1, [])

    for module in (services, daily):  # each batch its own read
        monkeypatch.setattr(module, "shared_reads", lambda run: contextlib.nullcontext())
    recompute("--batch-size", "100")

    assert len(batch_reads) == 5 and all(len(span) == 2 for _, span in batch_reads)
    assert len(book_reads) == 2  # the signals' own read
    assert snapshot_values() == shared
    assert Snapshot.objects.filter(as_of=AS_OF).count() == 500


@pytest.mark.django_db
def test_batches_scored_side_by_side_read_their_own_usage_unless_the_books_read_is_at_hand(ravenstack, monkeypatch):
    """A Celery pool process scores its share of a run's batches while other processes score the rest: each batch
    reads its own accounts' usage days (the whole book's read, alone on one core, cost more than its share of the
    batches' reads), unless the whole book's read is at hand (a forked worker inherits it); the scores are the same."""
    from scoring import fetch

    recompute("--batch-size", "100")
    shared = snapshot_values()
    Snapshot.objects.all().delete()
    monkeypatch.setattr(fetch._SHARED, "run", None)
    monkeypatch.setattr(fetch._SHARED, "reads", {})
    book_reads, batch_reads = [], []
    book_sql, usage_frame = fetch._book_usage_sql, fetch._usage_frame
    monkeypatch.setattr(fetch, "_book_usage_sql", lambda: book_reads.append(1) or book_sql())
    monkeypatch.setattr(fetch, "_usage_frame", lambda *args: batch_reads.append(args) or usage_frame(*args))
    run = recompute_run_create(as_of=AS_OF, trigger="schedule", batch_size=100)

    for batch_id in run.batches.order_by("number").values_list("id", flat=True)[:3]:
        recompute_batch(batch_id=batch_id, side_by_side=True)
    assert (len(book_reads), len(batch_reads)) == (0, 3)

    with fetch.shared_reads(("day", AS_OF)):
        assert fetch.book_usage_ahead(AS_OF, ensure_active_config().data["alerts"])
        for batch_id in run.batches.order_by("number").values_list("id", flat=True)[3:]:
            recompute_batch(batch_id=batch_id, side_by_side=True)
    assert (len(book_reads), len(batch_reads)) == (1, 3)
    assert snapshot_values() == shared


@pytest.mark.django_db
def test_batches_scored_side_by_side_read_without_parallel_query_workers(ravenstack, monkeypatch):
    """Batches that other processes score at the same time (Celery workers, the command's processes) leave the cores
    to each other: their reads run without PostgreSQL's parallel workers. Batches one after the other in one
    process, or a run of one batch, keep them."""
    from scoring import fetch

    settings_seen = []
    tune = fetch._tune_session

    def tune_and_look():
        tune()
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            settings_seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(fetch, "_tune_session", tune_and_look)
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        default = cursor.fetchone()[0]
    assert default != "0"

    run = recompute_run_create(as_of=AS_OF, trigger="schedule", batch_size=250)
    first, second = run.batches.order_by("number")
    recompute_batch(batch_id=first.pk, side_by_side=True)
    assert set(settings_seen) == {"0"}

    settings_seen.clear()
    recompute_batch(batch_id=second.pk)  # the same run's batch, scored by this process alone
    assert settings_seen and set(settings_seen) == {default}

    settings_seen.clear()
    one = recompute_run_create(as_of=AS_OF, trigger="schedule", batch_size=1000)
    recompute_batch(batch_id=one.batches.get().pk, side_by_side=True)  # nothing beside it
    assert settings_seen and set(settings_seen) == {default}
    assert Snapshot.objects.filter(as_of=AS_OF).count() == 500


@pytest.mark.django_db
def test_a_redelivered_batch_task_changes_nothing(ravenstack):
    from scoring.services import recompute_run_create

    run = recompute_run_create(as_of=AS_OF, trigger="schedule", batch_size=250)
    first, second = run.batches.order_by("number")
    assert recompute_one_batch.apply(args=[first.pk, run.pk]).get() is False  # one of two batches done
    written = dict(Snapshot.objects.values_list("account_id", "computed_at"))

    assert recompute_one_batch.apply(args=[first.pk, run.pk]).get() is False  # the same message again

    run.refresh_from_db()
    assert (run.status, run.batches_done, run.accounts_scored) == (RunStatus.RUNNING, 1, 250)
    assert dict(Snapshot.objects.values_list("account_id", "computed_at")) == written
    assert recompute_one_batch.apply(args=[second.pk, run.pk]).get() is True
    run.refresh_from_db()
    assert (run.status, run.batches_done, run.accounts_scored, Snapshot.objects.count()) == (
        RunStatus.SUCCEEDED, 2, 500, 500)


# Killed half-way -------------------------------------------------------------------------------------

def command_env() -> dict[str, str]:
    """The environment of a separate manage.py process that uses this test's database."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "healthcs.settings"}


def wait_until(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def processes_running(*words: str) -> list[int]:
    """The processes whose command line or open files mention every word (the command's workers are forks:
    same command line, and their output goes to the same log file)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "recompute_scores" not in cmdline:
                continue
            files = " ".join(str(os.readlink(fd)) for fd in (proc / "fd").iterdir())
        except OSError:  # gone meanwhile
            continue
        if all(w in cmdline or w in files for w in words):
            found.append(int(proc.name))
    return found


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def start_command(*args: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=command_env(),
                                stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.django_db(transaction=True)
def test_export_risk_as_a_process_writes_every_row_and_exits_cleanly(tmp_path, ravenstack_rows):
    """manage.py ends a command with the garbage collector frozen (Python's shutdown then does not walk every object):
    the process still writes its whole file and its message and exits 0, and the file is the in-process command's."""
    restore_tables(ravenstack_rows)
    process_csv, in_process_csv = tmp_path / "process.csv", tmp_path / "in_process.csv"
    options = ["--as-of", "2024-12-31", "--level", "subscription", "--config", "seed-001"]

    done = subprocess.run([sys.executable, "manage.py", "export_risk", *options, "--output", str(process_csv)],
                          cwd=BASE_DIR, env=command_env(), capture_output=True, text=True, timeout=180)
    call_command("export_risk", *options, "--output", str(in_process_csv), stdout=io.StringIO())

    assert (done.returncode, done.stdout.strip().splitlines()[-1]) == (
        0, f"Wrote 5000 subscription rows as of 2024-12-31 to {process_csv}")
    assert process_csv.read_bytes() == in_process_csv.read_bytes()
    assert len(process_csv.read_text().splitlines()) == 5001


@pytest.mark.django_db(transaction=True)
def test_export_risk_as_a_process_without_the_peoples_apps_reads_waiting_texts_as_the_in_process_command(
        tmp_path, ravenstack_rows):
    """manage.py starts export_risk without the admin, the API, sessions, the schedule's tables... (healthcs.startup):
    with the active configuration (created by the process) and a ticket's text waiting to be read, the process still
    reads the text, scores its cancellation intent and writes the in-process command's file."""
    restore_tables(ravenstack_rows)
    ScoringConfig.objects.all().delete()
    ticket = m.SupportTicket.objects.filter(account__churned=False).order_by("id").first()
    m.SupportTicket.objects.filter(pk=ticket.pk).update(
        submitted_at=dt.datetime(2024, 12, 20, 9, tzinfo=dt.UTC), body="We plan to cancel our subscription at renewal.")
    process_csv, in_process_csv = tmp_path / "process.csv", tmp_path / "in_process.csv"
    options = ["--as-of", "2024-12-31", "--level", "account"]

    done = subprocess.run([sys.executable, "manage.py", "export_risk", *options, "--output", str(process_csv)],
                          cwd=BASE_DIR, env=command_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert m.SupportTicket.objects.get(pk=ticket.pk).analysis_version != ""  # read by the process
    assert ScoringConfig.objects.filter(status=ConfigStatus.ACTIVE).count() == 1  # installed by the process
    call_command("export_risk", *options, "--output", str(in_process_csv), stdout=io.StringIO())

    assert process_csv.read_bytes() == in_process_csv.read_bytes()
    account = ticket.account.external_id
    row = next(line for line in process_csv.read_text().splitlines() if line.startswith(f"{account},"))
    assert "Customer language suggests cancellation risk" in row


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_recompute_killed_half_way_then_run_again_equals_one_clean_run(tmp_path, workers, ravenstack_rows):
    restore_tables(ravenstack_rows)
    recompute()
    clean = snapshot_values()
    clean_alerts = sorted(Alert.objects.values_list("account", "kind", "message"))
    assert len(clean) == 500
    Snapshot.objects.all().delete()
    Alert.objects.all().delete()

    # With worker processes, killing the command takes its workers along (none finishes a batch later).
    process = start_command("recompute_scores", "--as-of", "2024-12-31", "--batch-size", "50", "--workers", workers,
                            log=tmp_path / "killed.log")
    deadline = time.monotonic() + 120
    try:
        while not RecomputeBatch.objects.filter(run__status=RunStatus.RUNNING, done_at__isnull=False).exists():
            assert process.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the recompute did not finish a batch in time"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    # No worker process outlives the command (one that did could write on); none holds a connection either.
    assert wait_until(lambda: not processes_running(str(tmp_path / "killed.log"), "recompute_scores")), \
        "a worker process of the killed command is still running"
    assert wait_until(lambda: other_connections() == 0), "a connection of the killed command is still open"

    killed = RecomputeRun.objects.get(status=RunStatus.RUNNING)
    batches = list(killed.batches.order_by("number"))
    done = [b for b in batches if b.done_at is not None]
    assert (killed.batches_total, len(batches)) == (10, 10)
    assert 1 <= len(done) < 10 and killed.batches_done == len(done)
    assert killed.accounts_scored == sum(b.accounts_scored for b in done) == 50 * len(done)
    # No batch is half-written: its 50 accounts all have their snapshot, or none has.
    for b in batches:
        written = Snapshot.objects.filter(account_id__gte=b.first_account, account_id__lte=b.last_account).count()
        assert written == (50 if b.done_at else 0), (b.number, written)
    assert Snapshot.objects.count() == 50 * len(done)

    recompute("--batch-size", "50")

    assert snapshot_values() == clean
    assert sorted(Alert.objects.values_list("account", "kind", "message")) == clean_alerts
    assert RecomputeRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_exactly_the_snapshots_of_one_process(ravenstack_rows):
    restore_tables(ravenstack_rows)
    recompute()
    clean = snapshot_values()
    clean_alerts = sorted(Alert.objects.values_list("account", "kind", "message"))
    Snapshot.objects.all().delete()
    Alert.objects.all().delete()

    recompute("--workers", "3")

    run = RecomputeRun.objects.latest("id")
    assert (run.status, run.batches_total, run.batches_done, run.accounts_scored) == (RunStatus.SUCCEEDED, 3, 3, 500)
    assert snapshot_values() == clean
    assert sorted(Alert.objects.values_list("account", "kind", "message")) == clean_alerts


@pytest.mark.django_db(transaction=True)
def test_a_day_in_worker_processes_reads_the_book_usage_once_before_they_start(tmp_path, monkeypatch,
                                                                               ravenstack_rows):
    """The day's whole-book usage read (scoring.fetch.book_usage_ahead) is made by the command's process before it
    forks its workers: they pick their batches' accounts from it, and the day's signals take it again, so no process
    reads the usage days a second time; what the day writes is a single process's."""
    restore_tables(ravenstack_rows)
    recompute("--workers", "1")
    clean = snapshot_values()
    clean_signals = sorted(ExpansionSignal.objects.values_list("account", "kind", "summary"))
    Snapshot.objects.all().delete()
    ExpansionSignal.objects.all().delete()
    reads = tmp_path / "usage-reads.log"
    whole_numbers = fetch._whole_numbers

    def logged(sql, params, columns):  # forked workers inherit it; each appends one short line
        with reads.open("a") as log:
            log.write(f"{os.getpid()} {'book' if columns == fetch.BOOK_USAGE_COLUMNS else 'batch'}\n")
        return whole_numbers(sql, params, columns)

    monkeypatch.setattr(fetch, "_whole_numbers", logged)

    recompute("--workers", "3")

    assert reads.read_text().split("\n") == [f"{os.getpid()} book", ""]
    run = RecomputeRun.objects.latest("id")
    assert (run.status, run.batches_total, run.accounts_scored) == (RunStatus.SUCCEEDED, 3, 500)
    assert snapshot_values() == clean
    assert sorted(ExpansionSignal.objects.values_list("account", "kind", "summary")) == clean_signals


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", [("--batch-size", "50"), ("--batch-size", "500", "--workers", "1")],
                         ids=["same batches", "overlapping batches"])
def test_two_recomputes_of_the_same_day_at_once_leave_one_snapshot_per_account(tmp_path, ravenstack_rows, second):
    restore_tables(ravenstack_rows)
    recompute("--workers", "1")
    clean = snapshot_values()

    # Overlapping: the second run's single batch covers all ten of the first's; they meet on every account's row.
    processes = [start_command("recompute_scores", "--as-of", "2024-12-31", *args, log=tmp_path / f"run{n}.log")
                 for n, args in enumerate([("--batch-size", "50"), second], 1)]
    for n, process in enumerate(processes, 1):
        assert process.wait(timeout=120) == 0, (tmp_path / f"run{n}.log").read_text()

    assert Snapshot.objects.count() == 500
    assert snapshot_values() == clean
    assert sorted(RecomputeRun.objects.values_list("batches_done", flat=True)) == sorted([1, 10, 500 // int(second[1])])
    assert set(RecomputeRun.objects.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}


# A real worker ---------------------------------------------------------------------------------------

@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_recomputes_every_batch_through_redis(settings, ravenstack_rows):
    assert django_settings.REDIS_URL, "this test needs REDIS_URL: the batches must go through a real Redis"
    assert app.conf.broker_url.startswith("redis://")
    settings.SCORING_BATCH_SIZE = 100
    restore_tables(ravenstack_rows)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        recompute_all.delay(AS_OF.isoformat(), "web")
        deadline = time.monotonic() + 120
        while not RecomputeRun.objects.exclude(status=RunStatus.RUNNING).exists():
            assert time.monotonic() < deadline, list(RecomputeRun.objects.values())
            time.sleep(0.2)

    run = RecomputeRun.objects.get()
    assert (run.status, run.error, run.trigger, run.as_of) == (RunStatus.SUCCEEDED, "", "web", AS_OF)
    assert (run.batches_total, run.batches_done, run.accounts_scored) == (5, 5, 500)
    assert run.batches.filter(done_at__isnull=False, accounts_scored=100).count() == 5
    assert Snapshot.objects.filter(as_of=AS_OF, run=run).count() == Snapshot.objects.count() == 500
    before = (
        sorted(Snapshot.objects.values_list("id", "account_id", "computed_at", "risk_score", "health_score")),
        sorted(run.batches.values_list("id", "done_at", "accounts_scored")),
        RecomputeRun.objects.values_list("status", "batches_done", "accounts_scored", "alerts_opened",
                                         "finished_at").get(),
        sorted(Alert.objects.values_list("id", "account_id", "kind", "status")),
    )

    batch = run.batches.order_by("number").first()
    assert recompute_one_batch.apply(args=[batch.pk, run.pk]).get() is True  # redelivered after the run

    after = (
        sorted(Snapshot.objects.values_list("id", "account_id", "computed_at", "risk_score", "health_score")),
        sorted(run.batches.values_list("id", "done_at", "accounts_scored")),
        RecomputeRun.objects.values_list("status", "batches_done", "accounts_scored", "alerts_opened",
                                         "finished_at").get(),
        sorted(Alert.objects.values_list("id", "account_id", "kind", "status")),
    )
    assert after == before


@pytest.mark.django_db
def test_a_run_left_running_by_a_killed_process_is_closed_after_two_hours():
    config = ensure_active_config()
    stale = RecomputeRun.objects.create(as_of=dt.date(2024, 12, 31), config=config, trigger="command")
    fresh = RecomputeRun.objects.create(as_of=dt.date(2024, 12, 31), config=config, trigger="command")
    RecomputeRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - dt.timedelta(hours=3))

    assert recompute_runs_expire() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (RunStatus.FAILED, RunStatus.RUNNING)
    assert stale.error.startswith("interrupted")
