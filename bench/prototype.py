#!/usr/bin/env python3
"""Start-up benchmark (issue 19, docs/performance.md): `manage.py export_risk` against the seed's pandas prototype.

    .venv/bin/python bench/prototype.py [--runs 5] [--as-of 2024-12-31] [--original DIR [--original-python PY]]

The prototype is the early-warning script HealthCS replaces: one process that loads the five RavenStack CSV files
with pandas, scores every subscription by the seed-001 rule table of SPEC.md §2a as of a date, and writes one CSV
row per subscription. The seed's own script is not in the repository; it was a pandas dashboard's data path (its
public source shows the method): every CSV read and its dates and numbers converted column by column with
`pd.to_datetime(errors="coerce")` and `pd.to_numeric`, the subscriptions joined to their accounts, each window's
usage, errors and tickets aggregated and merged separately, and each subscription scored by a Python function of
its row through `DataFrame.apply(axis=1)`. `seed_scores` below does the same by that method (written here, scoring
the rule table as SPEC.md states it, so that its scores can be compared), run as `bench/prototype.py --prototype
OUT.csv`. `vectorised_scores` is a rewrite of it in whole-column operations (`--vectorised OUT.csv`): quicker than
the seed's script ever was, timed beside it as the least a pandas script takes.
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

The seed's own script is published (github.com/Minalspawar/customer-churn-early-warning-system: app.py with its
src/ package; it imports Streamlit and Ollama's client, which a reconstruction leaves out). It is not in the
repository; with a checkout of it, RavenStack's five files copied into its data/raw/saas/ and its requirements
installed, `--original DIR [--original-python PY]` times it too, as `python app.py` runs it (Streamlit's bare mode,
every widget at its default: the whole data path, the scoring of every subscription and the pages' tables), and the
verdict is then against it (its scores are not compared: it shows them on its pages, by rules that differ from
SPEC.md's in details such as a drop's percentage cut rather than rounded and windows that end at the files' last
dates). Without it the verdict is against the reconstruction, a lower bound of the seed's time.
Issue 19 recorded the seed's run: 1.37 s on a machine where importing pandas took 0.37 s; the table's last lines
scale that run by this machine's import of pandas: an estimate, printed beside the verdict, never in its place.
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


# The seed-001 actions of SPEC.md §2a: which fired rules call for them, in the table's order of actions.
ACTIONS = (
    (("usage_drop",), ("Schedule a check-in to reset goals", "Recommend 1-2 key features to activate this week")),
    (("support_load", "escalation"), ("Confirm resolution plan and close the loop",
                                      "Escalate repeat issues with a clear timeline")),
    (("churn_intent",), ("Offer a value review (ROI + quick wins)", "Create a 2-week success plan with milestones")),
    (("trial",), ("Offer guided onboarding session", "Share onboarding checklist + milestones")),
    (("satisfaction",), ("Follow up on dissatisfaction with a recovery plan",
                         "Offer proactive support for the next 7 days")),
    (("downgrade",), ("Run a value-gap call to understand missing needs",
                      "Offer training or enablement for key workflows")),
)


def seed_risk(row) -> tuple[int, str, str, str]:
    """One subscription's score, level, top reasons and actions from its row, rule by rule, as the seed scored."""
    fired: list[tuple[str, str]] = []  # (rule, reason)
    points = 0
    drop, tickets, errors = row["usage_drop"], int(row["tickets_30d"]), int(row["errors_30d"])
    for floor, award in ((0.6, 40), (0.4, 28), (0.2, 12)):
        if drop >= floor:
            points += award
            fired.append(("usage_drop", f"Usage dropped {int(drop * 100 + 0.5)}% (30d vs prior)"))
            break
    for floor, award in ((6, 18), (3, 10)):
        if tickets >= floor:
            points += award
            fired.append(("support_load", f"High support load ({tickets} tickets in 30d)"))
            break
    for floor, award in ((10, 15), (3, 8)):
        if errors >= floor:
            points += award
            fired.append(("error_volume", f"High error volume ({errors} errors in 30d)"))
            break
    if row["churn_intent_30d"] >= 1:
        points += 22
        fired.append(("churn_intent", "Customer language suggests cancellation risk"))
    if row["rated_30d"] > 0:
        satisfaction = int(row["satisfaction_30d"] + 0.5)
        if satisfaction <= 2:
            points += 12
            fired.append(("satisfaction", "Low satisfaction score (1-2/5)"))
        elif satisfaction == 3:
            points += 6
            fired.append(("satisfaction", "Medium satisfaction score (3/5)"))
    if row["escalations_30d"] > 0:
        points += 10
        fired.append(("escalation", "Ticket escalation (higher risk)"))
    if str(row["downgrade_flag"]).lower() in ("true", "1"):
        points += 12
        fired.append(("downgrade", "Recent downgrade (value risk)"))
    if str(row["is_trial"]).lower() in ("true", "1"):
        points += 8
        fired.append(("trial", "Trial customer (activation risk)"))
    score = min(points, 100)
    level = next(name for floor, name in RISK_LEVELS if score >= floor)
    rules = {rule for rule, _ in fired}
    actions = [action for needs, pair in ACTIONS if rules.intersection(needs) for action in pair]
    return (score, level, "; ".join(reason for _, reason in fired[:3]),
            "; ".join(actions[:3]) or "Maintain regular touchpoints and monitor health signals")


def seed_scores(directory: Path, as_of: dt.date, output: Path) -> None:
    """The seed's prototype by its own method: columns converted one by one, each window aggregated and merged
    apart, every subscription scored by `seed_risk` row by row (pandas only)."""
    import numpy as np
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(directory / f"ravenstack_{name}.csv")

    subs, usage, accounts = read("subscriptions"), read("feature_usage"), read("accounts")
    churn, tickets = read("churn_events"), read("support_tickets")
    for frame, dates in ((subs, ("start_date", "end_date")), (usage, ("usage_date",)), (accounts, ("signup_date",)),
                         (churn, ("churn_date",)), (tickets, ("submitted_at", "closed_at"))):
        for column in dates:
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    for column in ("usage_count", "error_count"):
        usage[column] = pd.to_numeric(usage[column], errors="coerce").fillna(0)
    for frame in (subs, usage, accounts, churn, tickets):
        for column in ("subscription_id", "account_id"):
            if column in frame:
                frame[column] = frame[column].astype(str)

    customers = subs.merge(accounts[["account_id", "account_name", "industry", "country"]], on="account_id",
                           how="left")
    customers["arr"] = pd.to_numeric(customers["arr_amount"], errors="coerce").fillna(0)
    day = pd.Timestamp(as_of)
    # Tenure and the churn label are the seed's columns of its pages, not of the score: kept for its cost.
    customers["tenure_days"] = (day - customers["start_date"]).dt.days.fillna(0).clip(lower=0)
    last_from, prior_from = day - pd.Timedelta(days=30), day - pd.Timedelta(days=60)
    last = usage[(usage["usage_date"] >= last_from) & (usage["usage_date"] <= day)]
    prior = usage[(usage["usage_date"] >= prior_from) & (usage["usage_date"] < last_from)]
    for window, column, name in ((last, "usage_count", "usage_30d"), (prior, "usage_count", "usage_prev30d"),
                                 (last, "error_count", "errors_30d")):
        summed = window.groupby("subscription_id")[column].sum().rename(name).reset_index()
        customers = customers.merge(summed, on="subscription_id", how="left")
        customers[name] = customers[name].fillna(0)
    customers["usage_drop"] = np.where(
        customers["usage_prev30d"] > 0,
        (customers["usage_prev30d"] - customers["usage_30d"]) / customers["usage_prev30d"].where(
            customers["usage_prev30d"] > 0, 1), 0.0)
    customers["churned"] = customers["account_id"].isin(set(churn["account_id"]))
    recent = tickets[tickets["submitted_at"].dt.normalize().between(last_from, day)].copy()
    recent["escalated"] = recent["escalation_flag"].astype(str).str.lower().isin(["true", "1"])
    support = recent.groupby("account_id").agg(
        tickets_30d=("ticket_id", "size"), satisfaction_30d=("satisfaction_score", "mean"),
        rated_30d=("satisfaction_score", "count"), escalations_30d=("escalated", "sum")).reset_index()
    customers = customers.merge(support, on="account_id", how="left")
    for column in ("tickets_30d", "rated_30d", "escalations_30d"):
        customers[column] = customers[column].fillna(0)
    customers["churn_intent_30d"] = 0  # RavenStack's tickets carry no text to read
    scored = customers.apply(seed_risk, axis=1, result_type="expand")
    customers[["risk_score", "risk_level", "top_reasons", "recommended_actions"]] = scored
    customers.rename(columns={"subscription_id": "customer_id"})[
        ["customer_id", "account_id", "account_name", "plan_tier", "arr", "usage_30d", "usage_prev30d", "errors_30d",
         "tickets_30d", "risk_score", "risk_level", "top_reasons", "recommended_actions"]].to_csv(output, index=False)


def vectorised_scores(directory: Path, as_of: dt.date, output: Path) -> None:
    """A rewrite of the prototype in whole-column operations: the seed-001 rules per subscription as of `as_of`,
    from the CSV files alone (pandas only)."""
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


def timed(command: list[str], env: dict | None = None, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd or ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def risk_scores(path: Path) -> dict[str, int]:
    """Each subscription's risk score in a CSV file (named customer_id by the seed and HealthCS)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row.get("customer_id") or row["subscription_id"]: int(float(row["risk_score"]))
                for row in csv.DictReader(handle)}


def original_command(directory: Path | None, python: str) -> list[str] | None:
    """The seed's own script, run as a whole process in its checkout (as `python app.py` runs it: Streamlit's bare
    mode, every widget at its default), once RavenStack's files are where it reads them."""
    if directory is None:
        return None
    app, data = directory / "app.py", directory / "data" / "raw" / "saas"
    if not app.is_file():
        sys.exit(f"--original {directory}: no app.py there (a checkout of the seed's prototype is expected)")
    missing = [f.name for f in sorted(RAVENSTACK.glob("ravenstack_*.csv")) if not (data / f.name).is_file()]
    if missing:
        sys.exit(f"--original {directory}: copy RavenStack's files into {data} first (missing: {', '.join(missing)})")
    return [python, str(app)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31))
    parser.add_argument("--original", type=Path, default=None,
                        help="a checkout of the seed's prototype (its app.py), timed beside the others and then the "
                             "yardstick of the verdict")
    parser.add_argument("--original-python", default=sys.executable,
                        help="the Python that runs it, with its requirements (Streamlit, Ollama's client) installed")
    parser.add_argument("--prototype", type=Path, help=argparse.SUPPRESS)  # run the reconstruction alone, into this
    parser.add_argument("--vectorised", type=Path, help=argparse.SUPPRESS)  # run the rewrite alone, into this file
    args = parser.parse_args()
    if args.prototype:
        seed_scores(RAVENSTACK, args.as_of, args.prototype)
        return
    if args.vectorised:
        vectorised_scores(RAVENSTACK, args.as_of, args.vectorised)
        return
    original = original_command(args.original, args.original_python)
    print(f"\nRavenStack as of {args.as_of} (load average {os.getloadavg()[0]:.1f})")
    prepare()
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "SECRET_KEY": "bench-only-not-a-secret", "DEBUG": "false",
           "DJANGO_SETTINGS_MODULE": "healthcs.settings"}
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs, rewrite = (Path(folder) / name for name in ("export.csv", "prototype.csv", "vectorised.csv"))
        this = str(Path(__file__).resolve())
        prototype = [sys.executable, this, "--prototype", str(theirs), "--as-of", args.as_of.isoformat()]
        vectorised = [sys.executable, this, "--vectorised", str(rewrite), "--as-of", args.as_of.isoformat()]
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
        runs: dict[str, tuple[list[str], dict | None, Path | None]] = {
            "seed's script": (original, None, args.original), "prototype": (prototype, None, None),
            "vectorised": (vectorised, None, None), "export_risk": (command, env, None),
            "django.setup()": (django_start, env, None), "import pandas": (pandas_import, None, None),
            "bare Django+pandas": (bare, bare_env, None)}
        runs = {name: run for name, run in runs.items() if run[0]}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for run, run_env, cwd in runs.values():  # warm the file cache and the compiled modules
            timed(run, run_env, cwd)
        for _ in range(args.runs):
            for name, (run, run_env, cwd) in runs.items():
                times[name].append(timed(run, run_env, cwd))
        ours_scores = risk_scores(ours)
        differ = {name: sorted(key for key, score in risk_scores(path).items()
                               if ours_scores.get(key) != score) for name, path in (("prototype", theirs),
                                                                                   ("vectorised", rewrite))}
    print(f"\n{'process':<18}  {'median s':>8}  {'best s':>7}")
    for name, values in times.items():
        print(f"{name:<18}  {statistics.median(values):>8.2f}  {min(values):>7.2f}")
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{args.runs} alternated runs each, whole processes; load average at the end {os.getloadavg()[0]:.1f}")
    for name, keys in differ.items():
        print(f"risk scores, {name} and export_risk: {len(ours_scores) - len(keys):,} of {len(ours_scores):,} "
              f"subscriptions agree" + (f" (differ: {', '.join(keys[:10])}{' …' if len(keys) > 10 else ''})"
                                        if keys else ""))
    print(f"django.setup() alone / prototype: {median['django.setup()'] / median['prototype']:.2f} "
          "(what export_risk pays before its work)")
    print(f"bare Django+pandas / prototype: {median['bare Django+pandas'] / median['prototype']:.2f} "
          "(the least any Django command that scores with pandas pays)")
    print(f"export_risk / vectorised: {median['export_risk'] / median['vectorised']:.2f} (a rewrite quicker than "
          "the seed's script ever was)")
    recorded = ORIGINAL_SECONDS / ORIGINAL_PANDAS_SECONDS * median["import pandas"]
    print(f"the seed's script as issue 19 recorded it ({ORIGINAL_SECONDS} s where import pandas took "
          f"{ORIGINAL_PANDAS_SECONDS} s), scaled by import pandas here: about {recorded:.2f} s; export_risk / that: "
          f"{median['export_risk'] / recorded:.2f} (an estimate, not a measurement)")
    yardstick = "seed's script" if original else "prototype"
    ratio = median["export_risk"] / median[yardstick]
    passes = ratio <= BUDGET_RATIO and not differ["prototype"]
    print(f"export_risk / {yardstick}: {ratio:.2f} (budget <= {BUDGET_RATIO:.1f}): {'PASS' if passes else 'FAIL'}"
          + ("" if original else " (the reconstruction leaves out the seed's imports of Streamlit and Ollama's "
                                 "client: --original DIR times the seed's own script)"))
    if not passes:
        sys.exit(1)


if __name__ == "__main__":
    main()
