"""The day's score index ordered as the at-risk list's default (risk, then ARR, descending): its first page reads
about a page of index entries (workspace.filters.PagedAccounts)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0016_customer_text_search'),
        ('scoring', '0012_alert_emailed_at_dropped'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='snapshot',
            name='snapshot_day_risk',
        ),
        migrations.AddIndex(
            model_name='snapshot',
            index=models.Index(fields=['as_of', '-risk_score', '-arr'], name='snapshot_day_risk_arr'),
        ),
    ]
