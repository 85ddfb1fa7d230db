"""The day's score indexes carry the account's id: a deep page of the at-risk list reads its ids from the index
alone, in order, instead of sorting the whole book (workspace.filters.PagedAccounts)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0018_account_ehr_system_index'),
        ('scoring', '0014_snapshot_day_health_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='snapshot',
            name='snapshot_day_risk_arr',
        ),
        migrations.RemoveIndex(
            model_name='snapshot',
            name='snapshot_day_health',
        ),
        migrations.AddIndex(
            model_name='snapshot',
            index=models.Index(fields=['as_of', '-risk_score', '-arr'], include=('account',), name='snapshot_day_risk_arr'),
        ),
        migrations.AddIndex(
            model_name='snapshot',
            index=models.Index(fields=['as_of', 'health_score'], include=('account',), name='snapshot_day_health'),
        ),
    ]
