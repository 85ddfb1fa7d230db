#!/usr/bin/env python3
"""Held-out backtest: score an independently written book through the product's command line.

    .venv/bin/python bench/backtest.py [--accounts 2000] [--seed 1] [--cutoff 2026-06-30] [--keep]
                                       [--config FILE.json]

Writes the held-out book (bench/heldout/book.py) into a temporary folder, drops and re-creates the
database named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/healthcs_heldout), then runs
only `manage.py` commands: migrate, a shell line creating the book's CSM users, import_data,
recompute_scores --as-of the cut-off and export_risk --level account. It joins the export with the
book's truth.csv and prints, for the accounts live at the cut-off, how well risk levels, health tiers
and the two scores pick out the accounts that churned within 90 days after it.

The book is a held-out check: read the figures, never tune rules on its individual errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from heldout.book import write_book  # noqa: E402  (bench/ is not a package)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/healthcs_heldout"
HORIZON_DAYS = 90
WORSE_THAN_HEALTHY = ["At risk", "High risk", "Critical"]


class Timer:
    """Wall time of each named step, printed as it ends."""

    def __init__(self) -> None:
        """Start with no steps."""
        self.steps: list[tuple[str, float]] = []

    def run(self, label: str, action) -> object:
        """Run one step and record its duration."""
        began = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - began
        self.steps.append((label, seconds))
        print(f"[{seconds:7.1f} s] {label}", flush=True)
        return result


def recreate_database(url: str) -> None:
    """Drop and create the backtest database (never the one the app runs on, by its own name)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict[str, str]) -> str:
    """Run one manage.py command; stop with its output when it fails."""
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def create_csm_users(emails: list[str], env: dict[str, str]) -> None:
    """The import only accepts CSM e-mails of existing users: create one plain user per e-mail."""
    line = ("from django.contrib.auth import get_user_model; U = get_user_model(); "
            f"[U.objects.get_or_create(username=e.split('@')[0], defaults={{'email': e}}) for e in {emails!r}]")
    manage("shell", "-c", line, env=env)


def auc(score: pd.Series, positive: pd.Series) -> float:
    """Area under the ROC curve by the Mann-Whitney rank sum (ties share their mean rank)."""
    ranks = score.rank(method="average")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def join(export: pd.DataFrame, truth: pd.DataFrame, accounts: pd.DataFrame, cutoff: dt.date) -> pd.DataFrame:
    """Accounts live at the cut-off with their scores and what happened to them afterwards."""
    truth = truth.merge(accounts[["account_id", "signup_date"]], on="account_id")
    churn = pd.to_datetime(truth["churn_date"])
    cut = pd.Timestamp(cutoff)
    live = (pd.to_datetime(truth["signup_date"]) <= cut) & (churn.isna() | (churn > cut))
    frame = truth[live].merge(export, on="account_id", how="left", suffixes=("", "_export"))
    frame["churned"] = (churn[live] <= cut + pd.Timedelta(days=HORIZON_DAYS)).to_numpy()
    first = pd.to_datetime(frame["first_signal_date"])
    frame["signal_churner"] = frame["churned"] & first.notna() & (first <= cut)
    frame["risk_hm"] = frame["risk_level"].isin(["High", "Medium"])
    frame["health_bad"] = frame["health_tier"].isin(WORSE_THAN_HEALTHY)
    return frame


def report(frame: pd.DataFrame) -> None:
    """Print the tables of one backtest."""
    churned = frame["churned"]
    base = churned.mean()
    missing = int(frame["risk_level"].isna().sum())
    print(f"\nLive accounts at the cut-off: {len(frame):,} (missing from the export: {missing}); churned within "
          f"{HORIZON_DAYS} days: {int(churned.sum())}; base rate {base:.1%}; signal churners "
          f"{int(frame['signal_churner'].sum())}")

    flags = {"risk High": frame["risk_level"].eq("High"), "risk High+Medium": frame["risk_hm"],
             "health High risk+Critical": frame["health_tier"].isin(["High risk", "Critical"]),
             "health At risk or worse": frame["health_bad"]}
    print(f"\n{'flag':28} {'flagged':>8} {'share':>7} {'recall':>7} {'precision':>9} {'lift':>6}")
    for name, flag in flags.items():
        hits = int((flag & churned).sum())
        precision = hits / flag.sum() if flag.sum() else float("nan")
        print(f"{name:28} {int(flag.sum()):>8} {flag.mean():>7.1%} {hits / churned.sum():>7.1%} "
              f"{precision:>9.1%} {precision / base:>6.2f}")

    risk = frame["risk_score"].astype(float)
    sickness = 100 - frame["health_score"].astype(float)
    stayers = ~churned
    signal = frame["signal_churner"]
    print(f"\n{'AUC':28} {'all churners':>13} {'signal churners':>16}")
    for name, score in (("risk_score", risk), ("100 - health_score", sickness)):
        known = score.notna()
        overall = auc(score[known], churned[known])
        among = known & (signal | stayers)
        print(f"{name:28} {overall:>13.3f} {auc(score[among], signal[among]):>16.3f}"
              + (f"   ({int((~known).sum())} without a score left out)" if (~known).any() else ""))
    print(f"\nRecall of risk High+Medium among signal churners: {frame.loc[signal, 'risk_hm'].mean():.1%}; "
          f"of health At risk or worse: {frame.loc[signal, 'health_bad'].mean():.1%}")
    print(f"Agreement of risk High+Medium and health At risk or worse: "
          f"{(frame['risk_hm'] == frame['health_bad']).mean():.1%}")

    calm = frame[stayers]
    decoys = calm["decoy_kinds"].fillna("").str.split(";").explode()
    print(f"\n{'false alarms (stayers)':28} {'accounts':>8} {'risk H+M':>9} {'health<=AtRisk':>15}")
    rows = [("no look-alike", calm[calm["decoy_kinds"].fillna("") == ""])]
    rows += [(kind, calm.loc[decoys[decoys == kind].index.unique()]) for kind in sorted(set(decoys) - {""})]
    rows.append(("all stayers", calm))
    for name, part in rows:
        print(f"{name:28} {len(part):>8} {part['risk_hm'].mean():>9.1%} {part['health_bad'].mean():>15.1%}")

    print(f"\n{'recall by archetype':28} {'churners':>8} {'risk H+M':>9} {'health<=AtRisk':>15} {'signal<cut':>11}")
    for name, part in frame[churned].groupby("archetype"):
        print(f"{name:28} {len(part):>8} {part['risk_hm'].mean():>9.1%} {part['health_bad'].mean():>15.1%} "
              f"{part['signal_churner'].mean():>11.0%}")


def main() -> None:
    """Command line: generate, import, score, export, compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cutoff", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--config", type=Path, help="scoring configuration JSON passed to export_risk")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and print where")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")  # its own Redis database: queued text readings stay apart
    work = Path(tempfile.mkdtemp(prefix="heldout-"))
    book, export_file = work / "book", work / "risk.csv"
    timer = Timer()
    print(f"Held-out book: {args.accounts} accounts, seed {args.seed}, cut-off {args.cutoff}")
    try:
        timer.run("generate the book", lambda: write_book(book, args.accounts, args.seed, args.cutoff))
        truth_file = work / "truth.csv"
        shutil.move(book / "truth.csv", truth_file)  # not an import file
        accounts = pd.read_csv(book / "ravenstack_accounts.csv", dtype=str, keep_default_na=False)
        timer.run("drop and create the database", lambda: recreate_database(url))
        timer.run("manage.py migrate", lambda: manage("migrate", "--noinput", env=env))
        emails = sorted(set(accounts["csm_email"]) - {""})
        timer.run(f"manage.py shell: {len(emails)} CSM users", lambda: create_csm_users(emails, env))
        timer.run("manage.py import_data", lambda: manage("import_data", str(book), env=env))
        timer.run("manage.py recompute_scores", lambda: manage("recompute_scores", "--as-of",
                                                               args.cutoff.isoformat(), env=env))
        extra = ["--config", str(args.config)] if args.config else []
        timer.run("manage.py export_risk", lambda: manage("export_risk", "--as-of", args.cutoff.isoformat(),
                                                          "--level", "account", "--output", str(export_file),
                                                          *extra, env=env))
        export = pd.read_csv(export_file, dtype={"account_id": str})
        truth = pd.read_csv(truth_file, dtype=str)  # empty cells read as missing
        report(join(export, truth, accounts, args.cutoff))
    finally:
        if args.keep:
            print(f"\nFiles kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("\nSteps: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timer.steps))


if __name__ == "__main__":
    main()
