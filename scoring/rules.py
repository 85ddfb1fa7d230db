"""The churn-risk rules of docs/scoring.md, evaluated for many subscriptions at once.

Input is a DataFrame of signals, one row per subscription (see SIGNAL_COLUMNS); output adds the
risk score, level, top reasons, recommended actions and the fired rules with their evidence.
Every rule is a small function from the signals to (points, reason, evidence) per row, and every
threshold, point value and text comes from the configuration.
"""

from typing import Any

import numpy as np
import pandas as pd

from scoring.config import Config, RiskRule
from scoring.levels import Level

SIGNAL_COLUMNS: tuple[str, ...] = (
    "usage_30", "usage_prev", "errors_30", "tickets_30", "rated_30", "satisfaction_sum_30", "escalated_30",
    "churn_intent_30", "downgrade_flag", "is_trial",
)
# The inputs of the rules beyond the seed's table (scoring.calculations adds them; absent: nothing fires).
EXTRA_SIGNAL_COLUMNS: dict[str, float] = {
    "intent_n": 0, "intent_days": np.nan, "failed_n": 0, "champions_left_n": 0, "silence_days": np.nan,
    "health_measures": np.nan, "trial_peer_share": np.nan, "nps_last": np.nan, "ticket_ratio": np.nan,
}


def half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator rounded half up to a whole number, exactly, for integer inputs."""
    numerator = np.asarray(numerator, dtype=np.int64)
    denominator = np.asarray(denominator, dtype=np.int64)
    safe = np.where(denominator == 0, 1, denominator)
    return np.floor_divide(2 * numerator + safe, 2 * safe)


def usage_drop(signals: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """drop = (prior - last) / prior, 0 when prior is 0; and the drop in whole percent (half up)."""
    prior = signals["usage_prev"].to_numpy(dtype=np.int64)
    last = signals["usage_30"].to_numpy(dtype=np.int64)
    drop = np.where(prior > 0, (prior - last) / np.where(prior > 0, prior, 1), 0.0)
    pct = np.where(prior > 0, half_up(100 * (prior - last), prior), 0)
    return pd.Series(drop, index=signals.index), pd.Series(pct, index=signals.index)


def satisfaction_rounded(signals: pd.DataFrame) -> pd.Series:
    """Mean satisfaction of rated tickets in the last 30 days, rounded half up; NaN when none rated."""
    rated = signals["rated_30"].to_numpy(dtype=np.int64)
    rounded = half_up(signals["satisfaction_sum_30"].to_numpy(dtype=np.int64), rated).astype("float64")
    return pd.Series(np.where(rated > 0, rounded, np.nan), index=signals.index)


def _tiered(rule: RiskRule, value: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Points and index of the tier that fires for each row (-1: none), first matching tier wins."""
    conditions = []
    for tier in rule.tiers:
        if rule.direction == "at_least":
            conditions.append((value >= tier.threshold).fillna(False).to_numpy(dtype=bool))
        elif rule.direction == "at_most" or (rule.direction == "recency" and tier.threshold is not None):
            conditions.append((value <= tier.threshold).fillna(False).to_numpy(dtype=bool))
        elif rule.direction == "recency":  # any day within the rule's look-back
            conditions.append(value.notna().to_numpy())
        else:
            conditions.append(value.astype(bool).to_numpy())
    points = np.select(conditions, [t.points for t in rule.tiers], 0)
    tier_index = np.select(conditions, list(range(len(rule.tiers))), -1)
    return points, tier_index


def error_rate(signals: pd.DataFrame) -> pd.Series:
    """Errors per 1,000 uses in the last 30 days, to one decimal (NaN without usage)."""
    uses = signals["usage_30"].astype("float64")
    return (signals["errors_30"] / uses.where(uses > 0) * 1000).round(1)


def _rule_inputs(signals: pd.DataFrame, config: Config) -> dict[str, tuple[pd.Series, dict[str, pd.Series]]]:
    """For every rule: the value its tiers compare, and the evidence fields its texts may use."""
    if "intent_days" not in signals:  # only the 30-day count is known: those texts are the look-back's
        signals = signals.assign(intent_n=signals["churn_intent_30"],
                                 intent_days=np.where(signals["churn_intent_30"] > 0, 0.0, np.nan))
    for column, empty in EXTRA_SIGNAL_COLUMNS.items():
        if column not in signals:
            signals = signals.assign(**{column: empty})
    drop, pct = usage_drop(signals)
    rounded = satisfaction_rounded(signals)
    rated = signals["rated_30"].replace(0, np.nan)
    mean = (signals["satisfaction_sum_30"] / rated).round(2)
    intent = config.rule("churn_intent")
    intent_days, intent_n = signals["intent_days"], signals["intent_n"]
    days = pd.Series(intent.days, index=signals.index)
    silence = signals["silence_days"]
    rate = error_rate(signals)
    return {
        "usage_drop": (drop, {"pct": pct, "last": signals["usage_30"], "prior": signals["usage_prev"]}),
        "support_load": (signals["tickets_30"], {"n": signals["tickets_30"]}),
        "ticket_spike": (signals["ticket_ratio"], {"n": signals["tickets_30"], "ratio": signals["ticket_ratio"]}),
        "error_volume": (signals["errors_30"], {"n": signals["errors_30"]}),
        "churn_intent": (intent_days.where(intent_days <= intent.days), {"n": intent_n, "days": days}),
        "error_rate": (rate, {"n": signals["errors_30"], "rate": rate,
                                            "uses": signals["usage_30"]}),
        "failed_payment": (signals["failed_n"], {"n": signals["failed_n"],
                                                 "days": pd.Series(config.rule("failed_payment").days,
                                                                   index=signals.index)}),
        "champion_left": (signals["champions_left_n"], {"n": signals["champions_left_n"],
                                                        "days": pd.Series(config.rule("champion_left").days,
                                                                          index=signals.index)}),
        "silence": (silence, {"days": silence.fillna(0).astype("int64")}),
        "low_health": (signals["health_measures"], {"score": signals["health_measures"].round(0)}),
        "trial_adoption": (signals["trial_peer_share"], {"share": signals["trial_peer_share"]}),
        "detractor": (signals["nps_last"], {"nps": signals["nps_last"]}),
        "satisfaction": (rounded, {"mean": mean, "rounded": rounded}),
        "escalation": (signals["escalated_30"] > 0, {"n": signals["escalated_30"]}),
        "downgrade": (signals["downgrade_flag"].astype(bool), {}),
        "trial": (signals["is_trial"].astype(bool), {}),
    }


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar (whole floats become ints)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _share_within_families(points: dict[str, np.ndarray], config: Config) -> dict[str, np.ndarray]:
    """Related rules (one family: say a burst of tickets, their escalation and their poor ratings, all one
    support problem) are not independent evidence: in each family the rule with the most points counts in
    full and every other one that fired adds only `family_share` of its points (half up). Changes `points` in
    place; returns, per rule whose points were shared, the id of the rule that counted in full ("" elsewhere)."""
    beside: dict[str, np.ndarray] = {}
    for family in config.families:
        fired = [rule_id for rule_id in family if rule_id in points]
        if len(fired) < 2 or config.family_share == 1:
            continue
        stack = np.vstack([points[rule_id] for rule_id in fired])
        strongest = np.argmax(stack, axis=0)  # the first of equals keeps its points
        names = np.array(fired, dtype=object)[strongest]
        for k, rule_id in enumerate(fired):
            shared = np.floor(stack[k] * config.family_share + 0.5).astype(np.int64)
            lowered = (strongest != k) & (stack[k] > 0)
            points[rule_id] = np.where(lowered, shared, stack[k])
            beside[rule_id] = np.where(lowered, names, "")
    return beside


def evaluate_rules(signals: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Risk score, level, reasons, actions and fired rules for every row of `signals`."""
    n = len(signals)
    total = np.zeros(n, dtype=np.int64)
    fired: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    inputs = _rule_inputs(signals, config)
    extra_evidence = signals["intent_evidence"].tolist() if "intent_evidence" in signals else [None] * n
    enabled = [rule for rule in config.rules if rule.enabled]
    tiered = {rule.id: _tiered(rule, inputs[rule.id][0]) for rule in enabled}
    points = {rule_id: pts for rule_id, (pts, _) in tiered.items()}
    beside = _share_within_families(points, config)
    for rule in enabled:
        value, fields = inputs[rule.id]
        tier_index = tiered[rule.id][1]
        rule_points = points[rule.id]
        total += rule_points
        rows = np.flatnonzero(tier_index >= 0)
        # The evidence of every row that fired, a column at a time, as plain Python values.
        columns = {name: [_plain(v) for v in series.to_numpy()[rows].tolist()] for name, series in fields.items()}
        drops = ([round(v, 4) for v in value.to_numpy(dtype="float64")[rows].tolist()] if rule.id == "usage_drop"
                 else None)
        tiers = rule.tiers
        for k, row in enumerate(rows.tolist()):
            evidence = {name: column[k] for name, column in columns.items()}
            reason = tiers[tier_index[row]].reason.format(**evidence)
            if rule.id == "churn_intent" and extra_evidence[row]:
                evidence["items"] = extra_evidence[row]
            if drops is not None:  # the share next to the percentage it was rounded to
                evidence = {"pct": evidence.pop("pct"), "drop": drops[k], **evidence}
            if rule.id in beside and beside[rule.id][row]:  # counted in part: one problem with a stronger rule
                evidence["shared_with"] = beside[rule.id][row]
            fired[row].append({"rule": rule.id, "points": int(rule_points[row]), "reason": reason,
                               "evidence": evidence})
    score = np.minimum(total, 100)
    level = np.where(score >= config.high, Level.HIGH, np.where(score >= config.medium, Level.MEDIUM, Level.LOW))
    reasons = ["; ".join(f["reason"] for f in rules[:3]) for rules in fired]
    by_fired: dict[frozenset[str], str] = {}  # a book has a few dozen combinations of fired rules, not one per account
    actions = []
    for rules in fired:
        ids = frozenset(f["rule"] for f in rules)
        if ids not in by_fired:
            by_fired[ids] = recommended_actions(ids, config)
        actions.append(by_fired[ids])
    return pd.DataFrame(
        {"risk_score": score, "risk_level": level, "top_reasons": reasons, "recommended_actions": actions,
         "fired_rules": fired},
        index=signals.index,
    )


def recommended_actions(fired_ids: set[str] | frozenset[str], config: Config) -> str:
    """The first three actions of the fired rules' action groups, in the configured order."""
    actions: list[str] = []
    for group in config.action_groups:
        if fired_ids.intersection(group.rules):
            actions.extend(group.actions)
    return "; ".join(actions[:3]) if actions else config.default_action
