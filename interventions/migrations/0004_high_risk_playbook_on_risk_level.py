"""The default High-risk playbook answers the headline verdict, High churn risk, instead of the health tier
(an edited playbook is left alone)."""

from django.db import migrations


def on_risk_level(apps, schema_editor):
    Playbook = apps.get_model("interventions", "Playbook")
    Playbook.objects.filter(name="High risk: personal outreach", trigger_kind="tier",
                            trigger_value="High risk").update(trigger_kind="risk_level", trigger_value="High")


def on_tier(apps, schema_editor):
    Playbook = apps.get_model("interventions", "Playbook")
    Playbook.objects.filter(name="High risk: personal outreach", trigger_kind="risk_level",
                            trigger_value="High").update(trigger_kind="tier", trigger_value="High risk")


class Migration(migrations.Migration):

    dependencies = [
        ("interventions", "0003_playbook_failures_and_action_checks"),
    ]

    operations = [migrations.RunPython(on_risk_level, on_tier)]
