#!/usr/bin/env python3
"""HealthCS's single entry point for developers: needs nothing but Python 3.11+.

    python3 dev.py demo   # virtualenv, requirements, migrations, demo data and users, then serve
    python3 dev.py test   # the whole test suite on PostgreSQL, Redis, a Celery worker and Chromium

`demo` uses the embedded defaults (a PostgreSQL server from a wheel with its data in var/pgdata, no
Redis: Celery messages go through a file-system queue that one local worker with an embedded beat
consumes); with DATABASE_URL set it uses that database instead. `test` makes sure
PostgreSQL, Redis and Chromium are there (installing and starting them when it can) and runs pytest;
extra arguments are passed to pytest.
"""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements.txt"
CHROMIUM = Path("/usr/bin/chromium")
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/healthcs"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/1"


def say(message: str) -> None:
    print(f"[healthcs] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    return subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=check).returncode


def ensure_virtualenv() -> None:
    """Create .venv and install the pinned requirements when they changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - users may run an older python3
        sys.exit("HealthCS needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("creating the virtualenv in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        say("installing requirements")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS)
        stamp.write_text(digest)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.5)
    return False


def apt_install(*packages: str) -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(f"Please install {' '.join(packages)} (apt-get as root could not be used here).")
    say(f"installing {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env, check=False)
    run("apt-get", "install", "-y", "-qq", *packages, env=env)


def ensure_postgres() -> None:
    """PostgreSQL on 127.0.0.1:5432, started (and installed) when it is not running."""
    if port_open("127.0.0.1", 5432):
        return
    if shutil.which("pg_ctlcluster") is None:
        apt_install("postgresql")
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        sys.exit("PostgreSQL is installed but has no cluster in /etc/postgresql.")
    say(f"starting PostgreSQL {versions[-1]}")
    run("pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start", check=False)
    if not wait_for_port("127.0.0.1", 5432):
        sys.exit("PostgreSQL did not start on 127.0.0.1:5432.")


def ensure_redis() -> None:
    """Redis on 127.0.0.1:6379, started (and installed) when it is not running."""
    if port_open("127.0.0.1", 6379):
        return
    if shutil.which("redis-server") is None:
        apt_install("redis-server")
    say("starting Redis")
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    run("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
        "--logfile", "/var/log/redis/ci.log")
    if not wait_for_port("127.0.0.1", 6379):
        sys.exit("Redis did not start on 127.0.0.1:6379.")


def ensure_chromium() -> None:
    if not CHROMIUM.exists():
        apt_install("chromium")


def test(pytest_args: list[str]) -> int:
    ensure_virtualenv()
    ensure_postgres()
    ensure_redis()
    ensure_chromium()
    env = {**os.environ}
    env.setdefault("DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_TEST_REDIS_URL)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # On every core (at most 8): each pytest-xdist worker has its own test database and Redis database,
    # and runs whole modules (tests/conftest.py).
    defaults = [] if any(a.startswith(("-n", "--numprocesses")) for a in pytest_args) else \
        ["-n", str(min(os.cpu_count() or 1, 8))]
    # The test databases are kept between runs (migrations still run); `--create-db` builds them afresh.
    defaults.append("--reuse-db")
    say(f"running pytest on {env['DATABASE_URL']} and {env['REDIS_URL']}")
    return run(PYTHON, "-m", "pytest", *defaults, *pytest_args, env=env, check=False)


def demo(extra: list[str]) -> int:
    ensure_virtualenv()
    env = {**os.environ}
    env.setdefault("DEBUG", "true")
    address = extra[0] if extra else "127.0.0.1:8000"
    manage = [PYTHON, "manage.py"]
    run(*manage, "migrate", "--no-input", env=env)
    stamp = ROOT / "var" / ".demo-seeded"
    if not stamp.exists():
        run(*manage, "seed_demo", env=env)
        # The churn model learns from the demo's year of history; the recompute then writes its predictions.
        run(*manage, "train_churn_model", env=env)
        run(*manage, "recompute_scores", env=env)
        stamp.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    # Stopped with SIGTERM as with Ctrl+C: unwind, so the worker and the web server stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say("starting a Celery worker with an embedded beat (log in var/celery.log)")
    worker = subprocess.Popen(
        [str(VENV / "bin" / "celery"), "-A", "healthcs", "worker", "--beat", "--pool", "solo",
         "--loglevel", "INFO", "--logfile", str(ROOT / "var" / "celery.log")],
        cwd=ROOT, env=env,
    )
    try:
        say(f"HealthCS is at http://{address}/ (Ctrl+C stops it)")
        return run(*manage, "runserver", "--noreload", address, env=env, check=False)
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        if not env.get("DATABASE_URL"):
            say("stopping the embedded PostgreSQL")
            run(PYTHON, "-m", "healthcs.embedded_postgres", "stop", env=env, check=False)


def main(argv: list[str]) -> int:
    commands = {"demo": demo, "test": test}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
