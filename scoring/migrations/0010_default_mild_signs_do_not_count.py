"""The shipped default no longer counts mild versions of common signs: a mean ticket rating of 3 of 5, an NPS
of 5-6 and tickets at twice the usual rate (issue "Predictive truth"). A database whose active configuration is
the previous default, untouched, moves to the new one; an edited configuration is left as it is."""

from django.db import migrations

from scoring.upgrades import replace_untouched_default

PREVIOUS_DEFAULT_SHA256 = "c095276996cf8def24f6450e23be75e2ddbaa672ef4bdd8249f616ddc3535b9a"


def newer_default(apps, schema_editor):
    replace_untouched_default(
        apps, previous_sha256=PREVIOUS_DEFAULT_SHA256, name="Default (mild signs do not count)",
        notes="Installed by an upgrade: the previous default was active and unchanged. New: a mean ticket rating "
              "of 3 of 5, an NPS of 5-6 and tickets at twice the usual rate no longer add points.")


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0009_default_trial_adoption_detractor"),
    ]

    operations = [
        migrations.RunPython(newer_default, migrations.RunPython.noop),
    ]
