"""Install the default playbooks for the Critical, High risk and At risk tiers (left alone when a
playbook of the same name exists, so edits survive; removed again on the way back)."""

from django.db import migrations


def install(apps, schema_editor):
    from interventions.defaults import install_default_playbooks

    install_default_playbooks(apps.get_model("interventions", "Playbook"),
                              apps.get_model("interventions", "PlaybookStep"))


def remove(apps, schema_editor):
    from interventions.defaults import DEFAULT_PLAYBOOKS

    Playbook = apps.get_model("interventions", "Playbook")
    Playbook.objects.filter(name__in=[s["name"] for s in DEFAULT_PLAYBOOKS], interventions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("interventions", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
