"""The day's scores by health, for the at-risk list sorted by health (workspace.filters.PagedAccounts)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0017_account_search_key'),
        ('scoring', '0013_snapshot_day_risk_arr_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='snapshot',
            index=models.Index(fields=['as_of', 'health_score'], name='snapshot_day_health'),
        ),
    ]
