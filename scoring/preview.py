"""What a draft configuration would change: the accounts whose health tier or risk level would move against
the active configuration, scored on today's data. Nothing is written."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.utils import timezone

from scoring.calculations import score_book
from scoring.config import parse_config
from scoring.configs import ensure_active_config
from scoring.models import ScoringConfig
from scoring.services import latest_as_of, score_range


@dataclass
class PreviewChange:
    account_id: int
    external_id: str
    name: str
    tier_before: str
    tier_after: str
    level_before: str
    level_after: str
    health_before: float | None
    health_after: float | None
    risk_before: int
    risk_after: int


@dataclass
class Preview:
    as_of: dt.date
    accounts: int
    tier_changes: int
    level_changes: int
    changes: list[PreviewChange]


def config_preview(*, config: ScoringConfig, as_of: dt.date | None = None) -> Preview:
    """Which accounts would change health tier or risk level under `config`, against the active one, on
    today's data as of the latest snapshot date (or today). Nothing is written."""
    as_of = as_of or latest_as_of() or timezone.localdate()
    active = parse_config(ensure_active_config().data)
    candidate = parse_config(config.data)
    before, data = score_range(as_of=as_of, config=active)
    after = score_book(data, candidate)
    b, a = before.accounts, after.accounts
    tier_changed = b["health_tier"].fillna("") != a["health_tier"].fillna("")
    level_changed = b["risk_level"] != a["risk_level"]
    changed = b.index[tier_changed | level_changed]
    changes = [
        PreviewChange(
            account_id=int(i), external_id=b.at[i, "external_id"], name=b.at[i, "name"],
            tier_before=b.at[i, "health_tier"] or "", tier_after=a.at[i, "health_tier"] or "",
            level_before=b.at[i, "risk_level"], level_after=a.at[i, "risk_level"],
            health_before=None if pd.isna(b.at[i, "health_score"]) else float(b.at[i, "health_score"]),
            health_after=None if pd.isna(a.at[i, "health_score"]) else float(a.at[i, "health_score"]),
            risk_before=int(b.at[i, "risk_score"]), risk_after=int(a.at[i, "risk_score"]),
        )
        for i in changed
    ]
    changes.sort(key=lambda c: (c.name, c.external_id))
    return Preview(as_of=as_of, accounts=len(b), tier_changes=int(tier_changed.sum()),
                   level_changes=int(level_changed.sum()), changes=changes)
