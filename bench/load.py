#!/usr/bin/env python3
"""Load benchmark (docs/security.md): 50 logged-in users on gunicorn and PostgreSQL, over loopback.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--think 1 5] [--workers 2] [--threads 4]
                                   [--accounts 2000] [--seed 42] [--fresh] [--prepare-only]

The book lives in a PostgreSQL database of its own, named after BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) plus "_load" (healthcs_bench_load), so nothing else is
disturbed. It is made by `manage.py seed_demo --accounts 2000` (the demo book: users, scores over 120 days,
alerts, playbooks fired and worked, the expansion pipeline), then VACUUM ANALYZE; a marker table records
the accounts and seed, and a later run reuses the book and only migrates. --fresh re-creates it.

The run: gunicorn serves the app (DEBUG off, gthread workers: by default 2 processes, one per core, of 4
threads each; bound to 127.0.0.1 only) against that database. The users' sessions are created up front,
one per user, as a login makes them: every fourth user is the demo manager (all 2,000 accounts), the
others the three demo CSMs in turn (about 670 accounts each). After a warm-up (every page a few times in
every worker, untimed), each user is a thread with one keep-alive connection that, for --duration
seconds, requests a page of the mix, then reads it for a think time drawn uniformly from --think
(seconds) before the next; every loop is bounded (by the deadline and by a maximum number of requests).
The mix, every page equally often in a shuffled order:
  - the at-risk list /accounts/ (default order, a risk filter, page 2, sorted by ARR),
  - Account 360 /accounts/<id>/ of one of 40 of the user's accounts,
  - My queue (home) /,
  - the pipeline board /pipeline/,
  - the API list /api/accounts/ (page 1 or 2, a risk filter).
Requests are sent as through an HTTPS proxy (X-Forwarded-Proto: https), without compression.

It reports requests/s, p50/p95/p99 per page and overall (the whole request as the client sees it), the
p95 per 10 s (a burst of other work on the machine shows there), errors (any status but 200, or no
answer), the largest body per page (HTML, or JSON for the API), and the load average at the start and at
the end. Budget: p95 <= 300 ms overall and on every page, no errors, every page under 200 KB. Exit
status 1 when the budget is missed. `--think 0 0` turns the users into a closed loop (each sends its next
request as soon as the last is answered): a stress test of the server's capacity rather than 50 people.
"""

import argparse
import http.client
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/healthcs_bench")
SERVER_URL, BASE_NAME = BASE_URL.rsplit("/", 1)
DATABASE_NAME = f"{BASE_NAME}_load"
DATABASE_URL = f"{SERVER_URL}/{DATABASE_NAME}"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"  # as in production: templates cached, no query log
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")

MARKER_TABLE = "bench_load"
HOST = "127.0.0.1"  # loopback only: the server is never reachable from elsewhere
BUDGET_P95_MS = 300.0
BUDGET_BYTES = 200 * 1024
MAX_REQUESTS_PER_USER = 100_000  # a bound on every user's loop besides the deadline
MANAGER_EVERY = 4  # every fourth user is a manager, the others CSMs
WINDOW_SECONDS = 10
PAGES = ("at-risk list", "Account 360", "My queue", "pipeline board", "API list")


# Preparation ------------------------------------------------------------------------------------------

def holds_book(accounts: int, seed: int) -> bool:
    """Whether the database exists and a completed preparation recorded this book in it."""
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
            return False
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0] is None:
            return False
        return conn.execute(f"SELECT accounts, seed FROM {MARKER_TABLE}").fetchone() == (accounts, seed)


def prepare(accounts: int, seed: int, fresh: bool) -> None:
    """Make the database hold the migrated schema and the scored demo book."""
    import django
    import psycopg

    if fresh or not holds_book(accounts, seed):
        started = time.perf_counter()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--accounts", str(accounts), "--seed", str(seed))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(f"CREATE TABLE {MARKER_TABLE} (accounts integer, seed integer)")
            cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s)", [accounts, seed])
        print(f"  prepared {DATABASE_NAME} in {time.perf_counter() - started:.1f} s")
        return
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"  reusing database {DATABASE_NAME}")



# Users and their sessions ------------------------------------------------------------------------------

@dataclass
class VirtualUser:
    number: int
    username: str
    role: str
    cookie: str
    accounts: list[str]  # external ids of accounts the user may open


def create_users(count: int, seed: int) -> list[VirtualUser]:
    """`count` logged-in users, sessions made up front as a login would make them (one per user): every
    MANAGER_EVERY-th the demo manager, the others the demo CSMs in turn; each with 40 of their accounts."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import Role, User
    from accounts.selectors import accounts_for_user
    from workspace.demo.users import DEMO_CSMS, DEMO_USERS

    logging.getLogger("axes").setLevel(logging.WARNING)  # no line per login
    manager = next(u.username for u in DEMO_USERS if u.role == Role.MANAGER.value)
    people = {u.username: u for u in User.objects.filter(username__in=[manager, *(c.username for c in DEMO_CSMS)])}
    rng = random.Random(seed)
    books = {}
    for username, person in people.items():
        ids = list(accounts_for_user(person).order_by("external_id").values_list("external_id", flat=True))
        if not ids:
            raise SystemExit(f"{username} has no accounts: re-create the book with --fresh")
        books[username] = rng.sample(ids, min(40, len(ids)))
    users = []
    for number in range(count):
        username = manager if number % MANAGER_EVERY == MANAGER_EVERY - 1 else \
            DEMO_CSMS[(number - number // MANAGER_EVERY) % len(DEMO_CSMS)].username
        client = Client()
        client.force_login(people[username])
        users.append(VirtualUser(number, username, "manager" if username == manager else "CSM",
                                 client.cookies[settings.SESSION_COOKIE_NAME].value, books[username]))
    return users


def end_sessions(users: list[VirtualUser]) -> None:
    """The run's sessions removed, as logging out would, so runs do not pile them up."""
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=[user.cookie for user in users]).delete()


def page_request(page: str, user: VirtualUser, rng: random.Random) -> tuple[str, dict[str, str]]:
    """The address (and extra headers) of one request of the page, varied as a person would."""
    if page == "at-risk list":
        return rng.choice(["/accounts/", "/accounts/?risk_level=High", "/accounts/?page=2",
                           "/accounts/?ordering=-arr"]), {}
    if page == "Account 360":
        return f"/accounts/{rng.choice(user.accounts)}/", {}
    if page == "My queue":
        return "/", {}
    if page == "pipeline board":
        return "/pipeline/", {}
    return rng.choice(["/api/accounts/", "/api/accounts/?page=2", "/api/accounts/?risk_level=High"]), \
        {"Accept": "application/json"}


# The server --------------------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    """gunicorn on loopback against the benchmark's database, DEBUG off, as in production."""
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "ALLOWED_HOSTS": HOST,
           "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "gunicorn", "healthcs.wsgi", "--bind", f"{HOST}:{port}",
               "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
               "--keep-alive", "75", "--timeout", "60", "--preload", "--log-level", "warning"]
    log = log_path.open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # bounded: up to 90 s for the workers to come up
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}; see {log_path}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/login/", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by gunicorn's processes (its process group), from /proc."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == server.pid:  # its process group: gunicorn was started as a session leader
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# The run -----------------------------------------------------------------------------------------------

@dataclass
class Sample:
    page: str
    role: str
    started: float
    ms: float
    status: int  # 0: no answer (connection failed or timed out)
    size: int
    address: str
    error: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def fetch(connection: http.client.HTTPConnection, address: str, cookie: str, headers: dict[str, str]
          ) -> tuple[int, int]:
    connection.request("GET", address, headers={"Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https",
                                                "Accept-Encoding": "identity", **headers})
    response = connection.getresponse()
    body = response.read()
    return response.status, len(body)


def run_user(user: VirtualUser, port: int, deadline: float, think: tuple[float, float], seed: int,
             results: Results) -> None:
    """One person: requests a page of the mix, reads it for a think time, and again, until the deadline
    (or MAX_REQUESTS_PER_USER, whichever comes first)."""
    rng = random.Random(f"{seed}-{user.number}")
    pages = list(PAGES)
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    time.sleep(rng.uniform(0, think[1]))  # people do not all click at the same instant
    for number in range(MAX_REQUESTS_PER_USER):
        if time.monotonic() >= deadline:
            break
        if number % len(pages) == 0:
            rng.shuffle(pages)  # every page equally often, in no fixed order
        page = pages[number % len(pages)]
        address, headers = page_request(page, user, rng)
        started = time.monotonic()
        try:
            status, size = fetch(connection, address, user.cookie, headers)
            error = "" if status == 200 else f"status {status}"
        except (OSError, http.client.HTTPException) as problem:
            status, size, error = 0, 0, f"{type(problem).__name__}: {problem}"
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        results.add(Sample(page, user.role, started, (time.monotonic() - started) * 1000, status, size, address,
                           error))
        pause = rng.uniform(*think)
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
    connection.close()


def warm_up(users: list[VirtualUser], port: int, workers: int, threads: int) -> None:
    """Every page several times in every worker, untimed: templates compiled, database connections open,
    caches warm. Many connections at once, so that every worker process takes some of them."""
    def visit(number: int) -> None:
        rng = random.Random(number)
        for user in (users[number % len(users)], users[MANAGER_EVERY - 1]):
            for page in PAGES:
                address, headers = page_request(page, user, rng)
                connection = http.client.HTTPConnection(HOST, port, timeout=60)  # a new one: any worker
                fetch(connection, address, user.cookie, headers)
                connection.close()

    for _ in range(3):
        visitors = [threading.Thread(target=visit, args=(number,)) for number in range(workers * threads)]
        for visitor in visitors:
            visitor.start()
        for visitor in visitors:
            visitor.join(timeout=300)


def measure(users: list[VirtualUser], port: int, duration: float, think: tuple[float, float], seed: int
            ) -> tuple[Results, float]:
    results = Results()
    started = time.monotonic()
    deadline = started + duration
    threads = [threading.Thread(target=run_user, args=(user, port, deadline, think, seed, results), daemon=True)
               for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)  # bounded: a request times out after 30 s
    return results, time.monotonic() - started


# The report --------------------------------------------------------------------------------------------

def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(results: Results, elapsed: float, load_start: tuple[float, ...], load_end: tuple[float, ...],
           users: int, think: tuple[float, float], workers: int, threads: int, server_cpu: float) -> bool:
    """Print the table and the verdict; True when the budget holds."""
    samples = results.samples
    if not samples:
        print("no request was made")
        return False
    header = (f"{'page':<15}  {'requests':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  "
              f"{'errors':>6}  {'largest body':>12}  verdict")
    print("\n" + header + "\n" + "-" * len(header))
    passes = True
    for page in (*PAGES, "overall"):
        rows = samples if page == "overall" else [s for s in samples if s.page == page]
        if not rows:
            print(f"{page:<15}  no requests")
            passes = False
            continue
        times = [s.ms for s in rows]
        errors = sum(1 for s in rows if s.error)
        largest = max(s.size for s in rows)
        p95 = percentile(times, 95)
        ok = p95 <= BUDGET_P95_MS and errors == 0 and largest < BUDGET_BYTES
        passes = passes and ok
        print(f"{page:<15}  {len(rows):>8}  {percentile(times, 50):>7.0f}  {p95:>7.0f}  {percentile(times, 99):>7.0f}  "
              f"{max(times):>7.0f}  {errors:>6}  {largest / 1024:>9.1f} KB  {'PASS' if ok else 'FAIL'}")
    for role in ("CSM", "manager"):
        times = [s.ms for s in samples if s.role == role]
        if len(times) > 1:
            print(f"  {role}: {len(times)} requests, p50 {percentile(times, 50):.0f} ms, "
                  f"p95 {percentile(times, 95):.0f} ms")
    start = min(s.started for s in samples)
    windows = {}
    for sample in samples:  # when the slow requests came: a burst of other work on the machine shows here
        windows.setdefault(int((sample.started - start) // WINDOW_SECONDS), []).append(sample.ms)
    print("  p95 per " + f"{WINDOW_SECONDS} s: " + ", ".join(
        f"{percentile(times, 95):.0f}" for _, times in sorted(windows.items())) + " ms")
    failures = [s for s in samples if s.error]
    for sample in failures[:10]:
        print(f"  error: {sample.address} ({sample.role}): {sample.error}")
    print(f"\n{users} users ({users // MANAGER_EVERY} managers), "
          f"{elapsed:.1f} s, {len(samples) / elapsed:.1f} requests/s, think time {think[0]:g}-{think[1]:g} s; "
          f"gunicorn gthread {workers} workers x {threads} threads on {os.cpu_count()} cores")
    print(f"the server used {server_cpu:.1f} s of CPU ({server_cpu / elapsed:.2f} of the {os.cpu_count()} cores, "
          f"{1000 * server_cpu / len(samples):.0f} ms per request; the database's work is not counted)")
    print(f"load average (1, 5, 15 min) at the start {', '.join(f'{x:.2f}' for x in load_start)}; "
          f"at the end {', '.join(f'{x:.2f}' for x in load_end)}")
    print(f"budget: p95 <= {BUDGET_P95_MS:.0f} ms overall and per page, no errors, every body under "
          f"{BUDGET_BYTES // 1024} KB")
    print(f"docs/security.md load budget at {users} users: {'PASS' if passes else 'FAIL'}")
    return passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 5.0), metavar=("MIN", "MAX"),
                        help="seconds a user reads a page before the next request (default 1 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="re-create the book")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the database, measure nothing")
    args = parser.parse_args()
    if args.users < MANAGER_EVERY or args.duration <= 0 or not 0 <= args.think[0] <= args.think[1]:
        parser.error(f"--users must be at least {MANAGER_EVERY}, --duration above 0 and 0 <= --think MIN <= MAX")

    print(f"\n{args.accounts:,} accounts, {args.users} users (load average {os.getloadavg()[0]:.2f})")
    prepare(args.accounts, args.seed, args.fresh)
    if args.prepare_only:
        return
    users = create_users(args.users, args.seed)
    from django.db import connections

    connections.close_all()  # the server has the database to itself
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"healthcs-load-gunicorn-{port}.log"
    server = start_server(port, args.workers, args.threads, log_path)
    try:
        warm_up(users, port, args.workers, args.threads)
        load_start, cpu_start = os.getloadavg(), server_cpu_seconds(server)
        results, elapsed = measure(users, port, args.duration, tuple(args.think), args.seed)
        load_end, server_cpu = os.getloadavg(), server_cpu_seconds(server) - cpu_start
    finally:
        stop_server(server)
        end_sessions(users)
    passes = report(results, elapsed, load_start, load_end, args.users, tuple(args.think), args.workers,
                    args.threads, server_cpu)
    if not passes:
        sys.exit(1)


if __name__ == "__main__":
    main()
