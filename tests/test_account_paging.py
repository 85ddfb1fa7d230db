"""The at-risk list's pages in score order (workspace.filters.PagedAccounts): the scored accounts are read in the
order of the day's score index and the unscored ones follow, so every page must hold exactly the rows of a plain
sort of the whole list, ties and unscored accounts included, in a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from scoring.selectors import with_latest_scores
from tests.factories import AccountFactory, SnapshotFactory
from workspace.filters import filter_accounts

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 31)
# (risk score, ARR, health score) per scored account: ties on the score, and on score and ARR, broken by the account
# id; health ties too, and one account scored without any measure's data (no health score).
SCORES = [(80, 900, 40.0), (80, 900, 40.0), (80, 100, 75.5), (55, 300, None), (55, 300, 12.0), (55, 300, 90.0),
          (20, 0, 40.0), (90, 50, 3.0), (20, 700, 61.0)]
UNSCORED = 4  # accounts without a snapshot that day (one has an older one)


@pytest.fixture
def book():
    ids = [f"P-{n:02d}" for n in range(len(SCORES) + UNSCORED)]
    for n, external_id in sorted(enumerate(ids), key=lambda pair: pair[1][::-1]):  # created out of id order
        account = AccountFactory(external_id=external_id)
        if n < len(SCORES):
            risk, arr, health = SCORES[n]
            SnapshotFactory(account=account, as_of=DAY, risk_score=risk, arr=Decimal(arr), health_score=health)
        elif n == len(SCORES):
            SnapshotFactory(account=account, as_of=DAY - dt.timedelta(days=7), risk_score=99, health_score=1.0)
    scored = list(zip(ids, SCORES, strict=False))
    unscored = sorted(ids[len(SCORES):])
    no_health = sorted([i for i, (_, _, health) in scored if health is None] + unscored)
    with_health = [(i, health) for i, (_, _, health) in scored if health is not None]
    return {
        "risk": [i for i, _ in sorted(scored, key=lambda s: (-s[1][0], -s[1][1], s[0]))] + unscored,
        "-risk": [i for i, _ in sorted(scored, key=lambda s: (s[1][0], s[1][1], s[0]))] + unscored,
        "health": [i for i, _ in sorted(with_health, key=lambda s: (s[1], s[0]))] + no_health,
        "-health": [i for i, _ in sorted(with_health, key=lambda s: (-s[1], s[0]))] + no_health,
    }


def ordered(ordering: str, **filters) -> QuerySet:
    return filter_accounts(with_latest_scores(Account.objects.all()), {"ordering": ordering, **filters}).accounts


@pytest.mark.parametrize("ordering", ["risk", "-risk", "health", "-health"])
def test_every_page_holds_the_rows_of_one_sort_of_the_whole_list(book, ordering):
    whole = book[ordering]
    assert [a.external_id for a in ordered(ordering)] == whole  # the list unsliced: one plain sort
    for size in (1, 2, 4, 5):
        for start in range(0, len(whole) + size, size):
            page = [a.external_id for a in ordered(ordering)[start:start + size]]
            assert page == whole[start:start + size], (ordering, start, size)


def test_a_page_costs_at_most_four_queries_wherever_it_falls(book):
    for start in (0, 8, 9, 12, 20):  # within the scored, across the boundary, within the unscored, past the end
        accounts = ordered("risk")
        with CaptureQueriesContext(connection) as queries:
            list(accounts[start:start + 3])
        assert len(queries) <= 4, (start, len(queries))


def test_a_filter_applies_to_the_scored_and_the_unscored_part(book):
    kept = {"P-00", "P-03", "P-07", "P-10", "P-12"}
    Account.objects.exclude(external_id__in=kept).update(segment="Enterprise")
    Account.objects.filter(external_id__in=kept).update(segment="SMB")
    expected = [external_id for external_id in book["risk"] if external_id in kept]
    pages = [[a.external_id for a in ordered("risk", segment="SMB")[start:start + 2]] for start in (0, 2, 4)]
    assert pages == [expected[0:2], expected[2:4], expected[4:6]]
