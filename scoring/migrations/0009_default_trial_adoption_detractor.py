"""The shipped default gains the trial-adoption, detractor and ticket-spike rules (the absolute support load
is off), a 45-day silence tier, families of related rules whose points are shared, and Medium from 35 (issue
"Predictive truth"). A database whose active configuration is the previous default, untouched, moves to the
new one; an edited configuration is left as it is (its owner can start a draft from the "default" preset)."""

import hashlib
import json

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

from scoring.config import default_config

# sha256 of the previous shipped default as canonical JSON (sorted keys): a fingerprint, so that this
# migration does not carry a 5,000-character copy of it.
PREVIOUS_DEFAULT_SHA256 = "37ec5c0731392d0b462d40a1381c1298c0fbd67cbd0544fd7ef2fbe4bc408f94"


def fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def newer_default(apps, schema_editor):
    """Activate the current default where the active configuration is exactly the previous one."""
    ScoringConfig = apps.get_model("scoring", "ScoringConfig")
    active = ScoringConfig.objects.filter(status="active").first()
    if active is None or fingerprint(active.data) != PREVIOUS_DEFAULT_SHA256:
        return
    active.status = "retired"
    active.save(update_fields=["status"])
    version = (ScoringConfig.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    ScoringConfig.objects.create(
        version=version, name="Default (trial adoption, detractors)", status="active", data=default_config(),
        activated_at=timezone.now(),
        notes="Installed by an upgrade: the previous default was active and unchanged. New: trials used less "
              "than their paying peers, detractors' latest NPS, ticket spikes against the usual rate, a 45-day "
              "silence tier, related rules sharing their points, Medium from 35.")


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0008_snapshot_health_before_cap"),
    ]

    operations = [
        migrations.RunPython(newer_default, migrations.RunPython.noop),
    ]
