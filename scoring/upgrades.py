"""Moving an untouched shipped default to the current one when an upgrade changes the default (used by data
migrations): the previous default is recognised by a fingerprint, so a migration does not carry a copy of it,
and an edited configuration is never replaced (its owner can start a draft from the "default" preset)."""

import hashlib
import json
from typing import Any

from django.db.models import Max
from django.utils import timezone

from scoring.config import default_config


def fingerprint(data: Any) -> str:
    """sha256 of a configuration document as canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def replace_untouched_default(apps, *, previous_sha256: str, name: str, notes: str) -> bool:
    """Retire the active configuration and activate the current default when the active one is exactly the
    previous default (by its fingerprint); returns whether it did."""
    ScoringConfig = apps.get_model("scoring", "ScoringConfig")
    active = ScoringConfig.objects.filter(status="active").first()
    if active is None or fingerprint(active.data) != previous_sha256:
        return False
    active.status = "retired"
    active.save(update_fields=["status"])
    version = (ScoringConfig.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    ScoringConfig.objects.create(version=version, name=name, status="active", data=default_config(),
                                 activated_at=timezone.now(), notes=notes)
    return True
