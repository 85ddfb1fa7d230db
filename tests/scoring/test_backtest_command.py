"""python manage.py backtest (docs/score-accuracy.md): the tables it prints from the snapshots of a date, the
per-account CSV, replaying a date without snapshots from the raw tables, the churn model's rows (in-sample marked) or
why it is not judged, and clear errors for bad arguments."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Snapshot
from tests.factories import AccountFactory, SubscriptionFactory, UsageRecordFactory
from tests.scoring.backtest_book import CUT_OFF, build_snapshot_book, churn_model, store_predictions

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("backtest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_prints_bands_auc_caught_and_signals_from_the_snapshots():
    build_snapshot_book()

    printed = run("--as-of", str(CUT_OFF))

    assert "Backtest as of 2025-03-31, churn within 90 days (stored snapshots)" in printed
    assert "Horizon: complete (latest data 2025-07-04)" in printed
    assert "Live accounts 10, churners 2, base rate 20.0%" in printed
    assert "Churn risk (rules): AUC 0.812 over 10 scored accounts (0 without a score); " \
           "High+Medium caught 2 of 2 churners" in printed
    assert "Health (100 − score): AUC 0.929 over 9 scored accounts (1 without a score)" in printed
    high_medium = next(line for line in printed.splitlines() if "High+Medium" in line and "Churn risk" in line)
    assert high_medium.split()[-8:] == ["2", "of", "2", "100.0%", "40.0%", "0.57", "70.0%", "2.0"]
    signals = printed.split("Signals that preceded churn (by lift):")[1].splitlines()
    assert signals[1].split()[:3] == ["Cancellation", "language", "fired"]


def test_it_writes_one_csv_row_per_live_account(tmp_path):
    build_snapshot_book()
    path = tmp_path / "backtest.csv"

    run("--as-of", str(CUT_OFF), "--horizon", "30", "--csv", str(path))

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 10
    a0 = rows[0]
    assert (a0["external_id"], a0["risk_score"], a0["risk_level"], a0["risk_high"], a0["health_risk"]) == \
        ("a0", "70.0", "High", "yes", "85.0")
    assert (a0["churned"], a0["churn_date"]) == ("yes", "2025-04-30")
    assert rows[3]["churned"] == "no"  # a3 churned on day 33, after a 30-day horizon
    assert rows[5]["health_risk"] == "" and rows[5]["health_at_risk_or_worse"] == "no"


def test_a_date_without_snapshots_is_rescored_from_the_raw_tables():
    account = AccountFactory(external_id="RAW-1", signup_date=dt.date(2024, 1, 1))
    sub = SubscriptionFactory(account=account, start_date=dt.date(2024, 1, 1))
    for day, count in ((dt.date(2024, 5, 10), 100), (dt.date(2024, 6, 20), 10)):
        UsageRecordFactory(subscription=sub, date=day, usage_count=count)

    printed = run("--as-of", "2024-06-30")

    assert "(rescored from the raw tables)" in printed
    assert "Live accounts 1, churners 0" in printed
    assert "Usage drop" in printed  # 90% drop: the rule fired on the one account
    assert not Snapshot.objects.exists()  # nothing written


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "31/03/2025"], "--as-of must be a date as YYYY-MM-DD, not '31/03/2025'"),
    (["--as-of", "2025-03-31", "--horizon", "0"], "--horizon must be between 1 and 730 days, not 0"),
    (["--as-of", "2025-03-31", "--config", "/nonexistent/config.json"], "Cannot read /nonexistent/config.json"),
])
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(*args)


def test_an_invalid_configuration_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"risk_rules": "nonsense"}), encoding="utf-8")

    with pytest.raises(CommandError, match="problem"):
        run("--as-of", "2025-03-31", "--config", str(path))


def test_it_prints_the_model_rows_from_the_stored_predictions_and_marks_them_in_sample():
    accounts = build_snapshot_book()
    store_predictions(accounts, churn_model(trained_from=dt.date(2024, 6, 1), trained_to=CUT_OFF))

    printed = run("--as-of", str(CUT_OFF))

    lines = printed.splitlines()
    high, high_medium = (line for line in lines if line.startswith("Churn model (probability) "))
    assert high.split()[3:] == ["High", "2", "20.0%", "1", "of", "2", "50.0%", "50.0%", "0.50", "80.0%", "2.5",
                                "in-sample"]
    assert high_medium.split()[3:] == ["High+Medium", "5", "50.0%", "2", "of", "2", "100.0%", "40.0%", "0.57",
                                       "70.0%", "2.0", "in-sample"]
    summary = lines.index("Churn model (probability): AUC 0.786 over 9 scored accounts (1 without a score); "
                          "High+Medium caught 2 of 2 churners")
    assert lines[summary + 1].startswith("  in-sample: trained on this period (version 1 learned from 2024-06-01 "
                                         "to 2025-03-31)")
    assert "  calibration by decile (predicted→observed): 1: 2.0%→0.0%, 2: 5.0%→0.0%" in lines[summary + 2]
    assert "  The predictions stored on 2025-03-31 by version 1 (High from 50%, Medium from 20%)." in lines
    assert "Churn model: not judged" not in printed


def test_without_a_model_it_says_why_the_model_is_not_judged():
    build_snapshot_book()

    printed = run("--as-of", str(CUT_OFF))

    assert "Churn model: not judged. No churn model has been trained yet" in printed
    assert "Churn model (probability)" not in printed
