"""Import of the published RavenStack files: exact counts, idempotence, updates in place."""

import pytest
from django.core.management import call_command

from accounts import models as m
from accounts.importing.services import import_files
from tests.importing import CUSTOMER_MODELS, RAVENSTACK_DIR, database_fingerprint, ravenstack_files

pytestmark = pytest.mark.django_db


def test_it_imports_every_ravenstack_row():
    result = import_files(ravenstack_files())

    assert result.ok, result.problems[:5]
    assert m.Account.objects.count() == 500
    assert m.Subscription.objects.count() == 5000
    assert m.UsageRecord.objects.count() == 25000
    assert m.SupportTicket.objects.count() == 2000
    assert m.ChurnEvent.objects.count() == 600
    assert {t.table: t.inserted for t in result.tables} == {
        "accounts": 500, "subscriptions": 5000, "usage": 25000, "tickets": 2000, "churn_events": 600,
    }


def test_it_keeps_the_rows_that_reuse_a_usage_id():
    import_files(ravenstack_files())

    reused = m.UsageRecord.objects.filter(usage_id="U-0c9318").order_by("subscription__external_id")
    assert [(u.subscription.external_id, u.error_count) for u in reused] == [
        ("S-01b2dc", 3), ("S-0ffab0", 0),
    ]


def test_it_parses_values_as_published():
    import_files(ravenstack_files())

    subscription = m.Subscription.objects.get(external_id="S-8cec59")
    assert (str(subscription.mrr), str(subscription.arr)) == ("2786.00", "33432.00")
    assert subscription.end_date.isoformat() == "2024-04-12"
    assert (subscription.churn_flag, subscription.auto_renew, subscription.billing_frequency) == (
        True, True, "monthly")
    ticket = m.SupportTicket.objects.get(external_id="T-0024de")
    assert ticket.closed_at.isoformat() == "2023-07-28T03:00:00+00:00"
    assert ticket.satisfaction_score is None and ticket.priority == "high"
    churn = m.ChurnEvent.objects.get(external_id="C-816288")
    assert (str(churn.refund_amount), churn.feedback_text) == ("4.03", "switched to competitor")


def test_reimporting_the_same_files_changes_nothing():
    import_files(ravenstack_files())
    before = database_fingerprint()

    again = import_files(ravenstack_files())

    assert again.ok
    assert all(t.inserted == 0 and t.updated == 0 for t in again.tables)
    assert sum(t.unchanged for t in again.tables) == 33100
    assert database_fingerprint() == before


def test_a_changed_row_is_updated_in_place():
    import_files(ravenstack_files())
    subscription_pk = m.Subscription.objects.get(external_id="S-8cec59").pk
    files = ravenstack_files()
    files["ravenstack_subscriptions.csv"] = files["ravenstack_subscriptions.csv"].replace(
        b"S-8cec59,A-3c1a3f,2023-12-23,2024-04-12,Enterprise,14,2786,33432",
        b"S-8cec59,A-3c1a3f,2023-12-23,2024-04-12,Enterprise,16,3000,36000",
    )

    result = import_files(files)

    counts = {t.table: (t.inserted, t.updated) for t in result.tables}
    assert counts["subscriptions"] == (0, 1)
    assert counts["usage"] == (0, 0)
    subscription = m.Subscription.objects.get(external_id="S-8cec59")
    assert (subscription.pk, subscription.seats, str(subscription.arr)) == (subscription_pk, 16, "36000.00")
    assert m.Subscription.objects.count() == 5000


def test_the_command_prints_counts_per_table(capsys):
    call_command("import_data", str(RAVENSTACK_DIR))

    out = capsys.readouterr().out
    assert "ravenstack_feature_usage.csv: 25000 rows (25000 new, 0 updated, 0 unchanged)" in out
    assert "ravenstack_accounts.csv: 500 rows (500 new" in out
    run = m.ImportRun.objects.get()
    assert run.status == m.ImportStatus.SUCCEEDED
    assert run.counts["usage"]["rows"] == 25000


def test_the_bulk_path_keeps_the_foreign_keys(monkeypatch):
    from django.db import connection

    from accounts.importing import writing

    monkeypatch.setattr(writing, "BULK_ROWS", 1000)  # RavenStack's usage file takes the bulk path

    result = import_files(ravenstack_files())

    assert result.ok and m.UsageRecord.objects.count() == 25000
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, m.UsageRecord._meta.db_table)
    assert [c["foreign_key"] for c in constraints.values() if c["foreign_key"]] == [
        ("accounts_subscription", "id")]


def natural_rows() -> dict[str, list[tuple]]:
    """Every row of every customer table without its database ids (references by external id), search vectors
    included: what an import must write whichever way its rows go in."""
    rows = {}
    for model in CUSTOMER_MODELS:
        columns = []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            if f.is_relation:
                columns.append(f"{f.name}__{'email' if f.related_model is m.User else 'external_id'}")
            else:
                columns.append(f.attname)
        rows[model.__name__] = sorted(model.objects.values_list(*columns), key=repr)
    return rows


class _RolledBack(Exception):
    pass


def test_a_first_big_import_goes_straight_into_the_empty_tables_and_writes_what_the_staged_path_writes(monkeypatch):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.importing import writing
    from tests.test_usage_days import days_from_rows, stored_days

    with pytest.raises(_RolledBack), transaction.atomic():
        assert import_files(ravenstack_files()).ok  # every table below 200,000 rows: all staged
        staged = natural_rows()
        raise _RolledBack
    monkeypatch.setattr(writing, "BULK_ROWS", 1000)

    with CaptureQueriesContext(connection) as first:
        result = import_files(ravenstack_files())

    assert result.ok and {t.table: t.inserted for t in result.tables}["usage"] == 25000
    assert natural_rows() == staged
    assert stored_days() == days_from_rows() and stored_days()
    staging = {q["sql"].split()[3] for q in first.captured_queries if q["sql"].startswith("CREATE TEMP TABLE")}
    # 1,000 rows or more into an empty table go straight in; the accounts (500) and churn events (600) are staged.
    assert staging == {'"import_accounts"', '"import_churn_events"', "import_usage_days"}

    # The tables hold rows now: the same files again go through staging and change nothing.
    with CaptureQueriesContext(connection) as again:
        second = import_files(ravenstack_files())
    assert second.ok and all(t.inserted == t.updated == 0 for t in second.tables)
    assert natural_rows() == staged
    assert '"import_usage"' in {q["sql"].split()[3] for q in again.captured_queries
                                if q["sql"].startswith("CREATE TEMP TABLE")}
