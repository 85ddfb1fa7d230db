"""Settings come from the environment, with safe defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The test settings set some of these in this process's environment; children start without them.
OVERRIDDEN = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
              "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


# Settings only read it (no connection is made); an empty DATABASE_URL means unset.
SETTINGS_ONLY_DATABASE = "postgres://cs@db.internal:5432/cs"


def production_environment(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in OVERRIDDEN}
    return {**clean, "DATABASE_URL": SETTINGS_ONLY_DATABASE, **env, "DJANGO_SETTINGS_MODULE": "healthcs.settings"}


def run_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    clean = production_environment(**env)
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                          cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_secret_key_is_required_when_debug_is_off():
    result = run_settings({}, "pass")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_the_embedded_defaults_are_a_postgresql_server_in_var_and_a_file_queue(tmp_path):
    environment = {"DEBUG": "true", "HEALTHCS_VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    try:
        result = run_settings(environment, (
            "from django.conf import settings as s; from django.db import connection; "
            "d = s.DATABASES['default']; c = connection.cursor(); "
            "c.execute('SELECT current_database(), current_setting(%s)', ['server_version_num']); "
            "name, version = c.fetchone(); "
            "print(d['ENGINE'], d['HOST'], name, int(version) >= 150000, s.CELERY_BROKER_URL, s.DEBUG)"))
        again = run_settings(environment,
                             "from django.db import connection; connection.ensure_connection(); print('ok')")
    finally:
        stopped = subprocess.run([sys.executable, "-m", "healthcs.embedded_postgres", "stop"], cwd=ROOT,
                                 env=production_environment(**environment), capture_output=True, text=True, timeout=60)

    assert result.stdout.split() == ["django.db.backends.postgresql", str(tmp_path / "pgdata"), "healthcs", "True",
                                     "filesystem://", "True"], result.stderr
    assert again.stdout.split() == ["ok"], again.stderr  # a second process finds the running server
    assert stopped.returncode == 0, stopped.stderr
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def test_the_database_must_be_postgresql_and_set_in_production():
    sqlite = run_settings({"DEBUG": "true", "DATABASE_URL": "sqlite:///demo.sqlite3"}, "pass")
    unset = run_settings({"SECRET_KEY": "x", "DATABASE_URL": ""}, "pass")

    assert "DATABASE_URL must point to PostgreSQL (postgres://user:password@host:port/name)." in sqlite.stderr
    assert "DATABASE_URL must be set when DEBUG is off (the embedded PostgreSQL is for the demo)." in unset.stderr


def test_database_and_redis_urls_are_read_from_the_environment():
    result = run_settings(
        {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u:p@db.internal:5433/cs",
         "REDIS_URL": "redis://cache.internal:6379/2", "ALLOWED_HOSTS": "cs.example.org"},
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], s.CELERY_BROKER_URL, s.ALLOWED_HOSTS[0])",
    )

    assert result.stdout.split() == ["django.db.backends.postgresql", "db.internal", "5433", "cs",
                                     "redis://cache.internal:6379/2", "cs.example.org"]


def test_the_deploy_check_is_clean_in_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=production_environment(
            SECRET_KEY="a-long-random-production-secret-key-for-the-deploy-check-0123456789",
            ALLOWED_HOSTS="cs.example.org",
        ),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_django_axes_starts_without_announcing_itself_and_its_lockouts_are_still_logged():
    code = ("import logging; print(logging.getLogger('axes.handlers.database').getEffectiveLevel() <= logging.WARNING,"
            " logging.getLogger('axes.handlers.database').isEnabledFor(logging.INFO))")
    result = run_settings({"SECRET_KEY": "x" * 50, "DEBUG": "false"}, code)

    assert result.returncode == 0, result.stderr
    assert "AXES" not in result.stderr + result.stdout  # its "BEGIN version …" line, once on every start
    assert result.stdout.split() == ["True", "True"]
