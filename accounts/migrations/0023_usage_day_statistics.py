from django.db import migrations

# The whole book's read of the usage days (scoring.fetch.book_usage) groups them by subscription and word. Without
# statistics of the pair, PostgreSQL multiplies the columns' own counts of distinct values, expects some two million
# groups instead of about one per subscription, and sorts the 90 days' rows on disk instead of hashing them: these
# statistics (filled by ANALYZE, here and by autovacuum) tell it.


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0022_api_usage'),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS usageday_subscription_word (ndistinct) ON subscription_id, word "
            "FROM accounts_usageday; ANALYZE accounts_usageday",
            "DROP STATISTICS IF EXISTS usageday_subscription_word",
        ),
    ]
