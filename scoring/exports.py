"""The risk export of docs/scoring.md: one row per subscription or per account, fixed columns in order.

The command `export_risk` and the at-risk list's CSV download both write through `write_risk_csv`,
which also neutralises cells a spreadsheet would run as formulas; both are recorded in the audit log
(who exported which filter, how many rows).
"""

import csv
from typing import TextIO

import pandas as pd
from django.db.models import QuerySet

from accounts.audit import audit_export
from accounts.models import Account, User
from scoring.calculations import Scores

COLUMNS: tuple[str, ...] = (
    "customer_id", "account_id", "account_name", "plan_tier", "arr", "usage_30d", "usage_prev30d",
    "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d", "risk_score", "risk_level", "top_reasons",
    "recommended_actions", "health_score", "health_tier",
)
LEVELS = ("subscription", "account")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def risk_rows(scores: Scores, level: str) -> pd.DataFrame:
    """The export's rows, sorted by customer id: every subscription, or every account."""
    accounts = scores.accounts
    if level == "subscription":
        subs = scores.subscriptions[scores.subscriptions["sub_external_id"] != ""]
        frame = pd.DataFrame({
            "customer_id": subs["sub_external_id"],
            "account_id": subs["account_id"].map(accounts["external_id"]),
            "account_name": subs["account_id"].map(accounts["name"]),
            "plan_tier": subs["sub_plan_tier"],
            "arr": subs["arr"],
            "usage_30d": subs["usage_30"], "usage_prev30d": subs["usage_prev"],
            "usage_drop_pct": subs["usage_drop_pct"],
            "errors_30d": subs["errors_30"], "tickets_30d": subs["tickets_30"],
            "churn_intent_30d": subs["churn_intent_30"],
            "risk_score": subs["risk_score"], "risk_level": subs["risk_level"], "top_reasons": subs["top_reasons"],
            "recommended_actions": subs["recommended_actions"],
            "health_score": subs["health_score"], "health_tier": subs["health_tier"],
        })
    elif level == "account":
        frame = pd.DataFrame({
            "customer_id": accounts["external_id"], "account_id": accounts["external_id"],
            "account_name": accounts["name"], "plan_tier": accounts["plan_tier"], "arr": accounts["arr"],
            "usage_30d": accounts["usage_30"], "usage_prev30d": accounts["usage_prev"],
            "usage_drop_pct": accounts["usage_drop_pct"], "errors_30d": accounts["errors_30"],
            "tickets_30d": accounts["tickets_30"], "churn_intent_30d": accounts["churn_intent_30"],
            "risk_score": accounts["risk_score"], "risk_level": accounts["risk_level"],
            "top_reasons": accounts["top_reasons"], "recommended_actions": accounts["recommended_actions"],
            "health_score": accounts["health_score"], "health_tier": accounts["health_tier"],
        })
    else:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    return frame.sort_values("customer_id").reset_index(drop=True)


def _money(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def neutralise(cell: str) -> str:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _cells(rows: pd.DataFrame, column: str) -> list:
    """One column's cells as the CSV writes them: money with at most two decimals, an unscored health as empty,
    text that a spreadsheet would run as a formula neutralised, numbers as they are."""
    values = rows[column].tolist()
    if column == "arr":
        return [_money(v) for v in values]
    if column == "health_score":
        return ["" if pd.isna(v) else f"{v:g}" for v in values]
    if column == "health_tier":
        values = [v or "" for v in values]
    return [neutralise(v) if isinstance(v, str) else v for v in values]


def write_risk_csv(rows: pd.DataFrame, out: TextIO) -> int:
    """Write the export's header and rows, column by column; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(zip(*(_cells(rows, column) for column in COLUMNS), strict=True))
    return len(rows)


# The latest scores' fields of the at-risk list's download, as annotated by scoring.selectors.with_latest_scores.
LIST_SCORES = ("arr", "usage_30d", "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d",
               "churn_intent_30d", "risk_score", "risk_level", "top_reasons", "recommended_actions",
               "health_score", "health_tier")
WHOLE_NUMBERS = ("usage_30d", "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d",
                 "risk_score")


def account_list_export(*, user: User, accounts: QuerySet[Account], filters: dict[str, str], out: TextIO) -> int:
    """The at-risk list as filtered (accounts annotated with their latest scores), one row per account with
    the export's columns (docs/scoring.md); recorded in the audit log with the filters. Returns the number of
    rows."""
    rows = pd.DataFrame.from_records(
        list(accounts.values_list("external_id", "external_id", "name", "plan_tier", *LIST_SCORES)),
        columns=["customer_id", "account_id", "account_name", "plan_tier", *LIST_SCORES])
    rows["arr"] = pd.to_numeric(rows["arr"]).fillna(0.0).astype("float64")
    for column in WHOLE_NUMBERS:  # whole numbers, or empty for an account not scored yet
        rows[column] = pd.Series([None if pd.isna(v) else int(v) for v in rows[column]], dtype=object)
    rows["health_score"] = pd.to_numeric(rows["health_score"]).astype("float64")
    count = write_risk_csv(rows[list(COLUMNS)], out)
    audit_export(user=user, model=Account, what="Account list CSV", filters=filters, rows=count)
    return count


def risk_export(*, scores: Scores, level: str, out: TextIO, filters: dict[str, str]) -> int:
    """`export_risk`: the book's rows at the level, written to `out` and recorded in the audit log (no user:
    an operator ran the command). Returns the number of rows."""
    count = write_risk_csv(risk_rows(scores, level), out)
    audit_export(user=None, model=Account, what=f"Risk export per {level}", filters=filters, rows=count)
    return count
