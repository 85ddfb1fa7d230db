"""The embedded default database (SQLite, used by the demo) imports RavenStack through its own
write path, just as PostgreSQL does."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tests.importing import RAVENSTACK_DIR

ROOT = Path(__file__).resolve().parents[1]


def manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DEBUG="true", HEALTHCS_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_ravenstack_imports_into_sqlite_and_reimports_as_unchanged(tmp_path):
    assert manage(tmp_path, "migrate", "--no-input").returncode == 0

    first = manage(tmp_path, "import_data", str(RAVENSTACK_DIR))
    second = manage(tmp_path, "import_data", str(RAVENSTACK_DIR))

    assert first.returncode == 0, first.stderr
    assert "ravenstack_feature_usage.csv: 25000 rows (25000 new, 0 updated, 0 unchanged)" in first.stdout
    assert "ravenstack_support_tickets.csv: 2000 rows (2000 new, 0 updated, 0 unchanged)" in first.stdout
    assert "ravenstack_feature_usage.csv: 25000 rows (0 new, 0 updated, 25000 unchanged)" in second.stdout
    assert "ravenstack_churn_events.csv: 600 rows (0 new, 0 updated, 600 unchanged)" in second.stdout
    check = manage(tmp_path, "shell", "-v", "0", "-c",
                   "from accounts.models import SupportTicket as T, Subscription as S; "
                   "t = T.objects.get(external_id='T-0024de'); s = S.objects.get(external_id='S-8cec59'); "
                   "print(t.closed_at.isoformat(), s.arr, s.end_date)")
    assert check.stdout.split() == ["2023-07-28T03:00:00+00:00", "33432.00", "2024-04-12"]


def test_sqlite_keeps_the_usage_days_exact_through_import_change_and_delete(tmp_path):
    assert manage(tmp_path, "migrate", "--no-input").returncode == 0
    assert manage(tmp_path, "import_data", str(RAVENSTACK_DIR)).returncode == 0
    # The same comparison as tests/test_usage_days.py, run by SQLite's own row triggers.
    check = manage(tmp_path, "shell", "-v", "0", "-c", "\n".join([
        "from accounts.models import UsageRecord, UsageDay",
        "from tests.test_usage_days import stored_days, days_from_rows",
        "print(len(stored_days()), stored_days() == days_from_rows())",
        "row = UsageRecord.objects.order_by('pk').first()",
        "row.feature_name = 'ehr_sync'; row.usage_count = 7; row.save()",
        "UsageRecord.objects.filter(pk__in=UsageRecord.objects.order_by('-pk').values('pk')[:50]).delete()",
        "print(stored_days() == days_from_rows(), UsageDay.objects.filter(integration_usage__gt=0).exists())",
    ]))
    assert check.returncode == 0, check.stderr
    first, second = check.stdout.splitlines()
    days, same = first.split()
    assert int(days) > 20000 and same == "True"
    assert second.split() == ["True", "True"]


def test_sqlite_scores_ravenstack_exactly_as_postgresql_does(tmp_path, db):
    from django.core.management import call_command

    from accounts.importing.services import import_files, read_directory
    from scoring.services import recompute_scores

    assert manage(tmp_path, "migrate", "--no-input").returncode == 0
    assert manage(tmp_path, "import_data", str(RAVENSTACK_DIR)).returncode == 0
    scored = manage(tmp_path, "recompute_scores", "--as-of", "2024-12-31")
    assert scored.returncode == 0, scored.stderr
    assert import_files(read_directory(RAVENSTACK_DIR)).ok
    recompute_scores(as_of=dt.date(2024, 12, 31))
    for level in ("subscription", "account"):
        on_sqlite, on_postgres = tmp_path / f"sqlite-{level}.csv", tmp_path / f"postgres-{level}.csv"
        exported = manage(tmp_path, "export_risk", "--as-of", "2024-12-31", "--level", level, "--output",
                          str(on_sqlite))
        assert exported.returncode == 0, exported.stderr
        call_command("export_risk", "--as-of", "2024-12-31", "--level", level, "--output", str(on_postgres))
        assert on_sqlite.read_text() == on_postgres.read_text()
