"""The demo book of the test run, seeded once for every worker: the first test process that needs it runs
seed_demo (300 accounts as of 2025-03-14, seed 42) and leaves every table's rows in a file beside the run's
temporary directories; the others (pytest-xdist workers, each with a database of its own) put those rows into
their database instead of seeding again. A lock on the file makes a worker that arrives while the book is being
seeded wait for it."""

import datetime as dt
import fcntl
import io
import pickle
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.db_snapshot import restore_tables, save_tables

AS_OF = dt.date(2025, 3, 14)
ACCOUNTS = 300


def _run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory every worker of this run shares (the parent of the workers' own temporary directories)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def demo_book_install(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Make this process's test database hold the demo book (and nothing else); returns its rows."""
    from tests.conftest import install_migration_defaults

    saved = _run_directory(tmp_path_factory) / f"demo-book-{ACCOUNTS}-{AS_OF.isoformat()}.pickle"
    with open(saved.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if saved.exists():
            rows = pickle.loads(saved.read_bytes())
            restore_tables(rows)
            return rows
        call_command("flush", interactive=False, verbosity=0)
        install_migration_defaults()
        call_command("seed_demo", "--accounts", str(ACCOUNTS), "--as-of", AS_OF.isoformat(), stdout=io.StringIO())
        rows = save_tables()
        saved.with_suffix(".part").write_bytes(pickle.dumps(rows))
        saved.with_suffix(".part").rename(saved)  # complete or absent, never half-written
        return rows
