"""The per-day usage totals (accounts.UsageDay) stay exactly the sum of the usage rows, whichever way
the rows are written: the database's own triggers keep them, so every test compares the stored days
with the days recomputed here from the rows."""

import datetime as dt
import re

import pandas as pd
import pytest
from django.db import connection
from django.db.models import Sum

from accounts import models as m
from accounts.importing.services import import_files
from tests import factories
from tests.importing import ACCOUNTS_HEADER, SUBSCRIPTIONS_HEADER, USAGE_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 6, 1)
DAY_FIELDS = ["subscription_id", "date", "word", "usage_count", "error_count", "features_used", "integration_usage",
              "integration_errors", "api_usage"]
API_NAME = re.compile(r"(^|[^a-z0-9])api([^a-z0-9]|$)", re.IGNORECASE)  # what the expansion signals call an API feature


def stored_days() -> list[tuple]:
    return sorted(m.UsageDay.objects.values_list(*DAY_FIELDS))


def days_from_rows() -> list[tuple]:
    """What the days must hold, computed from the rows and the feature list."""
    rows = pd.DataFrame(list(m.UsageRecord.objects.values_list(
        "subscription_id", "date", "feature_name", "usage_count", "error_count")),
        columns=["subscription_id", "date", "feature", "usage", "errors"])
    if rows.empty:
        return []
    features = {name: (pk - 1, integration) for pk, name, integration in
                m.UsageFeature.objects.values_list("pk", "name", "integration")}
    rows["slot"] = rows["feature"].map(lambda f: features[f][0])
    rows["integration"] = rows["feature"].map(lambda f: features[f][1])
    rows["api"] = rows["feature"].map(lambda f: bool(API_NAME.search(f)))
    rows["word"] = rows["slot"] // 62
    rows["bit"] = [(1 << (slot % 62)) if usage > 0 else 0 for slot, usage in
                   zip(rows["slot"], rows["usage"], strict=True)]
    result = []
    for (sub, date, word), group in rows.groupby(["subscription_id", "date", "word"]):
        bits = 0
        for bit in set(group["bit"]):
            bits |= bit
        integration = group[group["integration"]]
        result.append((sub, date, word, int(group["usage"].sum()), int(group["errors"].sum()), bits,
                       int(integration["usage"].sum()), int(integration["errors"].sum()),
                       int(group.loc[group["api"], "usage"].sum())))
    return sorted(result)


def add(subscription, feature: str, usage: int, errors: int = 0, date: dt.date = DAY) -> m.UsageRecord:
    return factories.UsageRecordFactory(subscription=subscription, feature_name=feature, usage_count=usage,
                                        error_count=errors, date=date)


def test_rows_saved_one_by_one_add_up_per_day_with_a_bit_per_feature_used():
    subscription = factories.SubscriptionFactory()
    add(subscription, "scheduling", 10)
    add(subscription, "EHR_sync", 5, errors=2)
    add(subscription, "reports", 0)  # a row without use sets no bit
    add(subscription, "scheduling", 4, date=DAY + dt.timedelta(days=1))

    features = dict(m.UsageFeature.objects.values_list("name", "pk"))
    first = m.UsageDay.objects.filter(subscription=subscription, date=DAY)
    totals = [sum(getattr(d, f) for d in first) for f in ("usage_count", "error_count", "integration_usage",
                                                            "integration_errors")]
    assert totals == [15, 2, 5, 2]
    # Feature number n (from 1) is bit (n - 1) % 62 of word (n - 1) // 62; "reports" was not used.
    expected: dict[int, int] = {}
    for name in ("scheduling", "EHR_sync"):
        slot = features[name] - 1
        expected[slot // 62] = expected.get(slot // 62, 0) | 1 << (slot % 62)
    reports = features["reports"] - 1
    expected.setdefault(reports // 62, 0)
    assert {d.word: d.features_used for d in first} == expected
    assert stored_days() == days_from_rows()


@pytest.mark.parametrize(("name", "integration"), [
    ("EHR_sync", True), ("api-calls", True), ("HL7 interface", True), ("fhir.export", True),
    ("capitation", False), ("apiary", False), ("resync_later", False), ("scheduling", False),
])
def test_integration_features_are_named_by_whole_words(name, integration):
    add(factories.SubscriptionFactory(), name, 1)

    assert m.UsageFeature.objects.get(name=name).integration is integration


@pytest.mark.parametrize(("name", "api"), [
    ("api", True), ("API_calls", True), ("rest-api", True), ("public api (v2)", True), ("Api.export", True),
    ("apiary", False), ("capital", False), ("rapid", False), ("api2", False), ("scheduling", False),
])
def test_api_features_are_named_by_api_standing_alone_and_their_use_is_kept_per_day(name, api):
    subscription = factories.SubscriptionFactory()
    add(subscription, name, 7)
    add(subscription, "scheduling", 3)

    assert m.UsageFeature.objects.get(name=name).api is api
    assert sum(m.UsageDay.objects.filter(subscription=subscription).values_list("api_usage", flat=True)) == \
        (7 if api else 0)
    assert stored_days() == days_from_rows()


def test_changing_or_deleting_rows_rebuilds_their_days():
    subscription = factories.SubscriptionFactory()
    kept = add(subscription, "scheduling", 10)
    moved = add(subscription, "reports", 3)
    gone = add(subscription, "billing", 7, date=DAY + dt.timedelta(days=2))

    kept.usage_count = 0  # no longer used: its bit goes
    kept.save()
    moved.date = DAY + dt.timedelta(days=1)  # leaves one day for another
    moved.save()
    gone.delete()  # the day's only row: the day goes
    m.UsageRecord.objects.filter(pk=moved.pk).update(error_count=4, feature_name="labs")

    assert [(d, u, e) for _, d, _, u, e, *_ in stored_days()] == [(DAY, 0, 0), (DAY + dt.timedelta(days=1), 3, 4)]
    assert m.UsageDay.objects.get(date=DAY).features_used == 0
    assert stored_days() == days_from_rows()


def test_deleting_a_subscription_takes_its_days_along():
    subscription = factories.SubscriptionFactory()
    other = factories.SubscriptionFactory()
    add(subscription, "scheduling", 10)
    add(other, "scheduling", 2)

    subscription.delete()

    assert [day[0] for day in stored_days()] == [other.pk]
    assert stored_days() == days_from_rows()


def test_bulk_inserts_and_more_than_62_features_are_kept_exact():
    subscription = factories.SubscriptionFactory()
    m.UsageRecord.objects.bulk_create(
        factories.UsageRecordFactory.build(subscription=subscription, feature_name=f"feature {n:03d}",
                                           usage_count=n % 5, error_count=n % 3) for n in range(130))

    days = stored_days()
    numbers = m.UsageFeature.objects.filter(name__startswith="feature ").values_list("pk", flat=True)
    words = {(pk - 1) // 62 for pk in numbers}
    assert [day[2] for day in days] == sorted(words) and len(words) >= 3  # 130 features: 3 words or more
    assert days == days_from_rows()


def usage_by_date() -> list[tuple]:
    """(date, usage, errors) of the stored days, added up over their words: which word a feature falls in depends on
    the features' numbers, which depend on what the database met before (other tests' rolled-back imports too)."""
    days = m.UsageDay.objects.values_list("date").annotate(Sum("usage_count"), Sum("error_count"))
    return list(days.order_by("date"))


def test_imports_and_reimports_with_changes_keep_the_days_exact():
    accounts = csv_bytes(ACCOUNTS_HEADER, "A-1,Clinic,Health,US,2024-01-01,partner,Pro,10,False,False")
    subscriptions = csv_bytes(SUBSCRIPTIONS_HEADER,
                              "S-1,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True")

    def usage_file(*rows: str) -> bytes:
        return csv_bytes(USAGE_HEADER, *rows)

    first = import_files({"ravenstack_accounts.csv": accounts, "ravenstack_subscriptions.csv": subscriptions,
                          "ravenstack_feature_usage.csv": usage_file(
                              "U-1,S-1,2024-06-01,ehr_sync,10,60,1,False", "U-2,S-1,2024-06-01,reports,5,60,0,False",
                              "U-3,S-1,2024-06-02,reports,2,60,0,False")})
    assert first.ok
    assert stored_days() == days_from_rows()
    assert usage_by_date() == [(DAY, 15, 1), (DAY + dt.timedelta(days=1), 2, 0)]

    again = import_files({"ravenstack_feature_usage.csv": usage_file(
        "U-1,S-1,2024-06-01,ehr_sync,0,60,3,False", "U-2,S-1,2024-06-01,reports,5,60,0,False",
        "U-3,S-1,2024-06-03,reports,2,60,0,False", "U-4,S-1,2024-06-03,labs,1,60,0,False")})
    assert again.ok
    assert stored_days() == days_from_rows()
    assert usage_by_date() == [(DAY, 5, 3), (DAY + dt.timedelta(days=2), 3, 0)]


def day_total(subscription: str, column: str) -> int:
    """A column of the subscription's days added up over their words."""
    return m.UsageDay.objects.filter(subscription__external_id=subscription).aggregate(total=Sum(column))["total"]


def test_big_imports_rebuild_the_days_of_their_subscriptions_once(monkeypatch):
    from accounts.importing import writing

    monkeypatch.setattr(writing, "BULK_ROWS", 2)  # every usage file here takes the bulk path
    accounts = csv_bytes(ACCOUNTS_HEADER, "A-1,Clinic,Health,US,2024-01-01,partner,Pro,10,False,False")
    subscriptions = csv_bytes(SUBSCRIPTIONS_HEADER,
                              "S-1,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True",
                              "S-2,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True",
                              "S-3,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True",
                              "S-4,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True")
    first = import_files({"ravenstack_accounts.csv": accounts, "ravenstack_subscriptions.csv": subscriptions,
                          "ravenstack_feature_usage.csv": csv_bytes(
                              USAGE_HEADER, "U-1,S-1,2024-06-01,ehr_sync,10,60,1,False",
                              "U-2,S-1,2024-06-01,reports,5,60,0,False", "U-3,S-2,2024-06-02,reports,2,60,0,False",
                              "U-6,S-4,2024-06-02,reports,1,60,0,False")})
    assert first.ok and first.counts()["usage"]["inserted"] == 4
    assert stored_days() == days_from_rows()
    assert len(stored_days()) == 3

    # Later rows of one known subscription and of a new one (rebuilds those two of the four), and a change.
    again = import_files({"ravenstack_feature_usage.csv": csv_bytes(
        USAGE_HEADER, "U-1,S-1,2024-06-01,ehr_sync,10,60,1,False", "U-2,S-1,2024-06-01,reports,7,60,0,False",
        "U-4,S-1,2024-06-01,labs,1,60,0,False", "U-5,S-3,2024-06-05,fhir_api,4,60,2,False")})
    assert again.ok and (again.counts()["usage"]["inserted"], again.counts()["usage"]["updated"]) == (2, 1)
    assert stored_days() == days_from_rows()
    # A day is one row per 62 features (its word): the features' numbers depend on what the database met before.
    assert day_total("S-1", "usage_count") == 18
    assert day_total("S-3", "integration_errors") == 2
    # Rows written one by one afterwards still reach their day through the trigger.
    add(m.Subscription.objects.get(external_id="S-2"), "reports", 3, date=dt.date(2024, 6, 2))
    assert stored_days() == days_from_rows()


def test_a_big_import_writes_the_days_in_date_order(monkeypatch):
    """The day table's BRIN index (accounts.UsageDay) is only as good as its order on disk: a rebuild writes the days
    date by date, whatever the order of the subscriptions and the rows."""
    from accounts.importing import writing

    monkeypatch.setattr(writing, "BULK_ROWS", 2)
    accounts = csv_bytes(ACCOUNTS_HEADER, "A-1,Clinic,Health,US,2024-01-01,partner,Pro,10,False,False")
    subscriptions = csv_bytes(SUBSCRIPTIONS_HEADER,
                              "S-1,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True",
                              "S-2,A-1,2024-01-01,,Pro,10,100,1200,False,False,False,False,monthly,True")
    usage = csv_bytes(USAGE_HEADER, "U-1,S-1,2024-06-03,reports,1,60,0,False",
                      "U-2,S-1,2024-06-01,reports,2,60,0,False", "U-3,S-2,2024-06-02,reports,3,60,0,False",
                      "U-4,S-2,2024-05-30,labs,4,60,0,False", "U-5,S-1,2024-06-02,labs,5,60,0,False")
    result = import_files({"ravenstack_accounts.csv": accounts, "ravenstack_subscriptions.csv": subscriptions,
                           "ravenstack_feature_usage.csv": usage})
    assert result.ok

    with connection.cursor() as cursor:
        cursor.execute("SELECT date FROM accounts_usageday ORDER BY ctid")
        on_disk = [row[0] for row in cursor.fetchall()]
    assert on_disk == [dt.date(2024, 5, 30), dt.date(2024, 6, 1), dt.date(2024, 6, 2), dt.date(2024, 6, 2),
                       dt.date(2024, 6, 3)]
    assert stored_days() == days_from_rows()


def test_the_triggers_are_the_only_writers_needed():
    # Raw SQL that bypasses Django entirely is kept too.
    subscription = factories.SubscriptionFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_usagerecord (subscription_id, usage_id, date, feature_name, usage_count, "
            "usage_duration_secs, error_count, is_beta) VALUES (%s, 'U-RAW', %s, 'scheduling', 9, 0, 1, false)",
            [subscription.pk, DAY])

    assert [(u, e) for _, _, _, u, e, *_ in stored_days()] == [(9, 1)]
    assert stored_days() == days_from_rows()
