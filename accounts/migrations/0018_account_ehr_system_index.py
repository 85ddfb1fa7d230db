"""An index of the accounts' EHR systems: the ones in use are read by skipping through it (accounts.selectors.book_values)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0017_account_search_key'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['ehr_system'], name='account_ehr_system'),
        ),
    ]
