"""The shipped default gains the trial-adoption, detractor and ticket-spike rules (the absolute support load
is off), a 45-day silence tier, families of related rules whose points are shared, and Medium from 35 (issue
"Predictive truth"). A database whose active configuration is the previous default, untouched, moves to the
new one; an edited configuration is left as it is (its owner can start a draft from the "default" preset)."""

from django.db import migrations

from scoring.upgrades import replace_untouched_default

PREVIOUS_DEFAULT_SHA256 = "37ec5c0731392d0b462d40a1381c1298c0fbd67cbd0544fd7ef2fbe4bc408f94"


def newer_default(apps, schema_editor):
    replace_untouched_default(
        apps, previous_sha256=PREVIOUS_DEFAULT_SHA256, name="Default (trial adoption, detractors)",
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
