"""An index of each day's scores by account that holds the at-risk list's sort and filter columns.

The list (and the API's account list) joins every account to its latest snapshot and orders and filters
by risk score, ARR, health score, health tier and risk level; with this index PostgreSQL reads those
from the index alone (an index-only scan of one day's entries) instead of visiting 20,000 wide snapshot
rows for each page. Written as SQL; it is not declared in
Snapshot.Meta.indexes, so the model state does not change.
"""

from django.db import migrations

INDEX = "snapshot_day_account_scores"


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0003_snapshot_measures_help"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON scoring_snapshot "
            "(as_of, account_id, risk_score, arr, health_score, health_tier, risk_level)",
            f"DROP INDEX {INDEX}",
        ),
    ]
