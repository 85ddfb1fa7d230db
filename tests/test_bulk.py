"""healthcs.bulk: many rows in one UPDATE or one INSERT, each column in its own type, other rows untouched."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from expansion.models import ExpansionSignal, Opportunity
from healthcs.bulk import indexes_set_aside, insert_rows, update_rows
from tests.factories import AccountFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 1)


def signal(account, kind: str) -> ExpansionSignal:
    return ExpansionSignal.objects.create(account=account, kind=kind, first_detected_on=DAY, last_detected_on=DAY,
                                          evidence={"share": 0.81}, summary="Usage at 81%", estimated_mrr=Decimal("10"))


def test_every_listed_row_is_updated_in_one_statement_with_its_own_values():
    account = AccountFactory()
    first, second, untouched = (signal(account, kind) for kind in ("usage_limit", "overage", "promoter"))
    opportunity = Opportunity.objects.create(account=account, title="Upsell", amount=Decimal("5"),
                                             created_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    later = dt.date(2025, 3, 9)
    with CaptureQueriesContext(connection) as queries:
        updated = update_rows(ExpansionSignal, ["evidence", "summary", "estimated_mrr", "last_detected_on",
                                                "opportunity"],
                              [(first.pk, {"share": 0.93, "names": ["a", "ü"]}, "Usage at 93% — “quoted”",
                               Decimal("123.45"), later, opportunity.pk),
                               (second.pk, {}, "Over\x7f", Decimal("0.10"), later, None)])
    assert (updated, len(queries)) == (2, 1)
    first.refresh_from_db(), second.refresh_from_db(), untouched.refresh_from_db()
    assert (first.evidence, first.summary, first.estimated_mrr, first.last_detected_on, first.opportunity_id) == (
        {"share": 0.93, "names": ["a", "ü"]}, "Usage at 93% — “quoted”", Decimal("123.45"), later, opportunity.pk)
    assert (second.evidence, second.summary, second.estimated_mrr, second.opportunity_id) == (
        {}, "Over\x7f", Decimal("0.10"), None)
    assert (untouched.evidence, untouched.last_detected_on) == ({"share": 0.81}, DAY)


def test_no_rows_is_no_statement_and_an_unknown_key_changes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert update_rows(ExpansionSignal, ["summary"], []) == 0
    assert len(queries) == 0
    kept = signal(AccountFactory(), "usage_limit")
    assert update_rows(ExpansionSignal, ["summary"], [(kept.pk + 1000, "other")]) == 0
    kept.refresh_from_db()
    assert kept.summary == "Usage at 81%"


def test_insert_rows_writes_in_the_order_given_with_every_other_column_at_its_default_and_returns_what_is_asked():
    account = AccountFactory()
    rows = [(account.pk, "usage_limit", DAY, DAY, {"share": 0.93, "names": ["ü"]}, "Usage at 93% — “quoted”",
             Decimal("123.45")),
            (account.pk, "overage", DAY, DAY, {}, "Over\x7f", Decimal("0.10"))]
    with CaptureQueriesContext(connection) as queries:
        made = insert_rows(ExpansionSignal, ["account", "kind", "first_detected_on", "last_detected_on", "evidence",
                                             "summary", "estimated_mrr"], rows, returning=("id", "kind"))
    assert len(queries) == 1
    assert [kind for _, kind in made] == ["usage_limit", "overage"] and made[0][0] < made[1][0]
    stored = list(ExpansionSignal.objects.order_by("pk").values_list(
        "account", "kind", "first_detected_on", "last_detected_on", "evidence", "summary", "estimated_mrr", "status",
        "opportunity", "closed_at"))
    assert stored == [(*row, "open", None, None) for row in rows]


def test_insert_rows_leaves_out_a_row_that_breaks_a_unique_constraint_when_asked():
    kept = signal(AccountFactory(), "usage_limit")
    values = [(kept.account_id, "usage_limit", DAY, DAY, "again"), (kept.account_id, "promoter", DAY, DAY, "new")]
    fields = ["account", "kind", "first_detected_on", "last_detected_on", "summary"]

    assert insert_rows(ExpansionSignal, fields, values, ignore_conflicts=True, returning=("kind",)) == [("promoter",)]
    assert insert_rows(ExpansionSignal, fields, []) == []
    kept.refresh_from_db()
    assert kept.summary == "Usage at 81%"


def table_schema(table: str) -> tuple[list, list]:
    """The table's constraints and indexes as PostgreSQL defines them (names and definitions)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "ORDER BY conname", [table])
        constraints = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
        return constraints, cursor.fetchall()


def test_indexes_set_aside_drops_what_no_other_table_rests_on_and_builds_it_again_as_it_was():
    from accounts.models import Subscription, Touchpoint

    before = {t: table_schema(t) for t in ("accounts_touchpoint", "accounts_subscription")}
    with transaction.atomic(), connection.cursor() as cursor:
        with indexes_set_aside(cursor, Touchpoint._meta.db_table):
            constraints, indexes = table_schema(Touchpoint._meta.db_table)
            # The search index, the partial and covering indexes, the keys: all gone while the rows go in.
            assert [name for name, _ in indexes] == []
            assert [definition for _, definition in constraints if not definition.startswith("CHECK")] == []
        with indexes_set_aside(cursor, Subscription._meta.db_table):
            constraints, indexes = table_schema(Subscription._meta.db_table)
            # Usage rows and more point at a subscription's primary key: it stays, the rest goes.
            assert [name for name, _ in indexes] == ["accounts_subscription_pkey"]
            assert [d for _, d in constraints if not d.startswith("CHECK")] == ["PRIMARY KEY (id)"]
    assert {t: table_schema(t) for t in before} == before


def test_a_row_that_breaks_a_key_set_aside_fails_the_rebuild_and_nothing_stays():
    from accounts.models import Touchpoint

    account = AccountFactory()
    before = table_schema(Touchpoint._meta.db_table)
    with pytest.raises(IntegrityError, match="accounts_touchpoint_external_id_key"):
        with transaction.atomic(), connection.cursor() as cursor, indexes_set_aside(cursor, "accounts_touchpoint"):
            TouchpointFactory.create_batch(2, account=account, external_id="TP-1")  # nothing refuses the twin yet
    assert table_schema(Touchpoint._meta.db_table) == before
    assert not Touchpoint.objects.exists()
