"""Playbook firing failures recorded on the playbook, Next Best Action items ticked per account, step
templates checked by their channel, and the default playbooks' customer steps reworded for the customer
(only where a step still has the text the defaults installed: an admin's edit is left alone)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


OLD_EXEC = """Dear {contact},

I lead customer success at our company and wanted to reach out personally about {account}. We can see
that things have not been going the way either of us wants ({reasons}). I would like to set up a call
this week with you and {csm} to agree on a plan that gets your team back to full value.

Kind regards"""

OLD_PERSONAL = """Hi {contact},

I noticed {reasons} at {account} and wanted to check in personally. Could we find 20 minutes this
week to look at what is getting in the way?

Best regards,
{csm}"""

OLD_TIPS = "Tips for {account}: {actions}."

NEW_EXEC = """Dear {contact},

I lead customer success at our company and wanted to reach out personally about {account}. I would
like to talk with you about {reasons}, and to set up a call this week with you and {csm} to agree on a
plan that gets your team full value from the platform.

Kind regards"""

NEW_PERSONAL = """Hi {contact},

I wanted to check in personally on how things are going at {account}, and talk about {reasons}.
Could we find 20 minutes this week? I can also offer {actions}.

Best regards,
{csm}"""

NEW_TIPS = "Tips for {account}: ask us for {actions}."


def reword(apps, schema_editor):
    step = apps.get_model("interventions", "PlaybookStep")
    for old, new in ((OLD_EXEC, NEW_EXEC), (OLD_PERSONAL, NEW_PERSONAL), (OLD_TIPS, NEW_TIPS)):
        step.objects.filter(template=old).update(template=new)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_analyser_2'),
        ('interventions', '0002_default_playbooks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='playbook',
            name='last_error',
            field=models.TextField(blank=True, help_text="Why the playbook's last firing failed (the other playbooks fired); cleared when it fires again."),
        ),
        migrations.AddField(
            model_name='playbook',
            name='last_error_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='playbookstep',
            name='template',
            field=models.TextField(blank=True, help_text="The message, with placeholders such as {account}, {contact}, {reasons}, {actions}. E-mail and in-app steps go to the customer: there {reasons} and {actions} are written for the customer, and the team's figures ({health}, {risk}, …) are not available."),
        ),
        migrations.CreateModel(
            name='NextBestActionCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.TextField(help_text="The action's text, as the scoring configuration words it.")),
                ('done', models.BooleanField()),
                ('changed_at', models.DateTimeField()),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='action_checks', to='accounts.account')),
                ('changed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('account', 'action'), name='one_check_per_account_action')],
            },
        ),
        migrations.RunPython(reword, migrations.RunPython.noop),
    ]
