"""The scoring configuration (docs/scoring.md): its default, its validation and its typed, parsed form.

A configuration is plain JSON so that it can be stored, diffed, exported and imported as it is:

    {"risk_rules": [{"id": "usage_drop", "enabled": true, "tiers": [...], "actions": [...]}, ...],
     "risk_levels": {"high": 60, "medium": 30},
     "action_groups": [{"rules": ["usage_drop"], "actions": [...]}, ...], "default_action": "...",
     "health": {"measures": [...], "tiers": [...], "trend": {...}},
     "alerts": {"critical_drop": {"enabled": true, "below": 20}, ...}}

`validate_config` checks a document completely against the pydantic models below (_Document) and returns
every problem as a readable sentence that says where it is; `parse_config` turns a valid document into
frozen dataclasses that the engine reads.
"""

import copy
import json
import math
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from healthcs.errors import DomainError
from scoring.levels import RISK_LEVELS

# Risk rules (docs/scoring.md), in the table's order. The direction says how a tier's threshold compares
# with the rule's measured value: "at_least" fires when value >= threshold, "at_most" when
# value <= threshold, "flag" when the condition holds (no threshold).
RULE_DIRECTIONS: dict[str, str] = {
    "usage_drop": "at_least",
    "support_load": "at_least",
    "error_volume": "at_least",
    # Tiers compare the days since the latest text that voiced it; a tier without a threshold fires for
    # any such text within the rule's "days".
    "churn_intent": "recency",
    "satisfaction": "at_most",
    "escalation": "flag",
    "downgrade": "flag",
    "trial": "flag",
    # Rules beyond the seed's table (docs/scoring.md: thresholds that fit the book). A document written before
    # they existed leaves them out, and a rule left out is off.
    "error_rate": "at_least",
    "failed_payment": "at_least",
    "champion_left": "at_least",
    "silence": "at_least",
    "low_health": "at_most",  # the health scorecard's own score (before any cap), when it is weak
    "trial_adoption": "at_least",  # a trial's share of paying peers (same segment) that use more per seat
    "detractor": "at_most",  # the latest NPS answer of the last 180 days
    "ticket_spike": "at_least",  # tickets of the last 30 days against the account's usual 30 days
}
SEED_RULES: tuple[str, ...] = (
    "usage_drop", "support_load", "error_volume", "churn_intent", "satisfaction", "escalation", "downgrade", "trial",
)
# Rules that look back a configurable number of days ("days" on the rule; these when absent), read
# from per-item rows fetched over at most RULE_LOOKBACK_DAYS.
RULE_DAYS: dict[str, int] = {"churn_intent": 30, "failed_payment": 60, "champion_left": 90}
RULE_LOOKBACK_DAYS = 180
RULE_IDS: tuple[str, ...] = tuple(RULE_DIRECTIONS)
# What people call each rule on the pages (dashboards, Score accuracy); its reasons say more.
RULE_LABELS: dict[str, str] = {
    "usage_drop": "Usage drop", "support_load": "High support load", "error_volume": "High error volume",
    "churn_intent": "Cancellation language", "satisfaction": "Low satisfaction", "escalation": "Ticket escalation",
    "downgrade": "Recent downgrade", "trial": "Trial customer", "error_rate": "High error rate",
    "failed_payment": "Failed payment", "champion_left": "Champion left", "silence": "No contact",
    "low_health": "Weak health", "trial_adoption": "Trial behind its peers", "detractor": "NPS detractor",
    "ticket_spike": "Ticket spike",
}
# Placeholders each rule's reason text may use.
RULE_PLACEHOLDERS: dict[str, set[str]] = {
    "usage_drop": {"pct", "last", "prior"},
    "support_load": {"n"},
    "error_volume": {"n"},
    "churn_intent": {"n", "days"},
    "satisfaction": {"mean", "rounded"},
    "escalation": {"n"},
    "downgrade": set(),
    "trial": set(),
    "error_rate": {"n", "rate", "uses"},
    "failed_payment": {"n", "days"},
    "champion_left": {"n", "days"},
    "silence": {"days"},
    "low_health": {"score"},
    "trial_adoption": {"share"},
    "detractor": {"nps"},
    "ticket_spike": {"n", "ratio"},
}

MEASURE_GROUPS: tuple[str, ...] = ("usage", "engagement", "business", "relationship")
# Every health measure the engine knows (scoring/measures.py), with its group.
MEASURE_IDS: dict[str, str] = {
    "daily_active_rate": "usage",
    "feature_adoption_depth": "usage",
    "usage_trend_30d": "usage",
    "plan_utilisation": "usage",
    "support_sentiment": "engagement",
    "feature_request_activity": "engagement",
    "community_participation": "engagement",
    "onboarding_completion": "engagement",
    "documentation_engagement": "engagement",
    "payment_health": "business",
    "contract_trend": "business",
    "team_adoption": "business",
    "integration_health": "business",
    "csm_interactions": "relationship",
    "executive_engagement": "relationship",
    "referral_likelihood": "relationship",
    "case_study_participation": "relationship",
}
PERCENTILE_GROUPS: tuple[str, ...] = ("plan_tier", "segment")
ALERT_TYPES: tuple[str, ...] = (
    "critical_drop", "usage_cliff", "failed_payment", "core_feature_unused", "champion_left",
    "silent_account", "renewal_risk",
)

SEED_CONFIG: dict[str, Any] = {
    "risk_rules": [
        {"id": "usage_drop", "enabled": True, "tiers": [
            {"threshold": 0.60, "points": 40, "reason": "Usage dropped {pct}% (30d vs prior)"},
            {"threshold": 0.40, "points": 28, "reason": "Usage dropped {pct}% (30d vs prior)"},
            {"threshold": 0.20, "points": 12, "reason": "Usage dropped {pct}% (30d vs prior)"},
        ]},
        {"id": "support_load", "enabled": True, "tiers": [
            {"threshold": 6, "points": 18, "reason": "High support load ({n} tickets in 30d)"},
            {"threshold": 3, "points": 10, "reason": "High support load ({n} tickets in 30d)"},
        ]},
        {"id": "error_volume", "enabled": True, "tiers": [
            {"threshold": 10, "points": 15, "reason": "High error volume ({n} errors in 30d)"},
            {"threshold": 3, "points": 8, "reason": "High error volume ({n} errors in 30d)"},
        ]},
        {"id": "churn_intent", "enabled": True, "tiers": [
            {"points": 22, "reason": "Customer language suggests cancellation risk"},
        ]},
        {"id": "satisfaction", "enabled": True, "tiers": [
            {"threshold": 2, "points": 12, "reason": "Low satisfaction score (1-2/5)"},
            {"threshold": 3, "points": 6, "reason": "Medium satisfaction score (3/5)"},
        ]},
        {"id": "escalation", "enabled": True, "tiers": [
            {"points": 10, "reason": "Ticket escalation (higher risk)"},
        ]},
        {"id": "downgrade", "enabled": True, "tiers": [
            {"points": 12, "reason": "Recent downgrade (value risk)"},
        ]},
        {"id": "trial", "enabled": True, "tiers": [
            {"points": 8, "reason": "Trial customer (activation risk)"},
        ]},
    ],
    "risk_levels": {"high": 60, "medium": 30},
    "action_groups": [
        {"rules": ["usage_drop"], "actions": [
            "Schedule a check-in to reset goals", "Recommend 1-2 key features to activate this week"]},
        {"rules": ["support_load", "escalation"], "actions": [
            "Confirm resolution plan and close the loop", "Escalate repeat issues with a clear timeline"]},
        {"rules": ["churn_intent"], "actions": [
            "Offer a value review (ROI + quick wins)", "Create a 2-week success plan with milestones"]},
        {"rules": ["trial"], "actions": [
            "Offer guided onboarding session", "Share onboarding checklist + milestones"]},
        {"rules": ["satisfaction"], "actions": [
            "Follow up on dissatisfaction with a recovery plan", "Offer proactive support for the next 7 days"]},
        {"rules": ["downgrade"], "actions": [
            "Run a value-gap call to understand missing needs", "Offer training or enablement for key workflows"]},
    ],
    "default_action": "Maintain regular touchpoints and monitor health signals",
    "health": {
        "measures": [
            # Usage 40
            {"id": "daily_active_rate", "weight": 15, "normalisation": {"method": "linear", "bad": 0.3, "good": 0.9}},
            {"id": "feature_adoption_depth", "weight": 10, "normalisation": {"method": "linear", "bad": 1, "good": 6}},
            {"id": "usage_trend_30d", "weight": 10, "normalisation": {"method": "linear", "bad": 0.5, "good": 1.05}},
            {"id": "plan_utilisation", "weight": 5, "normalisation": {"method": "linear", "bad": 0.3, "good": 0.85}},
            # Engagement 30
            {"id": "support_sentiment", "weight": 10,
             "normalisation": {"method": "linear", "bad": 0.25, "good": 0.875}},
            {"id": "feature_request_activity", "weight": 8,
             "normalisation": {"method": "linear", "bad": 0, "good": 2}},
            {"id": "community_participation", "weight": 5,
             "normalisation": {"method": "linear", "bad": 0, "good": 2}},
            {"id": "onboarding_completion", "weight": 4, "normalisation": {"method": "linear", "bad": 40, "good": 100}},
            {"id": "documentation_engagement", "weight": 3,
             "normalisation": {"method": "linear", "bad": 0, "good": 4}},
            # Business 20
            {"id": "payment_health", "weight": 8, "normalisation": {"method": "linear", "bad": 0.5, "good": 1.0}},
            {"id": "contract_trend", "weight": 6, "normalisation": {"method": "linear", "bad": -1, "good": 1}},
            {"id": "team_adoption", "weight": 4, "normalisation": {"method": "linear", "bad": 0.2, "good": 0.8}},
            {"id": "integration_health", "weight": 2,
             "normalisation": {"method": "linear", "bad": 0.9, "good": 0.995}},
            # Relationship 10
            {"id": "csm_interactions", "weight": 4, "normalisation": {"method": "linear", "bad": 0, "good": 3}},
            {"id": "executive_engagement", "weight": 3, "normalisation": {"method": "linear", "bad": 0, "good": 1}},
            {"id": "referral_likelihood", "weight": 2, "normalisation": {"method": "linear", "bad": 4, "good": 9}},
            {"id": "case_study_participation", "weight": 1,
             "normalisation": {"method": "linear", "bad": 0, "good": 1}},
        ],
        "tiers": [
            {"name": "Thriving", "min": 80},
            {"name": "Healthy", "min": 60},
            {"name": "At risk", "min": 40},
            {"name": "High risk", "min": 20},
            {"name": "Critical", "min": 0},
        ],
        "trend": {"days": 30, "stable_band": 5},
    },
    "alerts": {
        "critical_drop": {"enabled": True, "below": 20},
        "usage_cliff": {"enabled": True, "drop": 0.5, "days": 3},
        "failed_payment": {"enabled": True, "days": 30},
        "core_feature_unused": {"enabled": True, "days": 7, "features": [], "min_active_share": 0.5},
        "champion_left": {"enabled": True, "days": 30},
        "silent_account": {"enabled": True, "days": 60},
        "renewal_risk": {"enabled": True, "days": 60, "levels": ["High", "Medium"]},
    },
}


def _fitted(seed: dict[str, Any]) -> dict[str, Any]:
    """The shipped default: the seed's rules and weights with thresholds that fit any book (docs/scoring.md).

    Where it departs from the seed, and why (found on books the seed's rules were not written for):
    - written intent to leave is looked for over 90 days and is Medium on its own, High within 30 days
      (22 points under a Medium line of 30 never flagged an account that only said it was leaving);
    - a usage drop of 90% or more (a customer who stopped) is High on its own;
    - error counts are read per 1,000 uses (a book with thousands of uses a day had "High error volume"
      on nearly every account) and tickets against the account's own usual rate (a ticket spike; the seed's
      absolute support load is off): large customers write many tickets every month and new ones while they
      go live, and one-off integration hiccups and go-live bursts were most false alarms, so neither
      reaches Medium alone;
    - Medium starts at 35, not 30: a rule meant to warn on its own carries at least 35 points, and two weak
      signs together (a moderate drop and three tickets in the month) are not yet a warning;
    - failed payments (unless a later payment succeeded), a champion who left (unless another one is
      active) and long silence enter the risk score (such churners were never flagged): failed payments,
      a champion who left and 90 days of silence are Medium on their own, 45-89 days of silence supports;
    - a weak health scorecard (the measures' score, before the cap below) adds points (30 at 25 or less,
      15 at 40 or less): the verdict hears what the scorecard says;
    - related rules are one piece of evidence, not several: within a family (support: tickets, escalations,
      ratings, errors; relationship: silence, a champion who left, a detractor) the strongest rule counts in
      full and each other one adds half its points, so one support problem never reads as three
      (furious-but-loyal customers and large accounts' ticket volume were false alarms that way);
    - a trial used less per seat than 95% of the paying customers of its segment is Medium on its own (with
      the seed's trial points): trials convert on adoption, and peers set the bar in any book; a detractor's
      latest NPS (0-4) and 45 days without contact add supporting points, never Medium alone;
    - mild versions of common signs do not count: a mean ticket rating of 3 of 5, an NPS of 5-6 and tickets
      at twice the usual rate happen to most healthy customers in a quarter (on held-out books each fired for
      one stayer in ten at no higher churn than the book's), and points for them only ranked the quiet
      churners below noisy stayers; the seed's lowest satisfaction tier is therefore dropped;
    - health: activities whose absence is normal (feature requests, community, documentation, case
      studies, executive meetings) score neutral (50) at zero instead of 0, and the health score is capped
      by the churn-risk level and by 100 - risk score, so that the scorecard never reads Healthy beside
      High risk and the riskiest accounts reach Critical (one voice).
    """
    config = copy.deepcopy(seed)
    rules = {rule["id"]: rule for rule in config["risk_rules"]}
    drop = "Usage dropped {pct}% (30d vs prior)"
    rules["usage_drop"]["tiers"] = [{"threshold": 0.90, "points": 60, "reason": drop}] + rules["usage_drop"]["tiers"]
    rules["support_load"]["enabled"] = False
    rules["error_volume"]["enabled"] = False
    intent = "Customer language suggests cancellation risk ({n} in {days}d)"
    rules["satisfaction"]["tiers"] = [t for t in rules["satisfaction"]["tiers"] if t["threshold"] <= 2]
    rules["churn_intent"].update(days=90, tiers=[
        {"threshold": 30, "points": 60, "reason": intent}, {"threshold": 90, "points": 40, "reason": intent}])
    errors = "High error rate ({rate} errors per 1,000 uses in 30d)"
    spike = "Support tickets up ({n} in 30d, {ratio}x the usual)"
    trial = "Trial barely used: {share}% of paying customers in its segment use more per seat"
    config["risk_rules"] += [
        {"id": "error_rate", "enabled": True, "tiers": [
            {"threshold": 100, "points": 15, "reason": errors}, {"threshold": 30, "points": 8, "reason": errors}]},
        {"id": "failed_payment", "enabled": True, "days": 60, "tiers": [
            {"threshold": 2, "points": 45, "reason": "Failed payments ({n} invoices in {days}d)"},
            {"threshold": 1, "points": 35, "reason": "Failed payment ({n} invoice in {days}d)"}]},
        {"id": "champion_left", "enabled": True, "days": 90, "tiers": [
            {"threshold": 1, "points": 35, "reason": "Champion left ({n} in {days}d)"}]},
        {"id": "silence", "enabled": True, "tiers": [
            {"threshold": 90, "points": 40, "reason": "No contact for {days} days"},
            {"threshold": 60, "points": 30, "reason": "No contact for {days} days"},
            {"threshold": 45, "points": 15, "reason": "No contact for {days} days"}]},
        {"id": "low_health", "enabled": True, "tiers": [
            {"threshold": 25, "points": 30, "reason": "Weak health scorecard ({score}/100)"},
            {"threshold": 40, "points": 15, "reason": "Weak health scorecard ({score}/100)"}]},
        {"id": "trial_adoption", "enabled": True, "tiers": [
            {"threshold": 95, "points": 35, "reason": trial},
            {"threshold": 85, "points": 15, "reason": trial}]},
        {"id": "detractor", "enabled": True, "tiers": [
            {"threshold": 4, "points": 15, "reason": "Detractor: latest NPS {nps}/10"}]},
        {"id": "ticket_spike", "enabled": True, "tiers": [
            {"threshold": 3, "points": 10, "reason": spike}]},
    ]
    next(g for g in config["action_groups"] if g["rules"] == ["support_load", "escalation"])["rules"].append(
        "ticket_spike")
    config["action_groups"] += [
        {"rules": ["failed_payment"], "actions": [
            "Call the billing contact and agree a payment plan", "Check whether budget or value is the issue"]},
        {"rules": ["champion_left", "silence"], "actions": [
            "Find and meet the new champion or sponsor", "Re-introduce the team and agree a success plan"]},
        {"rules": ["error_rate"], "actions": [
            "Confirm resolution plan and close the loop", "Escalate repeat issues with a clear timeline"]},
        {"rules": ["trial_adoption"], "actions": [
            "Run a hands-on session with the trial's users this week",
            "Agree the trial's success criteria with the buyer"]},
        {"rules": ["detractor"], "actions": [
            "Call the detractor to hear what went wrong", "Close the loop on their feedback with a dated plan"]},
        {"rules": ["low_health"], "actions": [
            "Walk through the weakest measures with the customer", "Agree an adoption plan for the next 30 days"]},
    ]
    neutral_at_zero = {"feature_request_activity": 2, "community_participation": 2, "documentation_engagement": 4,
                       "executive_engagement": 1, "case_study_participation": 1}
    for measure in config["health"]["measures"]:
        if measure["id"] in neutral_at_zero:
            good = neutral_at_zero[measure["id"]]
            measure["normalisation"] = {"method": "linear", "bad": -good, "good": good}
    config["risk_levels"] = {"high": 60, "medium": 35}
    config["rule_families"] = {
        "support": ["ticket_spike", "support_load", "escalation", "satisfaction", "error_rate", "error_volume"],
        "relationship": ["silence", "champion_left", "detractor"],
    }
    config["family_share"] = 0.5
    config["health"]["risk_caps"] = {"High": 39, "Medium": 59}
    config["health"]["cap_by_risk_score"] = True
    return config


DEFAULT_CONFIG: dict[str, Any] = _fitted(SEED_CONFIG)
# Named configurations an admin or a command can start from (`--config seed-001`).
PRESETS: dict[str, dict[str, Any]] = {"default": DEFAULT_CONFIG, "seed-001": SEED_CONFIG}
TIER_NAMES: tuple[str, ...] = tuple(t["name"] for t in DEFAULT_CONFIG["health"]["tiers"])


def default_config() -> dict[str, Any]:
    """A fresh copy of the default configuration (docs/scoring.md-§2d)."""
    return copy.deepcopy(DEFAULT_CONFIG)


def preset_config(name: str) -> dict[str, Any]:
    """A fresh copy of a named preset; KeyError names the known ones."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(PRESETS)})")
    return copy.deepcopy(PRESETS[name])


@dataclass(frozen=True)
class RuleTier:
    threshold: float | None
    points: int
    reason: str


@dataclass(frozen=True)
class RiskRule:
    id: str
    enabled: bool
    tiers: tuple[RuleTier, ...]
    days: int = 30  # the look-back of the rules in RULE_DAYS

    @property
    def direction(self) -> str:
        return RULE_DIRECTIONS[self.id]


@dataclass(frozen=True)
class ActionGroup:
    rules: tuple[str, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Normalisation:
    method: str  # "linear" or "percentile"
    bad: float | None = None
    good: float | None = None
    within: str | None = None


@dataclass(frozen=True)
class MeasureConfig:
    id: str
    group: str
    weight: float
    normalisation: Normalisation


@dataclass(frozen=True)
class HealthTier:
    name: str
    min: float


@dataclass(frozen=True)
class Config:
    """A validated scoring configuration, ready for the engine."""

    rules: tuple[RiskRule, ...]
    high: int
    medium: int
    action_groups: tuple[ActionGroup, ...]
    default_action: str
    measures: tuple[MeasureConfig, ...]
    tiers: tuple[HealthTier, ...]
    trend_days: int
    trend_stable_band: float
    alerts: dict[str, dict[str, Any]]
    risk_caps: dict[str, float] = field(default_factory=dict)  # risk level -> highest health score it allows
    cap_by_risk_score: bool = False  # health may not exceed 100 - risk score either
    # Families of related rules: beyond the strongest rule of a family, each fired one adds family_share
    # of its points (scoring.rules._share_within_families). None in the seed's preset: points simply add.
    families: tuple[tuple[str, ...], ...] = ()
    family_share: float = 1.0

    def rule(self, rule_id: str) -> RiskRule:
        return next(r for r in self.rules if r.id == rule_id)


class ConfigError(DomainError):
    """A configuration document that cannot be used; `problems` lists every reason (the message joins them)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# Validation: the document's shape and rules declared as pydantic models ---------------------------------------
# Types and bounds sit on the fields; what a refused field means to an admin is in PROBLEMS (by the field's
# path); the rules across fields (a rule's tiers, the tiers' order, ...) are the models' validators, which
# name where the problem is themselves.


class _Problems(ValueError):
    """What a validator found: sentences that name where they are, or (`here`) that the field's path
    should introduce; `locs`, when given, the path of each within the validated object (for the form
    that shows each problem beside its field)."""

    def __init__(self, problems: list[str], here: bool = False, locs: list[tuple] | None = None):
        super().__init__("; ".join(problems))
        self.problems, self.here, self.locs = problems, here, locs


def _refuse(problems: list[str], here: bool = False, locs: list[tuple] | None = None) -> None:
    if problems:
        raise _Problems(problems, here, locs)


def _finite_number(value: Any) -> Any:
    """A finite JSON number (not a boolean, not NaN or infinity), as it was written (an int stays an int)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[int | float, BeforeValidator(_finite_number)]
RuleId = Literal[RULE_IDS]  # type: ignore[valid-type]
RiskLevel = Literal[tuple(RISK_LEVELS)]  # type: ignore[valid-type]


def _placeholders(text: str) -> set[str] | None:
    """The {names} a text uses, or None when it is not a valid format string."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def _reason(text: str) -> str:
    if not text.strip() or _placeholders(text) is None:
        raise ValueError("must be a non-empty text with valid {placeholders}")
    return text


class _Tier(BaseModel):
    threshold: Annotated[Number, Field(ge=0)] | None = None
    points: Annotated[StrictInt, Field(ge=1), Field(le=100)]
    reason: Annotated[StrictStr, AfterValidator(_reason)]


class _Rule(BaseModel):
    id: RuleId
    enabled: StrictBool
    tiers: Annotated[list[_Tier], Field(min_length=1)]
    days: Annotated[StrictInt, Field(ge=1), Field(le=RULE_LOOKBACK_DAYS)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _an_object_with_a_known_id(cls, rule: Any) -> Any:
        if not isinstance(rule, dict):
            _refuse(["must be an object with 'id' and 'enabled'"], here=True)
        if not isinstance(rule.get("id"), str) or rule["id"] not in RULE_DIRECTIONS:
            _refuse([f"unknown rule id {rule.get('id')!r} (known: {', '.join(RULE_IDS)})"], here=True)
        return rule

    @model_validator(mode="after")
    def _tiers_fit_the_rule(self) -> "_Rule":
        where, direction = f"risk rule '{self.id}'", RULE_DIRECTIONS[self.id]
        problems = []
        if direction == "flag" and len(self.tiers) != 1:
            problems.append(f"{where}: a yes/no rule has exactly one tier")
        if self.days is not None and self.id not in RULE_DAYS:
            problems.append(f"{where}: 'days' is only for the rules {', '.join(RULE_DAYS)}")
        allowed = RULE_PLACEHOLDERS[self.id]
        thresholds, locs = [], [()] * len(problems)  # where each problem is within the rule
        for number, tier in enumerate(self.tiers, 1):
            names = _placeholders(tier.reason)
            if names - allowed:
                shown = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
                problems.append(f"{where}, tier {number}: unknown placeholder "
                                f"{', '.join(sorted(names - allowed))} (allowed: {shown})")
                locs.append(("tiers", number - 1, "reason"))
            else:
                try:
                    tier.reason.format(**{name: 1 for name in names})
                except (ValueError, TypeError, IndexError, KeyError) as error:
                    problems.append(f"{where}, tier {number}: reason cannot be filled in ({error})")
                    locs.append(("tiers", number - 1, "reason"))
            if direction == "flag":
                continue
            if tier.threshold is None:
                if direction != "recency":
                    problems.append(f"{where}, tier {number}: threshold must be a number >= 0")
                    locs.append(("tiers", number - 1, "threshold"))
                elif number != len(self.tiers):
                    problems.append(f"{where}, tier {number}: only the last tier may leave out its threshold (days)")
                    locs.append(("tiers", number - 1, "threshold"))
                continue
            thresholds.append(tier.threshold)
        pairs = list(zip(thresholds, thresholds[1:], strict=False))
        if direction == "at_least" and any(a <= b for a, b in pairs):
            problems.append(f"{where}: thresholds overlap; list them from the highest to the lowest, each lower "
                            f"than the one before (got {thresholds})")
        if direction in ("at_most", "recency") and any(a >= b for a, b in pairs):
            problems.append(f"{where}: thresholds overlap; list them from the lowest to the highest, each higher "
                            f"than the one before (got {thresholds})")
        _refuse(problems, locs=locs + [()] * (len(problems) - len(locs)))
        return self


def _every_rule_once(rules: list[_Rule]) -> list[_Rule]:
    ids = [rule.id for rule in rules]
    _refuse([f"risk rule '{rule_id}' is listed twice" for rule_id in sorted({i for i in ids if ids.count(i) > 1})]
            + [f"risk rule '{rule_id}' is missing (switch it off with \"enabled\": false instead)"
               for rule_id in SEED_RULES if rule_id not in ids])
    return rules


class _RiskLevels(BaseModel):
    high: Number
    medium: Number

    @model_validator(mode="after")
    def _in_order(self) -> "_RiskLevels":
        if not 0 < self.medium < self.high <= 100:
            _refuse([f"risk_levels overlap: need 0 < medium < high <= 100 (got medium {self.medium}, "
                     f"high {self.high})"])
        return self


NonBlankText = Annotated[StrictStr, StringConstraints(pattern=r"\S")]


class _ActionGroup(BaseModel):
    rules: list[RuleId]
    actions: Annotated[list[NonBlankText], Field(min_length=1)]


class _Linear(BaseModel):
    method: Literal["linear"]
    bad: Number
    good: Number

    @model_validator(mode="after")
    def _two_different_numbers(self) -> "_Linear":
        if self.bad == self.good:
            raise ValueError("'bad' and 'good' are the same number")
        return self


class _Percentile(BaseModel):
    method: Literal["percentile"]
    within: Literal[PERCENTILE_GROUPS]  # type: ignore[valid-type]


class _Measure(BaseModel):
    id: str
    weight: Annotated[Number, Field(gt=0)]
    normalisation: Annotated[_Linear | _Percentile, Field(discriminator="method")]

    @model_validator(mode="before")
    @classmethod
    def _a_known_measure(cls, measure: Any) -> Any:
        got = measure.get("id") if isinstance(measure, dict) else measure
        if not isinstance(got, str) or got not in MEASURE_IDS:
            _refuse([f"unknown measure id {got!r} (known: {', '.join(MEASURE_IDS)})"], here=True)
        return measure


def _every_measure_once(measures: list[_Measure]) -> list[_Measure]:
    ids = [measure.id for measure in measures]
    _refuse([f"measure '{i}': listed twice" for n, i in enumerate(ids) if i in ids[:n]])
    return measures


class _HealthTier(BaseModel):
    name: Any
    min: Annotated[Number, Field(ge=0), Field(le=100)]


def _tiers_in_order(tiers: list[_HealthTier]) -> list[_HealthTier]:
    mins = [tier.min for tier in tiers]
    if any(a <= b for a, b in zip(mins, mins[1:], strict=False)) or mins[-1] != 0:
        _refuse([f"health.tiers: thresholds overlap; each tier's minimum must be lower than the one before and "
                 f"Critical's must be 0 (got {mins})"])
    return tiers


def _five_tiers(tiers: Any) -> Any:
    if not isinstance(tiers, list) or [t.get("name") if isinstance(t, dict) else None for t in tiers] != list(
            TIER_NAMES):
        _refuse([f"health.tiers must list the five tiers in order: {', '.join(TIER_NAMES)}"])
    return tiers


class _Trend(BaseModel):
    days: Annotated[StrictInt, Field(ge=1)]
    stable_band: Annotated[Number, Field(ge=0)]


class _Health(BaseModel):
    measures: Annotated[list[_Measure], Field(min_length=1), AfterValidator(_every_measure_once)]
    tiers: Annotated[list[_HealthTier], BeforeValidator(_five_tiers), AfterValidator(_tiers_in_order)]
    trend: _Trend
    risk_caps: dict[RiskLevel, Annotated[Number, Field(ge=0), Field(le=100)]] = {}
    cap_by_risk_score: StrictBool = False


class _Alert(BaseModel):
    enabled: StrictBool
    days: Annotated[Number, Field(gt=0)] | None = None
    below: Annotated[Number, Field(gt=0)] | None = None
    drop: Annotated[Number, Field(gt=0), Field(le=1)] | None = None
    min_active_share: Annotated[Number, Field(gt=0), Field(le=1)] | None = None
    levels: list[RiskLevel] | None = None
    features: list[StrictStr] | None = None


# The figures an alert may hold (its switch and its lists are not figures): what the editor's form shows.
ALERT_FIGURES: tuple[str, ...] = tuple(name for name in _Alert.model_fields
                                       if name not in ("enabled", "levels", "features"))


class _CoreFeatureUnused(_Alert):
    @model_validator(mode="after")
    def _a_month_at_most(self) -> "_CoreFeatureUnused":
        if self.days is not None and self.days > 30:
            _refuse(["alert 'core_feature_unused': days must be at most 30"])
        return self


class _UsageCliff(_Alert):
    days: Annotated[StrictInt, Field(ge=1), Field(le=14)] | None = None


class _Alerts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    critical_drop: _Alert
    usage_cliff: _UsageCliff
    failed_payment: _Alert
    core_feature_unused: _CoreFeatureUnused
    champion_left: _Alert
    silent_account: _Alert
    renewal_risk: _Alert


def _families(families: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each family's rules are known rules, and a rule is in one family at most."""
    problems, seen = [], set()
    for name, rules in families.items():
        for rule_id in rules:
            if not isinstance(rule_id, str) or rule_id not in RULE_DIRECTIONS:
                problems.append(f"rule_families '{name}': unknown rule id {rule_id!r}")
            elif rule_id in seen:
                problems.append(f"rule_families '{name}': rule '{rule_id}' is listed more than once")
            else:
                seen.add(rule_id)
    _refuse(problems)
    return families


class _Document(BaseModel):
    """A whole configuration document (docs/scoring.md)."""

    model_config = ConfigDict(extra="forbid")

    name: Any = None
    notes: Any = None
    risk_rules: Annotated[list[_Rule], AfterValidator(_every_rule_once)]
    risk_levels: _RiskLevels
    action_groups: list[_ActionGroup]
    default_action: NonBlankText
    health: _Health
    alerts: _Alerts
    rule_families: Annotated[dict[str, list[Any]], AfterValidator(_families)] = {}
    family_share: Annotated[Number, Field(ge=0), Field(le=1)] = 1.0


ANY = object()  # one step of a path: any index or key
# What a refused field means, by its path (the longest that matches wins); {0}, {1}: the steps ANY matched,
# {rule}/{measure}: the rule or measure named by its id, {tier}: the tier's number, {got}: the value given.
PROBLEMS: dict[tuple, str] = {
    ("risk_rules",): "risk_rules must be a list of rules, each with 'id' and 'enabled'",
    ("risk_rules", ANY): "risk_rules[{0}]: must be an object with 'id' and 'enabled'",
    ("risk_rules", ANY, "enabled"): "{rule}: 'enabled' must be true or false",
    ("risk_rules", ANY, "tiers"): "{rule}: 'tiers' must be a non-empty list",
    ("risk_rules", ANY, "tiers", ANY): "{rule}, tier {tier}: must be an object",
    ("risk_rules", ANY, "tiers", ANY, "points"): "{rule}, tier {tier}: points must be a whole number from 1 to 100",
    ("risk_rules", ANY, "tiers", ANY, "reason"):
        "{rule}, tier {tier}: reason must be a non-empty text with valid {{placeholders}}",
    ("risk_rules", ANY, "tiers", ANY, "threshold"): "{rule}, tier {tier}: threshold must be a number >= 0",
    ("risk_rules", ANY, "days"): f"{{rule}}: days must be a whole number from 1 to {RULE_LOOKBACK_DAYS}",
    ("risk_levels",): "risk_levels needs numbers 'high' and 'medium'",
    ("action_groups",): "action_groups must be a list of {{rules, actions}}",
    ("action_groups", ANY): "action_groups[{0}]: needs lists 'rules' and 'actions'",
    ("action_groups", ANY, "rules", ANY): "action_groups[{0}]: unknown rule id {got}",
    ("action_groups", ANY, "actions"): "action_groups[{0}]: actions must be non-empty texts",
    ("default_action",): "default_action must be a non-empty text",
    ("health",): "health must be an object with measures, tiers and trend",
    ("health", "measures"): "health.measures must be a non-empty list",
    ("health", "measures", ANY, "weight"): "{measure}: weight must be a positive number (got {got})",
    ("health", "measures", ANY, "normalisation"): "{measure}: normalisation.method must be 'linear' or 'percentile'",
    ("health", "measures", ANY, "normalisation", "linear"):
        "{measure}: linear normalisation needs two different numbers 'bad' and 'good'",
    ("health", "measures", ANY, "normalisation", "percentile"):
        f"{{measure}}: percentile normalisation needs 'within': one of {', '.join(PERCENTILE_GROUPS)}",
    ("health", "tiers"): "health.tiers: every 'min' must be a number from 0 to 100",
    ("health", "trend"): "health.trend.days must be a whole number of days >= 1",
    ("health", "trend", "stable_band"): "health.trend.stable_band must be a number >= 0",
    ("health", "risk_caps"): "health.risk_caps must be an object: risk level -> highest health score it allows",
    ("health", "risk_caps", ANY): "health.risk_caps: the cap of {0} must be a number from 0 to 100",
    ("health", "risk_caps", ANY, "[key]"):
        f"health.risk_caps: unknown risk level {{got}} (known: {', '.join(RISK_LEVELS)})",
    ("health", "cap_by_risk_score"): "health.cap_by_risk_score must be true or false",
    ("alerts",): "alerts must be an object keyed by alert type",
    ("alerts", ANY): "alert '{0}': must be an object with 'enabled' true or false",
    ("alerts", ANY, "days"): "alert '{0}': days must be a positive number",
    ("alerts", "usage_cliff", "days"): "alert 'usage_cliff': days must be a whole number from 1 to 14",
    ("alerts", ANY, "below"): "alert '{0}': below must be a positive number",
    ("alerts", ANY, "drop"): "alert '{0}': drop must be a number above 0 and at most 1",
    ("alerts", ANY, "min_active_share"): "alert '{0}': min_active_share must be a number above 0 and at most 1",
    ("alerts", ANY, "levels"): "alert '{0}': levels must be a list of High, Medium, Low",
    ("alerts", ANY, "features"): "alert '{0}': features must be a list of feature names",
    ("rule_families",): "rule_families must be an object: family name -> list of rule ids",
    ("family_share",): "family_share must be a number from 0 to 1",
}
# Refusals that are not about a field's value but about the key itself.
EXTRA_PROBLEMS: dict[tuple, str] = {
    (): "unknown key {got} (known: {known})",
    ("alerts",): f"alerts: unknown alert type {{got}} (known: {', '.join(ALERT_TYPES)})",
}


def _matches(pattern: tuple, loc: tuple) -> list | None:
    """The steps ANY matched when the pattern starts the path, else None."""
    if len(pattern) > len(loc) or any(p is not ANY and p != step for p, step in zip(pattern, loc, strict=False)):
        return None
    return [step for p, step in zip(pattern, loc, strict=False) if p is ANY]


def _named(document: dict, section: tuple, index: int, kind: str) -> str:
    """"risk rule 'usage_drop'" for the document's risk_rules[index] (its position when it has no usable id)."""
    items = document
    for key in section:
        items = items.get(key, {}) if isinstance(items, dict) else {}
    item = items[index] if isinstance(items, list) and index < len(items) else None
    item_id = item.get("id") if isinstance(item, dict) else None
    return f"{kind} '{item_id}'" if isinstance(item_id, str) else f"{'.'.join(section)}[{index}]"


def _path(loc: tuple) -> str:
    """A field's path as an admin reads it: health.measures[3].weight."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in loc).lstrip(".")


def _problems(error: dict, document: dict) -> list[str]:
    """The sentences for one pydantic error: the validator's own, or the field's meaning (PROBLEMS) with
    where it is, or, for a field PROBLEMS does not know, its path and pydantic's reason."""
    loc = tuple(error["loc"])
    found = error.get("ctx", {}).get("error")
    if isinstance(found, _Problems):
        return [f"{_path(loc)}: {problem}" for problem in found.problems] if found.here else found.problems
    got = None if error["type"] == "missing" else error["input"]
    if error["type"] == "extra_forbidden":
        parent, key = loc[:-1], loc[-1]
        known = ", ".join(sorted(set(_Document.model_fields)))
        if parent in EXTRA_PROBLEMS:
            return [EXTRA_PROBLEMS[parent].format(got=repr(key), known=known)]
    # The longest path that matches; of two as long, the one with fewer ANY steps.
    found = [(len(p), -p.count(ANY), p) for p in PROBLEMS if _matches(p, loc) is not None]
    if not found:
        return [f"{_path(loc) or 'the configuration'}: {error['msg']}"]
    pattern = max(found, key=lambda f: f[:2])[2]
    def index(at: int) -> int | None:
        return loc[at] if len(loc) > at and isinstance(loc[at], int) else None

    facts = {"got": repr(got), "tier": "" if index(3) is None else index(3) + 1,
             "rule": _named(document, ("risk_rules",), index(1), "risk rule") if pattern[:1] == ("risk_rules",)
             and index(1) is not None else "",
             "measure": _named(document, ("health", "measures"), index(2), "measure")
             if pattern[:2] == ("health", "measures") and index(2) is not None else ""}
    return [PROBLEMS[pattern].format(*_matches(pattern, loc), **facts)]


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    for kind, words in ((dict, "an object"), (list, "a list"), (str, "a text"), (int | float, "a number")):
        if isinstance(value, kind):
            return words
    return type(value).__name__


NOT_AN_OBJECT = ("the configuration must be a JSON object {{...}} with the keys {keys} (got {kind}); start from a "
                 "copy of the active configuration (`manage.py scoring_config export FILE.json`, or Copy in admin)")


OPTIONAL_KEYS = ("rule_families", "family_share")  # absent: no families, points simply add (the seed's way)
REQUIRED_KEYS = tuple(key for key in DEFAULT_CONFIG if key not in OPTIONAL_KEYS)


def config_problems(data: Any) -> list[tuple[tuple, str]]:
    """Every problem of a configuration document with where it is (the path of the field or section the
    sentence is about: ("health", "measures", 0, "weight")), in the order found, each sentence once."""
    if not isinstance(data, dict):
        return [((), NOT_AN_OBJECT.format(keys=", ".join(REQUIRED_KEYS), kind=_json_kind(data)))]
    try:
        _Document.model_validate(data)
    except ValidationError as error:
        problems: list[tuple[tuple, str]] = []
        for found in error.errors():
            raised = found.get("ctx", {}).get("error")
            locs = raised.locs if isinstance(raised, _Problems) and raised.locs else None
            for number, problem in enumerate(_problems(found, data)):
                if problem not in (known for _, known in problems):
                    problems.append(((*found["loc"], *(locs[number] if locs else ())), problem))
        return problems
    return []


def validate_config(data: Any) -> list[str]:
    """Every problem of a configuration document, as sentences; an empty list means it is valid."""
    return [problem for _, problem in config_problems(data)]


WEIGHT_TOTAL = 100  # what the weights of a configuration people edit add up to (docs/scoring.md)


def edited_config_problems(data: Any) -> list[tuple[tuple, str]]:
    """What refuses a configuration a person writes in admin (the form or its JSON): every problem of
    config_problems, and health weights that do not add up to WEIGHT_TOTAL. The engine itself rescales
    the weights (a measure without data drops out), so documents written by code may add up otherwise."""
    problems = config_problems(data)
    if problems:
        return problems
    total = sum(measure["weight"] for measure in data["health"]["measures"])
    if not math.isclose(total, WEIGHT_TOTAL, abs_tol=1e-9):
        return [(("health", "measures"), f"health.measures: the weights must add up to {WEIGHT_TOTAL} "
                                         f"(they add up to {total:.10g})")]
    return []


def parsed_document(data: dict[str, Any]) -> Config:
    """parse_config for a stored document read again and again (the configuration of the snapshot a page shows):
    checked and parsed once per process for the same document. The parsed Config is immutable, so it is shared."""
    return _parsed(json.dumps(data, sort_keys=True))


@lru_cache(maxsize=8)
def _parsed(document: str) -> Config:
    return parse_config(json.loads(document))


def parse_config(data: dict[str, Any]) -> Config:
    """The engine's view of a configuration document; raises ConfigError listing every problem."""
    problems = validate_config(data)
    if problems:
        raise ConfigError(problems)
    by_id = {r["id"]: r for r in data["risk_rules"]}
    absent = {"enabled": False, "tiers": []}  # a rule the document does not list is off
    rules = tuple(
        RiskRule(
            id=rule_id,
            enabled=by_id.get(rule_id, absent)["enabled"],
            tiers=tuple(RuleTier(t.get("threshold"), t["points"], t["reason"])
                        for t in by_id.get(rule_id, absent)["tiers"]),
            days=by_id.get(rule_id, {}).get("days", RULE_DAYS.get(rule_id, 30)),
        )
        for rule_id in RULE_IDS
    )
    health = data["health"]
    return Config(
        rules=rules,
        high=data["risk_levels"]["high"],
        medium=data["risk_levels"]["medium"],
        action_groups=tuple(ActionGroup(tuple(g["rules"]), tuple(g["actions"])) for g in data["action_groups"]),
        default_action=data["default_action"],
        measures=tuple(
            MeasureConfig(
                id=m["id"], group=MEASURE_IDS[m["id"]], weight=float(m["weight"]),
                normalisation=Normalisation(
                    method=m["normalisation"]["method"], bad=m["normalisation"].get("bad"),
                    good=m["normalisation"].get("good"), within=m["normalisation"].get("within"),
                ),
            )
            for m in health["measures"]
        ),
        tiers=tuple(HealthTier(t["name"], float(t["min"])) for t in health["tiers"]),
        trend_days=health["trend"]["days"],
        trend_stable_band=float(health["trend"]["stable_band"]),
        alerts=copy.deepcopy(data["alerts"]),
        risk_caps={level: float(cap) for level, cap in health.get("risk_caps", {}).items()},
        cap_by_risk_score=health.get("cap_by_risk_score", False),
        families=tuple(tuple(rules) for rules in data.get("rule_families", {}).values()),
        family_share=float(data.get("family_share", 1.0)),
    )


def slug(text: str) -> str:
    """A lower-case identifier for a tier or level name ("At risk" -> "at_risk")."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def config_argument(value: str) -> Config:
    """The configuration a command's --config names: a preset ("seed-001") or a JSON file. Raises
    ConfigError listing every problem (an unreadable file is one)."""
    if value in PRESETS:
        return parse_config(preset_config(value))
    try:
        document = json.loads(Path(value).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError([f"cannot read {value} ({error}); give a JSON file or a preset: {', '.join(PRESETS)}"]
                          ) from error
    return parse_config(document)
