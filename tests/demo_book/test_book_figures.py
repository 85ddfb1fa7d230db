"""The home page's, CSM books' and weekly summary's figures are counted in the database (workspace.dashboards.
book_groups) instead of from every scored account's row: on the demo book they equal what the accounts' rows give."""

import datetime as dt

import pytest

from accounts.models import User
from scoring.levels import Level
from workspace.dashboards import NO_DATA, book_groups, executive_summary, latest_book, team_view
from workspace.digests import weekly_summary

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["manager", "csm1"])
def test_the_grouped_figures_equal_the_accounts_rows(demo_book, username):
    user = User.objects.get(username=username)
    rows, groups = latest_book(user, demo_book), book_groups(user, demo_book)
    summary = executive_summary(user, demo_book, with_trend=False, groups=groups)

    assert summary.scored_accounts == len(rows) > 0 and summary.high_risk == int(rows["high"].sum()) > 0
    assert summary.arr_total == pytest.approx(rows["arr"].sum())
    assert summary.arr_at_risk == pytest.approx(rows.loc[rows["high"], "arr"].sum())
    assert summary.arr_average == pytest.approx(rows.loc[rows["arr"] > 0, "arr"].mean())
    counted = rows["health_tier"].value_counts()
    assert {tier: n for tier, n in summary.tiers.items() if n} == {tier: int(n) for tier, n in counted.items()}
    assert NO_DATA not in summary.tiers or summary.tiers[NO_DATA] == int(counted.get(NO_DATA, 0))
    by_csm = {row.csm.pk if row.csm else None: row for row in team_view(user, demo_book, groups=groups)}
    for csm_id, own in rows.groupby(rows["csm_id"].fillna(-1)):
        row = by_csm[None if csm_id == -1 else int(csm_id)]
        assert (row.high_risk, row.critical) == (int(own["high"].sum()), int((own["health_tier"] == "Critical").sum()))
        assert (row.arr, row.arr_at_risk) == (pytest.approx(own["arr"].sum()),
                                              pytest.approx(own.loc[own["high"], "arr"].sum()))


def test_the_weekly_summary_counts_levels_and_recoveries_as_the_rows_do(demo_book):
    manager = User.objects.get(username="manager")
    summary = weekly_summary(manager, demo_book)
    now, before = latest_book(manager, summary.as_of), latest_book(manager, summary.week_ago_as_of)

    assert summary.week_ago_as_of == demo_book - dt.timedelta(days=7)
    assert [(r["level"], r["accounts"]) for r in summary.risk_levels] == [
        (level, int((now["risk_level"] == level).sum())) for level in (Level.HIGH, Level.MEDIUM, Level.LOW)]
    assert summary.high_risk_before == int(before["high"].sum())
    assert summary.arr_at_risk_before == pytest.approx(before.loc[before["high"], "arr"].sum())
    recovered = (set(before.loc[before["high"], "account_id"]) & set(now["account_id"])) \
        - set(now.loc[now["high"], "account_id"])
    assert len(summary.recovered) == len(recovered) > 0
