"""The aggregate queries behind scoring (scoring.fetch) on a small book in the database: each count
and date per account, at the edges of its window."""

import datetime as dt

import pandas as pd
import pytest

from accounts import models as m
from scoring.config import default_config, parse_config
from scoring.fetch import AccountRange, load_book
from scoring.texts.service import texts_read_pending
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 12, 31)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def load():
    config = parse_config(default_config())
    return load_book(AS_OF, AccountRange(), alerts=config.alerts, trend_days=config.trend_days)


def test_active_contacts_engaged_in_the_last_90_days_are_counted_once_each():
    account = factories.AccountFactory()
    stays = factories.ContactFactory(account=account)
    quiet = factories.ContactFactory(account=account)
    left_after = factories.ContactFactory(account=account, left_date=AS_OF + dt.timedelta(days=5))
    left_before = factories.ContactFactory(account=account, left_date=days_before(10), is_active=False)
    for contact, day in ((stays, days_before(1)), (stays, days_before(2)), (quiet, days_before(91)),
                         (left_after, days_before(89)), (left_before, days_before(20))):
        factories.TouchpointFactory(account=account, contact=contact, occurred_at=at(day))
    factories.TouchpointFactory(account=account, contact=None, occurred_at=at(days_before(3)))

    data = load()

    # Active on as_of: stays, quiet and left_after; of those, stays and left_after engaged lately.
    assert data.contacts.loc[account.pk, ["contacts_active", "engaged_active"]].tolist() == [3, 2]
    assert data.touchpoints.loc[account.pk, "touchpoints_90"] == 5


def test_ticket_counts_use_their_windows_and_the_last_ticket_looks_back_a_year():
    account = factories.AccountFactory()
    for day, score, escalated in ((days_before(0), 2, True), (days_before(30), None, False),
                                  (days_before(31), 5, False), (days_before(89), 4, False),
                                  (days_before(200), 1, False)):
        factories.SupportTicketFactory(account=account, submitted_at=at(day), satisfaction_score=score,
                                       escalated=escalated)
    old_only = factories.AccountFactory()
    factories.SupportTicketFactory(account=old_only, submitted_at=at(days_before(300)))
    factories.SupportTicketFactory(account=old_only, submitted_at=at(days_before(366)))
    factories.SupportTicketFactory(account=old_only, submitted_at=at(AS_OF + dt.timedelta(days=1), 0))

    tickets = load().tickets

    row = tickets.loc[account.pk]
    assert (row.tickets_30, row.rated_30, row.satisfaction_sum_30, row.escalated_30) == (2, 1, 2, 1)
    assert (row.tickets_90, row.rated_90, row.satisfaction_sum_90) == (4, 3, 11)
    assert pd.Timestamp(row.last_ticket) == at(days_before(0))
    old = tickets.loc[old_only.pk]
    assert (old.tickets_30, old.tickets_90, pd.Timestamp(old.last_ticket)) == (0, 0, at(days_before(300)))


def test_intent_items_are_the_customers_words_of_the_rules_look_back():
    account = factories.AccountFactory()
    factories.SupportTicketFactory(external_id="T-IN", account=account, submitted_at=at(days_before(30)),
                                   body="We won't renew.")
    factories.SupportTicketFactory(external_id="T-OLDER", account=account, submitted_at=at(days_before(180)),
                                   body="We won't renew.")
    factories.SupportTicketFactory(account=account, submitted_at=at(days_before(181)), body="We won't renew.")
    factories.TouchpointFactory(external_id="TP-IN", account=account, occurred_at=at(days_before(1)),
                                kind=m.TouchpointKind.CALL, text="They are evaluating other options.")
    factories.TouchpointFactory(account=account, occurred_at=at(days_before(1)), kind=m.TouchpointKind.EMAIL,
                                direction=m.Direction.OUTBOUND, text="Sorry to hear you want to cancel your plan?")

    texts_read_pending()  # as the recompute does before it loads the book

    items = load().intent_items

    said = {**dict(m.SupportTicket.objects.values_list("external_id", "intent_phrase")),
            **dict(m.Touchpoint.objects.values_list("external_id", "intent_phrase"))}
    assert sorted(zip(items["source"], items["item"], items["phrase"], strict=True)) == [
        ("ticket", "T-IN", said["T-IN"]), ("ticket", "T-OLDER", said["T-OLDER"]),
        ("touchpoint", "TP-IN", said["TP-IN"])]
    assert "renew" in said["T-IN"] and "options" in said["TP-IN"]


def test_features_gone_quiet_carry_their_days_of_use_and_last_day():
    subscription = factories.SubscriptionFactory(start_date=dt.date(2024, 1, 1))
    other = factories.SubscriptionFactory(account=subscription.account, start_date=dt.date(2024, 1, 1))

    def use(sub, feature: str, days_ago: range) -> None:
        m.UsageRecord.objects.bulk_create(
            factories.UsageRecordFactory.build(subscription=sub, feature_name=feature, date=days_before(n),
                                               usage_count=3) for n in days_ago)

    use(subscription, "scheduling", range(10, 61))  # daily until 10 days ago
    use(subscription, "billing", range(8, 38, 3))  # every third day of the 30 before the quiet week
    use(other, "billing", range(9, 38, 3))  # and on other days by the account's second subscription
    use(subscription, "reports", range(0, 61))  # in use: not quiet

    quiet = load().quiet_features.sort_values("feature")

    assert quiet["feature"].tolist() == ["billing", "scheduling"]
    assert quiet["days_before"].tolist() == [20, 28]  # days of [as_of - 37, as_of - 8] with use
    assert [d.date() for d in quiet["last_used"]] == [days_before(8), days_before(10)]
    assert set(quiet["account_id"]) == {subscription.account_id}


def test_a_runs_kept_reads_serve_its_later_batches_but_never_a_run_of_the_same_name_on_another_database(
        monkeypatch):
    """A process keeps the whole book's reads between the batches of one run; one that moves to another book (a
    benchmark measuring several sizes) and starts a run of the same name there reads that book afresh."""
    from django.db import connection

    from scoring import fetch

    monkeypatch.setattr(fetch._SHARED, "run", None)
    monkeypatch.setattr(fetch._SHARED, "reads", {})
    reads = []

    def read(book: str):
        def made():
            reads.append(book)
            return book
        return made

    with fetch.shared_reads("day"):
        assert fetch._shared("usage", AS_OF, read("first book")) == "first book"
    with fetch.shared_reads("day"):  # a later batch of the same run on the same book
        assert fetch._shared("usage", AS_OF, read("first book")) == "first book"
    assert reads == ["first book"]

    monkeypatch.setitem(connection.settings_dict, "NAME", connection.settings_dict["NAME"] + "_other")
    with fetch.shared_reads("day"):
        assert fetch._shared("usage", AS_OF, read("other book")) == "other book"
    assert reads == ["first book", "other book"]
