"""Default plan limits for the demo's and RavenStack's plan tiers and the advanced features of the
power-user signal; both are edited in admin afterwards (existing rows are left alone)."""

from django.db import migrations

PLAN_LIMITS = {"Basic": 1000, "Pro": 1050, "Enterprise": 1100}
ADVANCED = ("api", "population_health", "ai_scribe", "analytics", "automation", "custom_reports")


def install(apps, schema_editor):
    PlanLimit = apps.get_model("expansion", "PlanLimit")
    AdvancedFeature = apps.get_model("expansion", "AdvancedFeature")
    for tier, uses in PLAN_LIMITS.items():
        PlanLimit.objects.get_or_create(plan_tier=tier, defaults={"monthly_uses_per_seat": uses})
    for name in ADVANCED:
        AdvancedFeature.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("expansion", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
