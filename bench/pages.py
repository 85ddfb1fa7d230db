#!/usr/bin/env python3
"""Page benchmark (docs/performance.md): server time of the at-risk list and Account 360 on the 20,000-account book.

    .venv/bin/python bench/pages.py [--requests 50] [--seed 42] [--as-of 2026-11-01] [--fresh] [--prepare-only]
                                    [--show-queries] [--pages PAGE ...]

The pages are read from a database of their own, named after BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/healthcs_bench) plus "_pages_20000": a copy (CREATE DATABASE ...
TEMPLATE) of recompute.py's 20,000-account database, which recompute.py's machinery makes or reuses
(and migrates) first and whose contents this benchmark leaves alone. In the copy it adds a manager and
ten CSMs (the project's role groups), gives the accounts to the CSMs round-robin (2,000 each, one
UPDATE), scores every 7th day of the 90 before the book's as-of date (the scoring service only, for
Account 360's trend chart and score changes), runs `manage.py recompute_scores` for the as-of date (the
daily job: scores, alerts and what follows them), and then VACUUM ANALYZE, so the planner knows the
latest day. A marker table records that preparation; a later run
reuses the copy and only migrates. --fresh re-creates the copy (not the book).

Each case is requested in-process through Django's test client, logged in (force_login) as the manager
(all 20,000 accounts) and as one CSM (their own ~2,000), with DEBUG off and over HTTPS as in production:
  - at-risk list /accounts/: default order (risk, then ARR, descending), a filter (risk level and
    segment), a search (?q=, a name word or an account id), a sort by health and by name (?ordering=),
    a deep page (?page=100, or the CSM's last page) and the HTMX fragment of page 2 (HX-Request: true);
  - Account 360 /accounts/<id>/: 20 accounts of the user's (the riskiest, the healthiest, those with the
    most tickets and touchpoints, and a spread of the rest), and the same with ?timeline=2;
  - the manager's CSM books /team/books/ (every CSM's accounts, ARR, risk, open and overdue tasks);
  - the CSM's working day: home (My queue, plan steps, pinned views), the alert inbox /alerts/ (default, a
    kind and severity filter, sorted by severity, the HTMX fragment), the Tasks page /tasks/ (default, the
    overdue ones, sorted by account), My digest /digest/, the success plan page of the accounts that have one,
    the account list opened from a saved view; and the manager's weekly summary /digest/weekly/;
  - Renewals /renewals/ (renewals by month and quarter, the renewals ahead, GRR and NRR, lost ARR by reason) for
    both, and the manager's ROI page /roi/.
For those, a second step of the preparation (marker table bench_pages_workday) makes success plans from the
fired reasons for each CSM's PLANS_PER_CSM riskiest accounts and VIEWS_PER_USER saved views per user, pinned to
their home pages (one of each user's views shared).
A case's requests cycle through its addresses: after a warm-up pass over every address, --requests timed
requests per case (time.perf_counter around client.get, the whole request: middleware, session, view,
template), taken in rounds of one request of every case of the role, so that a burst of other work on the
machine falls on all cases alike. The queries per request are counted in one more, untimed request per
address (CaptureQueriesContext); --show-queries also prints their SQL and time.

The table gives p50, p95 and the slowest request per case, the queries per request (a range when the
addresses of a case differ) and the verdict against the budget: p95 <= 100 ms in every case. Exit
status 1 on FAIL.
"""

import argparse
import datetime as dt
import io
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

# recompute.py, next to this file, sets the environment (database server, SECRET_KEY, in-memory e-mail)
# and lends its book machinery: the pages' database is a copy of its 20,000-account one.
import recompute

os.environ["DEBUG"] = "false"  # as in production: no query log, templates cached

ACCOUNTS = recompute.BUDGET_ACCOUNTS
BUDGET_MS = 100.0
MARKER_TABLE = "bench_pages"
CSMS = 10
HISTORY_DAYS = 90
HISTORY_STEP = 7
DETAIL_ACCOUNTS = 20
SEARCHES = ("juniper", "pediatrics", "ACC-01234")
WORKDAY_MARKER = "bench_pages_workday"
PLANS_PER_CSM = 40
VIEWS = (("High risk SMB", "risk_level=High&segment=SMB"), ("Renewals in 90 days", "renewal_within=90"),
         ("Lowest health", "ordering=health"))
VIEWS_PER_USER = len(VIEWS)


@dataclass
class Case:
    page: str
    name: str
    addresses: list[str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CaseResult:
    role: str
    case: Case
    timings_ms: list[float]
    queries: list[int]

    @property
    def p50(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.timings_ms, n=100, method="inclusive")[94]

    @property
    def passes(self) -> bool:
        return self.p95 <= BUDGET_MS

    @property
    def query_range(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"


# Preparation ------------------------------------------------------------------------------------------

def database_name() -> str:
    return f"{recompute.BASE_NAME}_pages_{ACCOUNTS}"


def prepared_marker(name: str, seed: int, as_of: dt.date, marker_table: str, columns: str = "1") -> tuple | None:
    """The marker row a benchmark's completed preparation left in its copy of the book (the columns asked for),
    or None when the copy, its book or the marker is missing (this benchmark's and search.py's copies)."""
    import psycopg

    if not recompute.holds_book(name, ACCOUNTS, seed, as_of):
        return None
    with psycopg.connect(f"{recompute.SERVER_URL}/{name}", autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", [marker_table]).fetchone()[0] is None:
            return None
        return conn.execute(f"SELECT {columns} FROM {marker_table}").fetchone()


def holds_pages(name: str, seed: int, as_of: dt.date) -> bool:
    """Whether the copy exists with the book and a completed preparation of this benchmark in it."""
    marker = prepared_marker(name, seed, as_of, MARKER_TABLE, "csms, history_days, history_step")
    return marker == (CSMS, HISTORY_DAYS, HISTORY_STEP)


def copy_database(source: str, name: str) -> None:
    """The copy re-created from the book's database (which must have no other session open meanwhile)."""
    import psycopg

    with psycopg.connect(f"{recompute.SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        except psycopg.errors.ObjectInUse as error:
            raise SystemExit(f"Cannot copy {source}: another session is connected to it ({error}).") from None


def create_users() -> tuple[int, list[int]]:
    """A manager and CSMS CSMs in the role groups; their ids."""
    from django.contrib.auth.models import Group

    from accounts.models import Role, User
    from accounts.roles import ensure_role_groups

    ensure_role_groups()
    groups = {g.name: g for g in Group.objects.filter(name__in=[Role.MANAGER, Role.CSM])}

    def user(username: str, first_name: str, role: str) -> int:
        person = User(username=username, email=f"{username}@example.org", first_name=first_name,
                      last_name="Bench", is_staff=True)
        person.set_unusable_password()  # the benchmark logs in with force_login
        person.save()
        person.groups.add(groups[role])
        return person.pk

    manager = user("bench-manager", "Morgan", Role.MANAGER)
    return manager, [user(f"bench-csm{n:02d}", f"Casey{n:02d}", Role.CSM) for n in range(1, CSMS + 1)]


def assign_round_robin(csm_ids: list[int]) -> None:
    """Every account to one of the CSMs, in turn by id (one UPDATE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET csm_id = (%s::bigint[])[1 + id %% %s]", [csm_ids, len(csm_ids)])


def history_days(as_of: dt.date) -> list[dt.date]:
    """The days scored: every HISTORY_STEP-th day of the HISTORY_DAYS up to as_of, oldest first."""
    return [as_of - dt.timedelta(days=back) for back in range(HISTORY_STEP * ((HISTORY_DAYS - 1) // HISTORY_STEP),
                                                              -1, -HISTORY_STEP)]


def prepare(seed: int, as_of: dt.date, fresh: bool) -> None:
    """Make the copy hold the book, the users, the CSMs' books and the scores of the history days."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from scoring.services import recompute_scores

    name = database_name()
    if not fresh and holds_pages(name, seed, as_of):  # the copy is all it needs: the book's own is left alone
        recompute.use_database(name)
        call_command("migrate", verbosity=0)
        print(f"  reusing database {name}")
        prepare_workday()
        return
    recompute.prepare(ACCOUNTS, seed, as_of, fresh=False)  # the book's database, made or reused
    started = time.perf_counter()
    recompute.use_database(name)  # closes the connection to the book's database, which the copy needs
    copy_database(recompute.database_name(ACCOUNTS), name)
    call_command("migrate", verbosity=0)
    _, csm_ids = create_users()
    assign_round_robin(csm_ids)
    print(f"  copied the book to {name}, {len(csm_ids)} CSMs assigned in {time.perf_counter() - started:.1f} s")
    *history, latest = history_days(as_of)
    step = time.perf_counter()
    for day in history:  # scores only, for the trend and the score changes
        recompute_scores(as_of=day, batch_size=settings.SCORING_COMMAND_BATCH_SIZE,
                         workers=settings.SCORING_COMMAND_WORKERS)
    print(f"  scores of {len(history)} earlier days ({history[0]} to {history[-1]}) in "
          f"{time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    call_command("recompute_scores", "--as-of", latest.isoformat(), stdout=io.StringIO())
    print(f"  recompute_scores --as-of {latest} (the daily job) in {time.perf_counter() - step:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (csms integer, history_days integer, history_step integer)")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s)", [CSMS, HISTORY_DAYS, HISTORY_STEP])
    print(f"  prepared {name} in {time.perf_counter() - started:.1f} s")
    prepare_workday()


def prepare_workday() -> None:
    """Success plans (from the fired reasons) on each CSM's PLANS_PER_CSM riskiest accounts, and VIEWS_PER_USER
    saved views per user pinned to their home (the first one shared), made once through the services."""
    from django.db import connection

    from accounts.models import User
    from interventions.plans import plan_create_from_reasons
    from scoring.models import Snapshot
    from workspace.saved_views import saved_view_create, saved_view_pin

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [WORKDAY_MARKER])
        if cursor.fetchone()[0] is not None:
            return
    started = time.perf_counter()
    users = list(User.objects.filter(username__startswith="bench-").order_by("username"))
    latest = Snapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    plans = 0
    for user in users:
        if user.sees_all_accounts:
            continue
        riskiest = (Snapshot.objects.filter(as_of=latest, account__csm=user, account__churned=False)
                    .select_related("account").order_by("-risk_score", "account_id")[:PLANS_PER_CSM])
        for snapshot in riskiest:
            plan_create_from_reasons(account=snapshot.account, user=user)
            plans += 1
    for user in users:
        for number, (name, query) in enumerate(VIEWS):
            saved_view_pin(view=saved_view_create(owner=user, name=f"{name} ({user.first_name})", query=query,
                                                  shared=number == 0), user=user)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {WORKDAY_MARKER} (plans integer, views integer)")
        cursor.execute(f"INSERT INTO {WORKDAY_MARKER} VALUES (%s, %s)", [plans, len(users) * VIEWS_PER_USER])
        cursor.execute("ANALYZE")
    print(f"  {plans} success plans and {len(users) * VIEWS_PER_USER} pinned saved views made in "
          f"{time.perf_counter() - started:.1f} s")


# Cases ------------------------------------------------------------------------------------------------

def detail_accounts(user, as_of: dt.date) -> list[str]:
    """DETAIL_ACCOUNTS of the user's accounts: the riskiest, the healthiest, those with the most tickets
    and touchpoints, then an even spread of the rest (external ids, no repeats)."""
    from django.db.models import Count

    from accounts.selectors import accounts_for_user
    from scoring.models import Snapshot

    visible = accounts_for_user(user).order_by()
    scored = Snapshot.objects.filter(as_of=as_of, account__in=visible).order_by()
    groups = [
        scored.order_by("-risk_score", "account_id").values_list("account__external_id", flat=True)[:4],
        scored.filter(health_score__isnull=False).order_by("-health_score", "account_id")
        .values_list("account__external_id", flat=True)[:4],
        visible.annotate(n=Count("tickets")).order_by("-n", "id").values_list("external_id", flat=True)[:4],
        visible.annotate(n=Count("touchpoints")).order_by("-n", "id").values_list("external_id", flat=True)[:4],
    ]
    chosen = list(dict.fromkeys(external_id for group in groups for external_id in group))
    everyone = list(visible.order_by("external_id").values_list("external_id", flat=True))
    stride = max(1, len(everyone) // DETAIL_ACCOUNTS)
    for external_id in everyone[::stride]:
        if len(chosen) >= DETAIL_ACCOUNTS:
            break
        if external_id not in chosen:
            chosen.append(external_id)
    return chosen


def workday_cases(user) -> list[Case]:
    """The pages of issue 17's working day (home, alert inbox, Tasks, digest, success plans, a saved view)."""
    from django.urls import reverse

    from accounts.selectors import accounts_for_user
    from interventions.models import SuccessPlan
    from workspace.models import SavedView

    alerts, tasks = reverse("alert_list"), reverse("task_list")
    planned = list(SuccessPlan.objects.filter(account__in=accounts_for_user(user)).order_by("account_id")
                   .values_list("account__external_id", flat=True)[:DETAIL_ACCOUNTS])
    view = SavedView.objects.filter(owner=user).order_by("id").first()
    return [
        Case("home", "My queue / manager home", [reverse("home")]),
        Case("alert inbox", "default (newest)", [alerts]),
        Case("alert inbox", "kind + severity filter", [f"{alerts}?kind={kind}&severity=high"
                                                       for kind in ("usage_cliff", "failed_payment")]),
        Case("alert inbox", "sort ?ordering=severity", [f"{alerts}?ordering=severity"]),
        Case("alert inbox", "HTMX fragment ?page=2", [f"{alerts}?page=2"], {"HX-Request": "true"}),
        Case("tasks", "default (due)", [tasks]),
        Case("tasks", "overdue, sort by account", [f"{tasks}?due=overdue&ordering=account"]),
        Case("digest", "My digest", [reverse("digest")]),
        *([Case("weekly", "weekly summary", [reverse("weekly_summary")])] if user.sees_all_accounts else []),
        *([Case("success plan", f"{len(planned)} plan pages",
                [reverse("success_plan", args=[external_id]) for external_id in planned])] if planned else []),
        Case("saved view", "account list from a saved view", [f"{reverse('account_list')}?{view.query}"]),
    ]


def cases(user, as_of: dt.date) -> list[Case]:
    from django.urls import reverse

    from accounts.selectors import accounts_for_user
    from workspace.views import PAGE_SIZE

    listing = reverse("account_list")
    deep = min(100, -(-accounts_for_user(user).count() // PAGE_SIZE))
    details = [reverse("account_detail", args=[external_id]) for external_id in detail_accounts(user, as_of)]
    return [
        Case("at-risk list", "default (risk, ARR desc)", [listing]),
        Case("at-risk list", "filter risk High + segment", [f"{listing}?risk_level=High&segment={segment}"
                                                            for segment in ("SMB", "Mid-Market", "Enterprise")]),
        Case("at-risk list", "search ?q=", [f"{listing}?q={query}" for query in SEARCHES]),
        Case("at-risk list", "sort ?ordering=health", [f"{listing}?ordering=health"]),
        Case("at-risk list", "sort ?ordering=name", [f"{listing}?ordering=name"]),
        Case("at-risk list", f"deep page ?page={deep}", [f"{listing}?page={deep}"]),
        Case("at-risk list", "HTMX fragment ?page=2", [f"{listing}?page=2"], {"HX-Request": "true"}),
        Case("Account 360", f"{len(details)} accounts", details),
        Case("Account 360", f"{len(details)} accounts ?timeline=2", [f"{d}?timeline=2" for d in details]),
        *([Case("CSM books", "every CSM's book", [reverse("csm_books")])] if user.sees_all_accounts else []),
        Case("renewals", "renewals, GRR/NRR, lost ARR", [reverse("renewals")]),
        *([Case("ROI", "the year up to today", [reverse("roi")])] if user.sees_all_accounts else []),
        *workday_cases(user),
    ]


# Measurement ------------------------------------------------------------------------------------------

def get(client, address: str, headers: dict[str, str]):
    response = client.get(address, headers=headers, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{address}: status {response.status_code}, expected 200")
    return response


def count_queries(client, role: str, case: Case, show_queries: bool) -> list[int]:
    """The queries of one more request per address (untimed: capturing them slows the request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = []
    for address in case.addresses:
        with CaptureQueriesContext(connection) as captured:
            get(client, address, case.headers)
        queries.append(len(captured.captured_queries))
        if show_queries and address == case.addresses[0]:
            print(f"\n  {role} · {case.page} · {case.name}: {address}")
            for query in captured.captured_queries:
                print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}")
    return queries


ONLY_PAGES: set[str] = set()  # --pages: the pages measured (all when empty)


def measure_role(client, role: str, role_cases: list[Case], requests: int, show_queries: bool) -> list[CaseResult]:
    """Each case's requests, taken in turns with the other cases' (one round: one request of every case),
    so that a burst of other work on the machine falls on all cases alike rather than on one."""
    role_cases = [case for case in role_cases if not ONLY_PAGES or case.page in ONLY_PAGES]
    for case in role_cases:  # warm-up: templates compiled, caches and the database's pages warm
        for address in case.addresses:
            get(client, address, case.headers)
    timings: list[list[float]] = [[] for _ in role_cases]
    for number in range(requests):
        for case, case_timings in zip(role_cases, timings, strict=True):
            address = case.addresses[number % len(case.addresses)]
            started = time.perf_counter()
            get(client, address, case.headers)
            case_timings.append((time.perf_counter() - started) * 1000)
    results = []
    for case, case_timings in zip(role_cases, timings, strict=True):
        result = CaseResult(role, case, case_timings, count_queries(client, role, case, show_queries))
        print(f"  {role:<7}  {case.page:<12}  {case.name:<34}  p50 {result.p50:6.1f} ms  p95 {result.p95:6.1f} ms")
        results.append(result)
    return results


def measure(as_of: dt.date, requests: int, show_queries: bool) -> list[CaseResult]:
    from django.conf import settings
    from django.test import Client

    from accounts.models import Account, User

    if settings.DEBUG:
        raise SystemExit("DEBUG must be off for the page benchmark")
    logging.getLogger("axes").setLevel(logging.WARNING)  # no line per force_login
    # The test client's host name; outside the test runner it has to be allowed like any other.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    manager = User.objects.get(username="bench-manager")
    csm = User.objects.get(username="bench-csm01")
    print(f"  manager sees {Account.objects.count():,} accounts, {csm.username} "
          f"{Account.objects.filter(csm=csm).count():,}")
    results = []
    for role, user in (("manager", manager), ("CSM", csm)):
        client = Client()
        client.force_login(user)
        role_cases = cases(user, as_of)
        detail = next(case for case in role_cases if case.page == "Account 360")
        print(f"  {role} Account 360 accounts: {', '.join(a.rsplit('/', 2)[1] for a in detail.addresses)}")
        results += measure_role(client, role, role_cases, requests, show_queries)
        client.logout()
    return results


def python_speed_ms(loops: int = 3_000_000) -> float:
    """The machine's speed at plain Python, to compare figures taken on different machines: the best of three runs of
    a loop of `loops` additions, in ms (the same machine under other work, or a slower one, prints more)."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for number in range(loops):
            total += number
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def python_speed_text() -> str:
    """The line every benchmark prints, so that its figures can be set against another machine's."""
    return f"Python speed: 3,000,000 additions in a loop take {python_speed_ms():.0f} ms on this machine (best of 3)"


def report(results: list[CaseResult], requests: int, *, budget_ms: float = BUDGET_MS, what: str = "page") -> bool:
    """Print the table and the verdict; True when every case's p95 is within the budget (search.py's is its own)."""
    header = (f"{'role':<7}  {'page':<12}  {'case':<34}  {'addresses':>9}  {'p50 ms':>7}  {'p95 ms':>7}  "
              f"{'max ms':>7}  {'queries':>7}  verdict")
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        print(f"{r.role:<7}  {r.case.page:<12}  {r.case.name:<34}  {len(r.case.addresses):>9}  {r.p50:>7.1f}  "
              f"{r.p95:>7.1f}  {max(r.timings_ms):>7.1f}  {r.query_range:>7}  "
              f"{'PASS' if r.p95 <= budget_ms else 'FAIL'}")
    passes = all(r.p95 <= budget_ms for r in results)
    print(f"\n{requests} timed requests per case, in rounds, after a warm-up pass; queries per request from one "
          f"more request per address; load average at the end {os.getloadavg()[0]:.1f}; budget: p95 <= "
          f"{budget_ms:.0f} ms in every case")
    print(python_speed_text())
    print(f"docs/performance.md {what} budget at {ACCOUNTS:,} accounts: {'PASS' if passes else 'FAIL'}")
    return passes


def run(description: str, *, prepare, measure, requests: int, budget_ms: float, what: str) -> None:
    """The command line a page-timing benchmark shares (this one and search.py): parse the options, prepare the
    database, measure (prepare(seed, as_of, fresh); measure(as_of, requests, show_queries)), print the table and
    exit with status 1 when a case misses the budget."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=requests, help=f"timed requests per case (default {requests})")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    parser.add_argument("--fresh", action="store_true", help="re-create the benchmark's copy of the book")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the database, measure nothing")
    parser.add_argument("--show-queries", action="store_true", help="print each case's queries with their time")
    parser.add_argument("--pages", nargs="+", metavar="PAGE",
                        help="measure only the cases of these pages, as the table names them (e.g. 'Account 360')")
    args = parser.parse_args()
    ONLY_PAGES.update(args.pages or ())
    if args.requests < 2:
        parser.error("--requests must be at least 2")

    import django

    django.setup()

    print(f"\n{ACCOUNTS:,} accounts (load average {os.getloadavg()[0]:.1f})")
    prepare(args.seed, args.as_of, args.fresh)
    if args.prepare_only:
        return
    if not report(measure(args.as_of, args.requests, args.show_queries), args.requests, budget_ms=budget_ms,
                  what=what):
        sys.exit(1)


def main() -> None:
    run(__doc__, prepare=prepare, measure=measure, requests=50, budget_ms=BUDGET_MS, what="page")


if __name__ == "__main__":
    main()
