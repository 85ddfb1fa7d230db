"""One voice (issue "Predictive truth"): the snapshot keeps the health score a churn-risk cap lowered, and
a database still on the seed's rules, untouched, moves to the shipped default (the seed's rules stay
available as the preset "seed-001")."""

from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone

from scoring.config import SEED_CONFIG, default_config


def fitted_default(apps, schema_editor):
    """Activate the fitted default where the active configuration is exactly the seed's."""
    ScoringConfig = apps.get_model("scoring", "ScoringConfig")
    active = ScoringConfig.objects.filter(status="active").first()
    if active is None or active.data != SEED_CONFIG:
        return
    now = timezone.now()
    active.status = "retired"
    active.save(update_fields=["status"])
    version = (ScoringConfig.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    ScoringConfig.objects.create(
        version=version, name="Default (fitted to the book)", status="active", data=default_config(),
        activated_at=now, notes="Installed by an upgrade: the seed's rules were active and unchanged. They stay "
                                "available as the preset seed-001.")


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0007_churn_model"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshot",
            name="health_before_cap",
            field=models.FloatField(
                blank=True, null=True,
                help_text="The measures' health score when the churn-risk level capped it (one voice); "
                          "empty otherwise."),
        ),
        migrations.RunPython(fitted_default, migrations.RunPython.noop),
    ]
