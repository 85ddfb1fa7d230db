#!/usr/bin/env python3
"""Start-up benchmark (issue 19, docs/performance.md): `manage.py export_risk` against the seed's pandas prototype.

    .venv/bin/python bench/prototype.py [--runs 5] [--as-of 2024-12-31]

The prototype is the kind of early-warning script HealthCS replaces: one process that loads the five RavenStack
CSV files with pandas, scores every subscription by the seed-001 rule table of SPEC.md §2a as of a date, and
writes one CSV row per subscription (`prototype_scores` below, run as `bench/prototype.py --prototype OUT.csv`).
HealthCS does the same with `manage.py export_risk --as-of D --level subscription --config seed-001 --output
OUT.csv` on a database holding the same files (imported once by `manage.py import_data` into a database of its
own, named after BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/healthcs_bench, plus
"_prototype"; a later run reuses it and only migrates).

Both are whole processes started from the shell, timed wall clock from start to exit, alternated (prototype,
command, prototype, ...) --runs times each, so that a burst of other work on the machine falls on both alike.
The table gives each one's median and best run, the ratio of the command's median to the prototype's (the
budget: at most 1.0), and how many subscriptions' risk scores the two agree on (all of them, or the comparison
says which differ: the prototype is only a fair yardstick if it computes the same thing). It also times Django's
start alone as manage.py starts export_risk (`django.setup()` with the apps a book-only command loads, see
healthcs/startup.py, the garbage collector off, and nothing else) and importing pandas alone, the fixed costs both
pay for, and the least any Django command that scores with pandas pays: a bare Django (settings of two contrib apps,
no app of HealthCS) started, the same way, in a process that imports pandas. Exit status 1 on FAIL.

The seed's original script is not in the repository; issue 19 recorded its run: 1.37 s on a machine where
importing pandas took 0.37 s. The table's last lines scale that run by this machine's import of pandas and give
export_risk's ratio to it: an estimate of where the original would stand here, printed beside the measured verdict,
never in its place.
"""

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAVENSTACK = ROOT / "tests" / "data" / "ravenstack"
BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/healthcs_bench")
DATABASE_URL = f"{BASE_URL}_prototype"
BUDGET_RATIO = 1.0
# The barest Django a command could start: no app of HealthCS, no admin, no Celery, the same database driver.
BARE_SETTINGS = '''SECRET_KEY = "bench-only-not-a-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres"}}
USE_TZ = True
'''
RISK_LEVELS = ((60, "High"), (30, "Medium"), (0, "Low"))
# Issue 19's record of the seed's original script: its whole run, and `import pandas` alone on the same machine.
ORIGINAL_SECONDS, ORIGINAL_PANDAS_SECONDS = 1.37, 0.37


def prototype_scores(directory: Path, as_of: dt.date, output: Path) -> None:
    """The prototype: the seed-001 rules per subscription as of `as_of`, from the CSV files alone (pandas only)."""
    import numpy as np
    import pandas as pd

    subs = pd.read_csv(directory / "ravenstack_subscriptions.csv")
    usage = pd.read_csv(directory / "ravenstack_feature_usage.csv", parse_dates=["usage_date"])
    tickets = pd.read_csv(directory / "ravenstack_support_tickets.csv", parse_dates=["submitted_at"])
    accounts = pd.read_csv(directory / "ravenstack_accounts.csv")
    day = pd.Timestamp(as_of)
    last_from, prior_from = day - pd.Timedelta(days=30), day - pd.Timedelta(days=60)
    in_last = usage["usage_date"].between(last_from, day)
    in_prior = (usage["usage_date"] >= prior_from) & (usage["usage_date"] < last_from)
    per_sub = pd.DataFrame({
        "last": usage["usage_count"].where(in_last, 0), "prior": usage["usage_count"].where(in_prior, 0),
        "errors": usage["error_count"].where(in_last, 0), "subscription_id": usage["subscription_id"],
    }).groupby("subscription_id").sum()
    recent = tickets[tickets["submitted_at"].dt.normalize().between(last_from, day)]
    per_account = recent.groupby("account_id").agg(
        tickets=("ticket_id", "size"), rated=("satisfaction_score", "mean"),
        escalated=("escalation_flag", lambda flags: flags.astype(str).str.lower().isin(["true", "1"]).any()))
    frame = subs.join(per_sub, on="subscription_id").join(per_account, on="account_id")
    frame[["last", "prior", "errors", "tickets"]] = frame[["last", "prior", "errors", "tickets"]].fillna(0)
    drop = np.where(frame["prior"] > 0, (frame["prior"] - frame["last"]) / frame["prior"].where(frame["prior"] > 0, 1),
                    0.0)
    satisfaction = np.floor(frame["rated"] + 0.5)  # rounded half up; NaN: no rated ticket, the rule is skipped
    flag = {"true": True, "1": True}
    rules = [
        ("Usage dropped {pct}% (30d vs prior)", np.select([drop >= 0.6, drop >= 0.4, drop >= 0.2], [40, 28, 12], 0)),
        ("High support load ({n} tickets in 30d)", np.select([frame["tickets"] >= 6, frame["tickets"] >= 3],
                                                             [18, 10], 0)),
        ("High error volume ({e} errors in 30d)", np.select([frame["errors"] >= 10, frame["errors"] >= 3], [15, 8], 0)),
        ("Low satisfaction score (1-2/5)", np.where(satisfaction <= 2, 12, 0)),
        ("Medium satisfaction score (3/5)", np.where(satisfaction == 3, 6, 0)),
        ("Ticket escalation (higher risk)", np.where(frame["escalated"].fillna(False).astype(bool), 10, 0)),
        ("Recent downgrade (value risk)",
         np.where(frame["downgrade_flag"].astype(str).str.lower().map(flag).fillna(False), 12, 0)),
        ("Trial customer (activation risk)",
         np.where(frame["is_trial"].astype(str).str.lower().map(flag).fillna(False), 8, 0)),
    ]
    points = np.vstack([rule_points for _, rule_points in rules])
    frame["risk_score"] = np.minimum(points.sum(axis=0), 100)
    frame["risk_level"] = np.select([frame["risk_score"] >= floor for floor, _ in RISK_LEVELS],
                                    [name for _, name in RISK_LEVELS], default="Low")
    pct = np.floor(drop * 100 + 0.5).astype(int)
    reasons = []
    for row, (prior_pct, tickets_n, errors_n) in enumerate(zip(pct, frame["tickets"].astype(int),
                                                               frame["errors"].astype(int), strict=True)):
        fired = [text.format(pct=prior_pct, n=tickets_n, e=errors_n) for (text, _), rule_points
                 in zip(rules, points[:, row], strict=True) if rule_points]
        reasons.append("; ".join(fired[:3]))
    frame["top_reasons"] = reasons
    frame = frame.merge(accounts[["account_id", "account_name"]], on="account_id", how="left")
    frame[["subscription_id", "account_id", "account_name", "risk_score", "risk_level", "top_reasons"]].to_csv(
        output, index=False)


def manage(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "SECRET_KEY": "bench-only-not-a-secret", "DEBUG": "false",
           "DJANGO_SETTINGS_MODULE": "healthcs.settings"}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True)


def prepare() -> None:
    """The RavenStack database: created and imported once, migrated on every run."""
    import psycopg

    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--verbosity", "0")
    with psycopg.connect(DATABASE_URL) as conn:
        imported = conn.execute("SELECT count(*) FROM accounts_subscription").fetchone()[0]
    if not imported:
        print(f"  importing RavenStack into {name}")
        manage("import_data", str(RAVENSTACK))


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def risk_scores(path: Path, key: str) -> dict[str, int]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row[key]: int(float(row["risk_score"])) for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31))
    parser.add_argument("--prototype", type=Path, help=argparse.SUPPRESS)  # run the prototype alone, into this file
    args = parser.parse_args()
    if args.prototype:
        prototype_scores(RAVENSTACK, args.as_of, args.prototype)
        return
    print(f"\nRavenStack as of {args.as_of} (load average {os.getloadavg()[0]:.1f})")
    prepare()
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "SECRET_KEY": "bench-only-not-a-secret", "DEBUG": "false",
           "DJANGO_SETTINGS_MODULE": "healthcs.settings"}
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = Path(folder) / "export.csv", Path(folder) / "prototype.csv"
        prototype = [sys.executable, str(Path(__file__).resolve()), "--prototype", str(theirs),
                     "--as-of", args.as_of.isoformat()]
        command = [sys.executable, str(ROOT / "manage.py"), "export_risk", "--as-of", args.as_of.isoformat(),
                   "--level", "subscription", "--config", "seed-001", "--output", str(ours)]
        # Django's start alone, begun as manage.py begins export_risk (its apps, the garbage collector off) and ended
        # as it ends a command (the collector frozen: no walk at exit).
        django_start = [sys.executable, "-c", "import django, gc; from healthcs import startup; "
                        "startup.announce(['manage.py', 'export_risk']); gc.disable(); django.setup(); gc.freeze()"]
        pandas_import = [sys.executable, "-c", "import pandas"]
        (Path(folder) / "bare_settings.py").write_text(BARE_SETTINGS, encoding="utf-8")
        bare = [sys.executable, "-c", "import django, gc; gc.disable(); import pandas; django.setup(); gc.freeze()"]
        bare_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bare_settings", "PYTHONPATH": folder}
        times: dict[str, list[float]] = {"prototype": [], "export_risk": [], "django.setup()": [], "import pandas": [],
                                         "bare Django+pandas": []}
        timed(prototype), timed(command, env)  # warm the file cache and the compiled modules
        for _ in range(args.runs):
            times["prototype"].append(timed(prototype))
            times["export_risk"].append(timed(command, env))
            times["django.setup()"].append(timed(django_start, env))
            times["import pandas"].append(timed(pandas_import))
            times["bare Django+pandas"].append(timed(bare, bare_env))
        theirs_scores, ours_scores = risk_scores(theirs, "subscription_id"), risk_scores(ours, "customer_id")
    differ = sorted(key for key in theirs_scores if ours_scores.get(key) != theirs_scores[key])
    print(f"\n{'process':<18}  {'median s':>8}  {'best s':>7}")
    for name, values in times.items():
        print(f"{name:<18}  {statistics.median(values):>8.2f}  {min(values):>7.2f}")
    ratio = statistics.median(times["export_risk"]) / statistics.median(times["prototype"])
    print(f"\n{args.runs} alternated runs each, whole processes; load average at the end {os.getloadavg()[0]:.1f}")
    print(f"risk scores: {len(theirs_scores) - len(differ):,} of {len(theirs_scores):,} subscriptions agree"
          + (f" (differ: {', '.join(differ[:10])}{' …' if len(differ) > 10 else ''})" if differ else ""))
    floor = statistics.median(times["django.setup()"]) / statistics.median(times["prototype"])
    print(f"django.setup() alone / prototype: {floor:.2f} (what export_risk pays before its work)")
    least = statistics.median(times["bare Django+pandas"]) / statistics.median(times["prototype"])
    print(f"bare Django+pandas / prototype: {least:.2f} (the least any Django command that scores with pandas pays)")
    original = ORIGINAL_SECONDS / ORIGINAL_PANDAS_SECONDS * statistics.median(times["import pandas"])
    print(f"the seed's original script as issue 19 recorded it ({ORIGINAL_SECONDS} s where import pandas took "
          f"{ORIGINAL_PANDAS_SECONDS} s), scaled by import pandas here: about {original:.2f} s; export_risk / that: "
          f"{statistics.median(times['export_risk']) / original:.2f} (an estimate, not a measurement)")
    passes = ratio <= BUDGET_RATIO and not differ
    print(f"export_risk / prototype: {ratio:.2f} (budget <= {BUDGET_RATIO:.1f}): {'PASS' if passes else 'FAIL'}")
    if not passes:
        sys.exit(1)


if __name__ == "__main__":
    main()
