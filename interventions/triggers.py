"""What a playbook's trigger may name, per kind of trigger."""

from expansion.kinds import SIGNAL_KINDS
from scoring.config import TIER_NAMES
from scoring.levels import RISK_LEVELS
from scoring.models import AlertType


def trigger_values(kind: str) -> list[str]:
    """The values a trigger of this kind accepts."""
    return {
        "tier": list(TIER_NAMES),
        "risk_level": list(RISK_LEVELS),
        "alert": [value for value, _ in AlertType.choices],
        "expansion": list(SIGNAL_KINDS),
        "probability": list(RISK_LEVELS),  # the churn model's bands
    }.get(kind, [])
