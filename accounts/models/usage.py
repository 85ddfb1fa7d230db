"""Product usage: the imported usage rows, and the tables the database keeps from them (the feature list
and the daily totals, maintained by the triggers of accounts.usage_days)."""

from django.contrib.postgres.indexes import BrinIndex
from django.db import models

from accounts.models.customers import Subscription


class UsageRecord(models.Model):
    """Daily use of one feature by one subscription.

    Identity is the pair (subscription, source usage id): RavenStack reuses 21 usage ids on
    different subscriptions, and every one of those rows is a real, distinct record.
    """

    # No index of its own: the identity's index starts with the subscription. Nothing reads usage
    # rows by date across the book (scoring reads the usage days), so no index serves that either:
    # every index here is paid for by every imported row.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="usage", db_index=False
    )
    usage_id = models.CharField(max_length=64)
    date = models.DateField()
    feature_name = models.CharField(max_length=100)
    usage_count = models.PositiveIntegerField(default=0)
    usage_duration_secs = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    is_beta = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "usage_id"], name="usage_unique_per_subscription"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.usage_id} {self.feature_name} {self.date}"


class UsageFeature(models.Model):
    """Every feature name the usage rows have used, numbered in order of first appearance: the number
    is the feature's bit in `UsageDay.features_used`. Filled by the database itself (see UsageDay)."""

    name = models.CharField(max_length=100, unique=True)
    integration = models.BooleanField(
        default=False,
        help_text="An integration feature (EHR sync, API, interfaces): one of the words ehr, integration, "
                  "sync, api, interface, hl7 or fhir appears in its name as a word of its own.")
    api = models.BooleanField(
        default=False, db_default=False,
        help_text="An API feature: \"api\" stands in its name between characters other than letters and digits, or at "
                  "an end of it (the API-growth expansion signal counts its use).")

    def __str__(self) -> str:
        return self.name


class UsageDay(models.Model):
    """The usage rows of one subscription and one day, added up: what the daily recompute reads
    instead of every row (a day holds one row per feature, so a tenth of the rows or fewer).

    The database keeps it exact on every write to the usage rows, whoever makes it (import, admin,
    ORM, raw SQL): triggers installed by migration accounts.0004 add new rows to their day and
    rebuild a day from its rows when rows of it change or go (installed again with the API features'
    usage by accounts.0022). Features beyond the 62nd get rows of
    their own (`word` 1, 2, ...), so any number of features fits.
    """

    FEATURES_PER_WORD = 62

    # One row per subscription, day and word, and no other key. Beside the primary key, one small BRIN index on
    # (date, subscription): the days are written in date order (new days come after the old ones; an import writes
    # a rebuild in date order, accounts/usage_days.py), so a recompute batch reads only the pages of its window
    # and its subscriptions (at 20,000 accounts a sixth of the pages of a book of one year) instead of the table.
    pk = models.CompositePrimaryKey("subscription", "date", "word")
    # Derived rows, written by the database itself: no foreign-key check per row (Django still
    # deletes a subscription's days with it).
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+", db_index=False,
                                     db_constraint=False)
    date = models.DateField()
    word = models.PositiveSmallIntegerField(default=0, help_text="Which 62 features features_used describes.")
    usage_count = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    features_used = models.BigIntegerField(
        default=0, help_text="Bit (feature number mod 62) set for every feature used (count above 0) that day.")
    integration_usage = models.BigIntegerField(default=0)
    integration_errors = models.BigIntegerField(default=0)
    api_usage = models.BigIntegerField(default=0, db_default=0,
                                       help_text="The day's uses of API features (UsageFeature.api).")

    class Meta:
        indexes = [BrinIndex(fields=["date", "subscription"], pages_per_range=16, name="usageday_date_brin")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.date}"
