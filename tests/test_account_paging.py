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
# (risk score, ARR) per scored account: ties on the score, and on score and ARR, broken by the account id.
SCORES = [(80, 900), (80, 900), (80, 100), (55, 300), (55, 300), (55, 300), (20, 0), (90, 50), (20, 700)]
UNSCORED = 4  # accounts without a snapshot that day (one has an older one)


@pytest.fixture
def book():
    ids = [f"P-{n:02d}" for n in range(len(SCORES) + UNSCORED)]
    for n, external_id in sorted(enumerate(ids), key=lambda pair: pair[1][::-1]):  # created out of id order
        account = AccountFactory(external_id=external_id)
        if n < len(SCORES):
            risk, arr = SCORES[n]
            SnapshotFactory(account=account, as_of=DAY, risk_score=risk, arr=Decimal(arr))
        elif n == len(SCORES):
            SnapshotFactory(account=account, as_of=DAY - dt.timedelta(days=7), risk_score=99)
    expected = sorted(((-risk, -arr, ids[n]) for n, (risk, arr) in enumerate(SCORES)))
    riskiest = [external_id for _, _, external_id in expected]
    unscored = sorted(ids[len(SCORES):])
    least = [external_id for _, _, external_id in sorted((risk, arr, i) for risk, arr, i in
                                                         ((-r, -a, i) for r, a, i in expected))]
    return {"risk": riskiest + unscored, "-risk": least + unscored}


def ordered(ordering: str, **filters) -> QuerySet:
    return filter_accounts(with_latest_scores(Account.objects.all()), {"ordering": ordering, **filters}).accounts


@pytest.mark.parametrize("ordering", ["risk", "-risk"])
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
