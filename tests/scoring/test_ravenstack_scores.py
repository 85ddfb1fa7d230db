"""`export_risk` on the published RavenStack book as of 2024-12-31, checked against an independent
reference: the eight rules of docs/scoring.md written again here, straight from the CSV files with pandas
and exact fractions, so that the engine's SQL windows, aggregates and roundings are checked by a
second implementation rather than by themselves.
"""

import csv
import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from scoring.config import default_config, preset_config
from scoring.models import ConfigStatus, ScoringConfig
from tests.importing import RAVENSTACK_DIR

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 12, 31)
COLUMNS = [
    "customer_id", "account_id", "account_name", "plan_tier", "arr", "usage_30d", "usage_prev30d",
    "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d", "risk_score", "risk_level", "top_reasons",
    "recommended_actions", "health_score", "health_tier",
]
CHECK_IN = "Schedule a check-in to reset goals"
KEY_FEATURES = "Recommend 1-2 key features to activate this week"
VALUE_GAP = "Run a value-gap call to understand missing needs"
MAINTAIN = "Maintain regular touchpoints and monitor health signals"


# The reference implementation ----------------------------------------------------------------------

ACTION_GROUPS = (  # docs/scoring.md, in order
    ({"usage_drop"}, ["Schedule a check-in to reset goals", "Recommend 1-2 key features to activate this week"]),
    ({"support_load", "escalation"}, ["Confirm resolution plan and close the loop",
                                      "Escalate repeat issues with a clear timeline"]),
    ({"churn_intent"}, ["Offer a value review (ROI + quick wins)", "Create a 2-week success plan with milestones"]),
    ({"trial"}, ["Offer guided onboarding session", "Share onboarding checklist + milestones"]),
    ({"satisfaction"}, ["Follow up on dissatisfaction with a recovery plan",
                        "Offer proactive support for the next 7 days"]),
    ({"downgrade"}, ["Run a value-gap call to understand missing needs",
                     "Offer training or enablement for key workflows"]),
)


def read_table(name: str) -> pd.DataFrame:
    return pd.read_csv(RAVENSTACK_DIR / f"ravenstack_{name}.csv", dtype=str, keep_default_na=False)


def day_of(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column.str[:10]).dt.date


def half_up(value: Fraction) -> int:
    """Rounded half up, i.e. towards +infinity on a tie (12.5 -> 13, -12.5 -> -12)."""
    return math.floor(value + Fraction(1, 2))


def reference_signals(as_of: dt.date) -> pd.DataFrame:
    """Per subscription, from the CSV files: usage and errors of the subscription in the last 30 days
    [as_of-30, as_of] and the prior 30 [as_of-60, as_of-30), and its account's tickets of the last 30."""
    subs = read_table("subscriptions").set_index("subscription_id")
    usage = read_table("feature_usage")
    used_on = day_of(usage["usage_date"])
    last = (used_on >= as_of - dt.timedelta(days=30)) & (used_on <= as_of)
    prior = (used_on >= as_of - dt.timedelta(days=60)) & (used_on < as_of - dt.timedelta(days=30))
    counts, errors = usage["usage_count"].astype(int), usage["error_count"].astype(int)
    by_sub = usage["subscription_id"]
    subs["usage_30"] = counts[last].groupby(by_sub[last]).sum().reindex(subs.index).fillna(0).astype(int)
    subs["usage_prev"] = counts[prior].groupby(by_sub[prior]).sum().reindex(subs.index).fillna(0).astype(int)
    subs["errors_30"] = errors[last].groupby(by_sub[last]).sum().reindex(subs.index).fillna(0).astype(int)

    tickets = read_table("support_tickets")
    submitted_on = day_of(tickets["submitted_at"])
    recent = tickets[(submitted_on >= as_of - dt.timedelta(days=30)) & (submitted_on <= as_of)]
    per_account = recent.groupby("account_id")
    ticket_signals = pd.DataFrame({
        "tickets_30": per_account.size(),
        "escalated_30": per_account["escalation_flag"].apply(lambda s: int((s == "True").sum())),
        "ratings_30": per_account["satisfaction_score"].apply(lambda s: [int(float(v)) for v in s if v != ""]),
    })
    subs = subs.join(ticket_signals, on="account_id")
    subs["tickets_30"] = subs["tickets_30"].fillna(0).astype(int)
    subs["escalated_30"] = subs["escalated_30"].fillna(0).astype(int)
    subs["ratings_30"] = subs["ratings_30"].apply(lambda v: v if isinstance(v, list) else [])
    return subs


def reference_rules(row, disabled: frozenset[str] = frozenset()) -> list[tuple[str, int, str]]:
    """The fired rules of one subscription (id, points, reason), in the table's order (docs/scoring.md)."""
    fired = []
    if row.usage_prev > 0:
        drop = Fraction(row.usage_prev - row.usage_30, row.usage_prev)
        pct = half_up(drop * 100)
        for threshold, points in ((Fraction(60, 100), 40), (Fraction(40, 100), 28), (Fraction(20, 100), 12)):
            if drop >= threshold:
                fired.append(("usage_drop", points, f"Usage dropped {pct}% (30d vs prior)"))
                break
    for threshold, points in ((6, 18), (3, 10)):
        if row.tickets_30 >= threshold:
            fired.append(("support_load", points, f"High support load ({row.tickets_30} tickets in 30d)"))
            break
    for threshold, points in ((10, 15), (3, 8)):
        if row.errors_30 >= threshold:
            fired.append(("error_volume", points, f"High error volume ({row.errors_30} errors in 30d)"))
            break
    # churn_intent: RavenStack tickets carry no text, so no text can voice cancellation intent.
    if row.ratings_30:
        rounded = half_up(Fraction(sum(row.ratings_30), len(row.ratings_30)))
        if rounded <= 2:
            fired.append(("satisfaction", 12, "Low satisfaction score (1-2/5)"))
        elif rounded == 3:
            fired.append(("satisfaction", 6, "Medium satisfaction score (3/5)"))
    if row.escalated_30 > 0:
        fired.append(("escalation", 10, "Ticket escalation (higher risk)"))
    if row.downgrade_flag == "True":
        fired.append(("downgrade", 12, "Recent downgrade (value risk)"))
    if row.is_trial == "True":
        fired.append(("trial", 8, "Trial customer (activation risk)"))
    return [rule for rule in fired if rule[0] not in disabled]


def reference_risk(as_of: dt.date = AS_OF, disabled: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Risk score, level, top reasons and actions per subscription id, computed independently."""
    signals = reference_signals(as_of)
    records = {}
    for row in signals.itertuples():
        fired = reference_rules(row, disabled)
        score = min(sum(points for _, points, _ in fired), 100)
        ids = {rule_id for rule_id, _, _ in fired}
        actions = [a for rules, group in ACTION_GROUPS if rules & ids for a in group][:3]
        drop_pct = half_up(Fraction(100 * (row.usage_prev - row.usage_30), row.usage_prev)) if row.usage_prev else 0
        records[row.Index] = {
            "account_id": row.account_id, "plan_tier": row.plan_tier, "arr": row.arr_amount,
            "start_date": row.start_date, "end_date": row.end_date,
            "usage_30d": row.usage_30, "usage_prev30d": row.usage_prev, "errors_30d": row.errors_30,
            "usage_drop_pct": drop_pct, "tickets_30d": row.tickets_30, "rules": [rule_id for rule_id, _, _ in fired],
            "risk_score": score, "risk_level": "High" if score >= 60 else "Medium" if score >= 30 else "Low",
            "top_reasons": "; ".join(reason for _, _, reason in fired[:3]),
            "recommended_actions": "; ".join(actions) or MAINTAIN,
        }
    return pd.DataFrame.from_dict(records, orient="index")


# Fixtures ------------------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return reference_risk()


def export(tmp_path: Path, level: str, *extra: str) -> list[dict[str, str]]:
    """Run export_risk as of 2024-12-31 (with the seed's rules, the preset the published figures come
    from, unless another --config is given) and return its header check and rows."""
    out = tmp_path / f"risk-{level}.csv"
    extra = extra if "--config" in extra else ("--config", "seed-001", *extra)
    call_command("export_risk", "--as-of", AS_OF.isoformat(), "--level", level, "--output", str(out), *extra)
    with out.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert header == COLUMNS
        return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture
def subscription_rows(ravenstack, tmp_path) -> dict[str, dict[str, str]]:
    return {row["customer_id"]: row for row in export(tmp_path, "subscription")}


# Subscription level ----------------------------------------------------------------------------------

def test_the_subscription_export_has_the_spec_columns_and_one_row_per_subscription(ravenstack, tmp_path):
    out = tmp_path / "risk.csv"

    call_command("export_risk", "--as-of", "2024-12-31", "--level", "subscription", "--output", str(out))

    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("customer_id,account_id,account_name,plan_tier,arr,usage_30d,usage_prev30d,usage_drop_pct,"
                        "errors_30d,tickets_30d,churn_intent_30d,risk_score,risk_level,top_reasons,"
                        "recommended_actions,health_score,health_tier")
    rows = list(csv.DictReader(lines))
    assert len(rows) == 5000
    assert {r["customer_id"] for r in rows} == set(read_table("subscriptions")["subscription_id"])
    assert [r["customer_id"] for r in rows] == sorted(r["customer_id"] for r in rows)


def test_a_downgraded_subscription_whose_usage_stopped_is_medium_risk(subscription_rows):
    row = subscription_rows["S-2636a7"]

    assert row["account_id"] == "A-1f7acb"
    assert (row["usage_30d"], row["usage_prev30d"], row["usage_drop_pct"]) == ("0", "8", "100")
    # One unrated, unescalated ticket of its account on 2024-12-05 (T-70987d) fires nothing.
    assert (row["errors_30d"], row["tickets_30d"], row["churn_intent_30d"]) == ("0", "1", "0")
    assert (row["risk_score"], row["risk_level"]) == ("52", "Medium")  # usage_drop 40 + downgrade 12
    assert row["top_reasons"] == "Usage dropped 100% (30d vs prior); Recent downgrade (value risk)"
    assert row["recommended_actions"] == f"{CHECK_IN}; {KEY_FEATURES}; {VALUE_GAP}"


# Hand-checked rows: the raw signals the reference reads from the CSV files (usage last 30 days, prior
# 30 days, errors, the account's tickets, their ratings, escalations, downgrade, trial), then the row.
HAND_CHECKED = {
    # 24 -> 6 is a 75% drop (40), 3 errors (8), trial (8): 56. error_volume has no action group.
    "S-e162d0": ((6, 24, 3, 0, [], 0, "False", "True"), (
        "56", "Medium",
        "Usage dropped 75% (30d vs prior); High error volume (3 errors in 30d); Trial customer (activation risk)",
        f"{CHECK_IN}; {KEY_FEATURES}; Offer guided onboarding session")),
    # 9 -> 6 is a 33.3% drop (12) and 3 errors (8): 20, Low; only the usage actions exist.
    "S-ef2a21": ((6, 9, 3, 0, [], 0, "False", "False"), (
        "20", "Low", "Usage dropped 33% (30d vs prior); High error volume (3 errors in 30d)",
        f"{CHECK_IN}; {KEY_FEATURES}")),
    # 3 errors (8), an escalated ticket rated 4 (10; 4/5 is not low), trial (8): 26.
    "S-9f8593": ((8, 0, 3, 1, [4], 1, "False", "True"), (
        "26", "Low",
        "High error volume (3 errors in 30d); Ticket escalation (higher risk); Trial customer (activation risk)",
        "Confirm resolution plan and close the loop; Escalate repeat issues with a clear timeline; "
        "Offer guided onboarding session")),
    # 3 errors (8), one ticket rated 3 (6), trial (8): 22; trial's actions come before satisfaction's.
    "S-15662a": ((9, 0, 3, 1, [3], 0, "False", "True"), (
        "22", "Low",
        "High error volume (3 errors in 30d); Medium satisfaction score (3/5); Trial customer (activation risk)",
        "Offer guided onboarding session; Share onboarding checklist + milestones; "
        "Follow up on dissatisfaction with a recovery plan")),
    # 16 -> 0 (40), downgrade (12), trial (8): exactly 60 is High; downgrade's actions are fourth and fifth.
    "S-be079b": ((0, 16, 0, 1, [4], 0, "True", "True"), (
        "60", "High",
        "Usage dropped 100% (30d vs prior); Recent downgrade (value risk); Trial customer (activation risk)",
        f"{CHECK_IN}; {KEY_FEATURES}; Offer guided onboarding session")),
    # Tier edges are inclusive: 15 -> 6 is exactly 60% (40 points, Medium at 40) ...
    "S-38ac0c": ((6, 15, 0, 0, [], 0, "False", "False"), (
        "40", "Medium", "Usage dropped 60% (30d vs prior)", f"{CHECK_IN}; {KEY_FEATURES}")),
    # ... 15 -> 9 exactly 40% (28) ...
    "S-4f2ca8": ((9, 15, 0, 0, [], 0, "False", "False"), (
        "28", "Low", "Usage dropped 40% (30d vs prior)", f"{CHECK_IN}; {KEY_FEATURES}")),
    # ... 10 -> 8 exactly 20% (12), plus trial (8); a ticket rated 5 fires nothing.
    "S-0267b7": ((8, 10, 1, 1, [5], 0, "False", "True"), (
        "20", "Low", "Usage dropped 20% (30d vs prior); Trial customer (activation risk)",
        f"{CHECK_IN}; {KEY_FEATURES}; Offer guided onboarding session")),
    # 8 -> 7 is a 12.5% drop: below every tier, shown rounded half up as 13.
    "S-096835": ((7, 8, 0, 1, [4], 0, "False", "True"), (
        "8", "Low", "Trial customer (activation risk)",
        "Offer guided onboarding session; Share onboarding checklist + milestones")),
    # Nothing fired.
    "S-8cec59": ((0, 0, 0, 0, [], 0, "False", "False"), ("0", "Low", "", MAINTAIN)),
}


def test_hand_checked_subscriptions_with_other_rule_mixes(subscription_rows):
    signals = reference_signals(AS_OF)
    for sub_id, (raw, expected) in HAND_CHECKED.items():
        s = signals.loc[sub_id]
        assert (s.usage_30, s.usage_prev, s.errors_30, s.tickets_30, s.ratings_30, s.escalated_30,
                s.downgrade_flag, s.is_trial) == raw, sub_id
        row = subscription_rows[sub_id]
        assert (row["usage_30d"], row["usage_prev30d"], row["errors_30d"], row["tickets_30d"]) == tuple(
            str(v) for v in raw[:4]), sub_id
        assert (row["risk_score"], row["risk_level"], row["top_reasons"], row["recommended_actions"]) == expected, (
            sub_id)
    assert subscription_rows["S-096835"]["usage_drop_pct"] == "13"
    assert subscription_rows["S-e162d0"]["usage_drop_pct"] == "75"
    assert subscription_rows["S-9f8593"]["usage_drop_pct"] == "0"  # no prior usage: no drop


def test_every_subscription_matches_the_reference_implementation(subscription_rows, reference):
    # The book has usage and tickets on the windows' edges, so the comparison checks that both ends of
    # the last 30 days [12-01, 12-31] count and that the prior window is [11-01, 12-01).
    usage_days = set(read_table("feature_usage")["usage_date"])
    assert {"2024-12-31", "2024-12-01", "2024-11-30", "2024-11-01", "2024-10-31"} <= usage_days
    assert "2024-12-01" in set(read_table("support_tickets")["submitted_at"])
    mismatches = []
    for sub_id, ref in reference.iterrows():
        row = subscription_rows[sub_id]
        got = (row["account_id"], row["plan_tier"], row["arr"], int(row["usage_30d"]), int(row["usage_prev30d"]),
               int(row["usage_drop_pct"]), int(row["errors_30d"]), int(row["tickets_30d"]), row["churn_intent_30d"],
               int(row["risk_score"]), row["risk_level"], row["top_reasons"], row["recommended_actions"])
        want = (ref.account_id, ref.plan_tier, ref.arr, ref.usage_30d, ref.usage_prev30d, ref.usage_drop_pct,
                ref.errors_30d, ref.tickets_30d, "0", ref.risk_score, ref.risk_level, ref.top_reasons,
                ref.recommended_actions)
        if got != want:
            mismatches.append((sub_id, got, want))
    assert mismatches == []
    assert reference["risk_level"].value_counts().to_dict() == {"Low": 4266, "Medium": 730, "High": 4}


# Account level ---------------------------------------------------------------------------------------

def active_on(subs: pd.DataFrame, as_of: dt.date) -> pd.Series:
    start = pd.to_datetime(subs["start_date"]).dt.date
    end = pd.to_datetime(subs["end_date"].replace("", None)).dt.date
    return (start <= as_of) & (subs["end_date"].eq("") | (end >= as_of))


def test_each_account_carries_its_riskiest_active_subscription(ravenstack, tmp_path, reference, subscription_rows):
    rows = export(tmp_path, "account")

    accounts = read_table("accounts").set_index("account_id")
    assert len(rows) == 500
    assert [r["customer_id"] for r in rows] == sorted(accounts.index)
    active = reference[active_on(reference, AS_OF)]
    assert active["account_id"].nunique() == 500  # every RavenStack account has a live subscription
    problems = []
    for row in rows:
        account_id = row["customer_id"]
        mine = active[active["account_id"] == account_id]
        top = mine[mine["risk_score"] == mine["risk_score"].max()]
        carried = top[(top["top_reasons"] == row["top_reasons"])
                      & (top["recommended_actions"] == row["recommended_actions"])
                      & (top["usage_30d"] == int(row["usage_30d"]))
                      & (top["usage_prev30d"] == int(row["usage_prev30d"]))
                      & (top["errors_30d"] == int(row["errors_30d"]))]
        expected = (account_id, accounts.at[account_id, "account_name"], accounts.at[account_id, "plan_tier"],
                    str(mine["arr"].astype(int).sum()), int(mine["risk_score"].max()), top["risk_level"].iloc[0])
        got = (row["account_id"], row["account_name"], row["plan_tier"], row["arr"], int(row["risk_score"]),
               row["risk_level"])
        if got != expected or carried.empty:
            problems.append((account_id, got, expected, row["top_reasons"]))
    assert problems == []

    by_account = {r["customer_id"]: r for r in rows}
    a = by_account["A-1f7acb"]  # S-2636a7 (52) is its riskiest live subscription
    assert (a["risk_score"], a["risk_level"], a["usage_30d"], a["usage_prev30d"]) == ("52", "Medium", "0", "8")
    assert a["top_reasons"] == "Usage dropped 100% (30d vs prior); Recent downgrade (value risk)"
    # Health is per account: every subscription row repeats its account's, and the tier matches the score.
    for sub in subscription_rows.values():
        account = by_account[sub["account_id"]]
        assert (sub["health_score"], sub["health_tier"]) == (account["health_score"], account["health_tier"])
    for account in rows:
        score = float(account["health_score"])
        tier = ("Thriving" if score >= 80 else "Healthy" if score >= 60 else "At risk" if score >= 40
                else "High risk" if score >= 20 else "Critical")
        assert account["health_tier"] == tier, account


# --config --------------------------------------------------------------------------------------------

def test_a_config_file_with_a_rule_switched_off_scores_without_it_and_stores_nothing(ravenstack, tmp_path,
                                                                                    subscription_rows):
    from scoring.configs import ensure_active_config

    ensure_active_config()
    stored = list(ScoringConfig.objects.values_list("version", "status", "data", "activated_at"))
    document = preset_config("seed-001")
    next(r for r in document["risk_rules"] if r["id"] == "downgrade")["enabled"] = False
    path = tmp_path / "no-downgrade.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    rows = {r["customer_id"]: r for r in export(tmp_path, "subscription", "--config", str(path))}

    expected = reference_risk(disabled=frozenset({"downgrade"}))
    mismatches = [
        (sub_id, got)
        for sub_id, ref in expected.iterrows()
        if (got := (int(rows[sub_id]["risk_score"]), rows[sub_id]["risk_level"], rows[sub_id]["top_reasons"],
                    rows[sub_id]["recommended_actions"]))
        != (ref.risk_score, ref.risk_level, ref.top_reasons, ref.recommended_actions)
    ]
    assert mismatches == []
    row = rows["S-2636a7"]
    assert (row["risk_score"], row["risk_level"], row["top_reasons"], row["recommended_actions"]) == (
        "40", "Medium", "Usage dropped 100% (30d vs prior)", f"{CHECK_IN}; {KEY_FEATURES}")
    downgraded = set(read_table("subscriptions").query("downgrade_flag == 'True'")["subscription_id"])
    lowered = {s for s in rows if int(rows[s]["risk_score"]) == int(subscription_rows[s]["risk_score"]) - 12}
    unchanged = {s for s in rows if rows[s]["risk_score"] == subscription_rows[s]["risk_score"]}
    assert (len(downgraded), lowered, unchanged) == (218, downgraded, set(rows) - downgraded)
    assert list(ScoringConfig.objects.values_list("version", "status", "data", "activated_at")) == stored
    assert ScoringConfig.objects.get(status=ConfigStatus.ACTIVE).data == default_config()


def test_the_shipped_default_scores_a_subscription_whose_usage_stopped_high(ravenstack, tmp_path):
    """The seed's rules score a 100% drop (8 uses -> 0) with a downgrade Medium (40 + 12); the shipped
    default treats a stop as High on its own (60 + 12, and a weak scorecard may add to it)."""
    rows = {r["customer_id"]: r for r in export(tmp_path, "subscription", "--config", "default")}

    row = rows["S-2636a7"]
    assert row["risk_level"] == "High" and int(row["risk_score"]) >= 72
    assert row["top_reasons"].startswith("Usage dropped 100% (30d vs prior); Recent downgrade (value risk)")


def test_an_unknown_preset_or_unreadable_config_exports_nothing(ravenstack, tmp_path):
    out = tmp_path / "never.csv"

    with pytest.raises(CommandError, match="1 problem"):
        call_command("export_risk", "--as-of", "2024-12-31", "--level", "account", "--output", str(out),
                     "--config", "seed-002")

    assert not out.exists()


def test_a_config_file_that_is_invalid_exports_nothing(ravenstack, tmp_path):
    document = default_config()
    document["risk_levels"] = {"high": 30, "medium": 60}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "never.csv"

    with pytest.raises(CommandError, match="1 problem"):
        call_command("export_risk", "--as-of", "2024-12-31", "--level", "account", "--output", str(out),
                     "--config", str(path))

    assert not out.exists()
