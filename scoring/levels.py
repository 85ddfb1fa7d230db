"""The names of the churn-risk levels and of the default health tiers, in one place. They are stored as text
(snapshots, playbook triggers, configuration documents), so each is a StrEnum: a member equals its text.

Configuration documents keep plain strings (they are JSON); code that decides by a level or tier uses these."""

from enum import StrEnum


class Level(StrEnum):
    """A churn-risk level (and a churn model's probability band), riskiest first."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class Tier(StrEnum):
    """A health tier of the shipped configuration, healthiest first."""

    THRIVING = "Thriving"
    HEALTHY = "Healthy"
    AT_RISK = "At risk"
    HIGH_RISK = "High risk"
    CRITICAL = "Critical"


# Groups as plain text (what the database and the documents hold).
RISK_LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
WARNING_LEVELS: tuple[str, ...] = (Level.HIGH.value, Level.MEDIUM.value)  # what the risk verdict flags
SEVERE_TIERS: tuple[str, ...] = (Tier.HIGH_RISK.value, Tier.CRITICAL.value)
FLAGGING_TIERS: tuple[str, ...] = (Tier.AT_RISK.value, Tier.HIGH_RISK.value, Tier.CRITICAL.value)  # At risk or worse
HEALTHY_TIERS: tuple[str, ...] = (Tier.HEALTHY.value, Tier.THRIVING.value)
