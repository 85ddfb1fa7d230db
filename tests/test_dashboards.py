"""The home pages (My queue, team view), Executive and Drivers & insights (issue 4): their figures on a
small hand-built book with known answers, what each role sees, empty states, and query counts that do
not grow with the book."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import AccountFactory, AlertFactory, ChurnEventFactory, SnapshotFactory
from workspace.dashboards import churn_by_month, drivers, executive_summary, renewals_ahead, team_view

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
WEEK_BEFORE = AS_OF - dt.timedelta(days=7)


def fired(*rules: str) -> list[dict]:
    return [{"rule": rule, "points": 10, "reason": f"{rule} fired", "evidence": {}} for rule in rules]


@pytest.fixture
def book(csm, other_csm):
    """Two CSMs' live accounts scored on AS_OF and a week before, a churned one, a long-gone one and an
    unassigned one; churn events in and before the last 12 months."""
    today = timezone.localdate()
    a1 = AccountFactory(external_id="A1", name="Alder Clinic", csm=csm, plan_tier="Pro", segment="SMB",
                        signup_date=dt.date(2023, 1, 1))
    a2 = AccountFactory(external_id="A2", name="Birch Hospital", csm=csm, plan_tier="Pro", segment="Enterprise",
                        signup_date=dt.date(2023, 1, 1), renewal_date=today + dt.timedelta(days=30))
    a3 = AccountFactory(external_id="A3", name="Cedar Practice", csm=other_csm, plan_tier="Basic", segment="SMB",
                        signup_date=dt.date(2023, 1, 1))
    a4 = AccountFactory(external_id="A4", name="Dogwood Trial", csm=other_csm, plan_tier="Basic", segment="SMB",
                        signup_date=dt.date(2024, 9, 1), is_trial=True)
    a5 = AccountFactory(external_id="A5", name="Elm Gone", csm=csm, plan_tier="Pro", segment="SMB", churned=True,
                        signup_date=dt.date(2023, 1, 1))
    a6 = AccountFactory(external_id="A6", name="Fir Long Gone", csm=other_csm, churned=True,
                        signup_date=dt.date(2022, 1, 1))
    AccountFactory(external_id="A7", name="Gum Unassigned", csm=None, signup_date=dt.date(2025, 1, 1))
    SnapshotFactory(account=a1, arr=Decimal("10000"), risk_score=70, risk_level="High", health_tier="Critical",
                    health_score=15, fired_rules=fired("usage_drop", "churn_intent"))
    SnapshotFactory(account=a2, arr=Decimal("20000"), risk_score=40, risk_level="Medium", health_tier="At risk",
                    health_score=45, fired_rules=fired("support_load"))
    SnapshotFactory(account=a3, arr=Decimal("5000"), risk_score=65, risk_level="High", health_tier="High risk",
                    health_score=30, fired_rules=fired("usage_drop"))
    SnapshotFactory(account=a4, arr=Decimal("0"), risk_score=10, risk_level="Low", health_tier="Healthy",
                    health_score=70, fired_rules=fired("trial"))
    SnapshotFactory(account=a5, arr=Decimal("0"), risk_score=90, risk_level="High", health_tier="Critical",
                    health_score=5, fired_rules=fired("usage_drop"))
    for account, tier, level, arr in ((a1, "At risk", "Medium", "10000"), (a2, "Healthy", "Low", "20000"),
                                      (a3, "High risk", "High", "5000"), (a4, "Healthy", "Low", "0")):
        SnapshotFactory(account=account, as_of=WEEK_BEFORE, health_tier=tier, risk_level=level, arr=Decimal(arr))
    ChurnEventFactory(account=a3, churn_date=dt.date(2024, 6, 15), reason_code="budget")  # came back
    ChurnEventFactory(account=a5, churn_date=dt.date(2025, 2, 10), reason_code="pricing",
                      refund_amount=Decimal("100"))
    ChurnEventFactory(account=a6, churn_date=dt.date(2023, 5, 1), reason_code="pricing",
                      refund_amount=Decimal("50"))
    AlertFactory(account=a1, message="Health of Alder fell")
    AlertFactory(account=a3, message="Health of Cedar fell")
    AlertFactory(account=a2, status="resolved", message="Old news")
    return {a.external_id: a for a in (a1, a2, a3, a4, a5, a6)}


# Executive ---------------------------------------------------------------------------------------------

def test_the_executive_figures_of_the_portfolio(book, manager):
    summary = executive_summary(manager, AS_OF)

    assert (summary.live_accounts, summary.churned_accounts, summary.scored_accounts) == (5, 2, 4)
    assert (summary.high_risk, summary.high_risk_share) == (2, 0.5)
    assert summary.arr_total == 35000.0
    assert summary.arr_average == pytest.approx(35000 / 3)  # the trial's zero ARR is not averaged
    assert summary.arr_at_risk == 15000.0 and summary.arr_at_risk_share == pytest.approx(15000 / 35000)
    assert summary.tiers == {"Thriving": 0, "Healthy": 1, "At risk": 1, "High risk": 1, "Critical": 1}


def test_the_tier_trend_counts_each_scoring_date_of_todays_live_accounts(book, manager):
    trend = executive_summary(manager, AS_OF).trend

    assert trend["dates"] == [WEEK_BEFORE.isoformat(), AS_OF.isoformat()]
    assert trend["tiers"] == {"Thriving": [0, 0], "Healthy": [2, 1], "At risk": [1, 1], "High risk": [1, 1],
                              "Critical": [0, 1]}
    assert trend["high_share"] == [25.0, 50.0]
    assert trend["arr_at_risk"] == [5000.0, 15000.0]


def test_churn_rate_per_month_and_over_twelve_months(book, manager):
    churn = churn_by_month(manager, AS_OF)

    assert churn["months"][0] == "2024-04" and churn["months"][-1] == "2025-03" and len(churn["months"]) == 12
    by_month = dict(zip(churn["months"], zip(churn["churned"], churn["rates"], strict=True), strict=True))
    # June 2024: Cedar left (and came back); the customers then were A1, A2, A3 and A5 (A6 gone for good,
    # A4 and A7 not signed up yet).
    assert by_month["2024-06"] == (1, 25.0)
    # February 2025: Elm left; Dogwood and Gum had signed up since, so six customers.
    assert by_month["2025-02"] == (1, 16.67)
    assert by_month["2024-07"] == (0, 0.0)
    assert (churn["lost"], churn["base"], churn["rate"]) == (2, 4, 50.0)


def test_a_csm_gets_the_figures_of_their_own_book_only(book, csm):
    summary = executive_summary(csm, AS_OF)

    assert (summary.live_accounts, summary.churned_accounts, summary.scored_accounts) == (2, 1, 2)
    assert (summary.high_risk, summary.arr_total, summary.arr_at_risk) == (1, 30000.0, 10000.0)
    assert summary.churn["lost"] == 1 and summary.churn["base"] == 3


def test_the_executive_page_shows_the_figures_and_the_chart_data(client, book, manager):
    client.force_login(manager)

    response = client.get(reverse("executive"))

    assertContains(response, '<span class="value" data-testid="arr-at-risk">$15,000</span>', html=True)
    assertContains(response, '<span class="value" data-testid="churn-rate">50.0%</span>', html=True)
    assertContains(response, '<span class="value" data-testid="high-risk-share">50%</span>', html=True)
    assertContains(response, '<span class="value" data-testid="arr-average">$11,667</span>', html=True)
    charts = response.context["charts"]
    assert charts["tiers"]["labels"] == ["Thriving", "Healthy", "At risk", "High risk", "Critical"]
    assert charts["tiers"]["datasets"][0]["data"] == [0, 1, 1, 1, 1]
    assert charts["risk-trend"]["datasets"][0]["data"] == [25.0, 50.0]
    assert charts["churn"]["datasets"][0]["data"][2] == 25.0  # June 2024
    assertContains(response, 'id="charts-data"')
    # Without JavaScript the numbers are there as tables.
    assertContains(response, f"<tr><td>{AS_OF.isoformat()}</td><td>0</td><td>1</td><td>1</td><td>1</td><td>1</td>"
                             "<td>50.0%</td><td>$15,000</td></tr>", html=True)


def test_the_executive_page_of_a_csm_leaves_out_other_books(client, book, csm):
    client.force_login(csm)

    response = client.get(reverse("executive"))

    assertContains(response, '<span class="value" data-testid="arr-total">$30,000</span>', html=True)
    assertContains(response, "Your book")


def test_executive_and_insights_explain_what_to_do_without_data(client, manager, csm):
    client.force_login(manager)
    assertContains(client.get(reverse("executive")), "Import your customer data")
    client.force_login(csm)
    assertContains(client.get(reverse("executive")), "The figures appear once accounts are assigned to you.")
    assertContains(client.get(reverse("insights")), "risk drivers appear after the daily recompute")


def test_executive_without_scores_still_shows_churn_and_says_when_scores_come(client, book, manager):
    from scoring.models import Snapshot

    Snapshot.objects.all().delete()
    client.force_login(manager)

    response = client.get(reverse("executive"))

    assertContains(response, "No scores yet")
    assertContains(response, '<span class="value" data-testid="arr-total">$0</span>', html=True)


# Drivers & insights ------------------------------------------------------------------------------------

def test_risk_by_plan_tier_and_segment(book, manager):
    found = drivers(manager, AS_OF)

    assert found.scored_accounts == 4
    assert [(r["name"], r["accounts"], r["risk"], r["high"], r["arr"], r["arr_at_risk"])
            for r in found.by_plan_tier] == [("Pro", 2, 55.0, 1, 30000.0, 10000.0),
                                             ("Basic", 2, 37.5, 1, 5000.0, 5000.0)]
    assert [(r["name"], r["accounts"], r["risk"], r["high"], r["health"]) for r in found.by_segment] == [
        ("SMB", 3, 48.3, 2, 38.3), ("Enterprise", 1, 40.0, 0, 45.0)]


def test_reason_frequency_counts_each_live_account_once_per_rule(book, manager):
    reasons = drivers(manager, AS_OF).reasons

    assert [(r["rule"], r["label"], r["accounts"], r["arr"]) for r in reasons] == [
        ("usage_drop", "Usage drop", 2, 15000.0), ("churn_intent", "Cancellation language", 1, 10000.0),
        ("support_load", "High support load", 1, 20000.0), ("trial", "Trial customer", 1, 0.0)]
    assert reasons[0]["share"] == 0.5


def test_churn_reason_codes(book, manager, csm):
    codes = drivers(manager, AS_OF).churn_reasons

    assert [(r["code"], r["events"], r["accounts"], r["refunds"], r["last"]) for r in codes] == [
        ("pricing", 2, 2, Decimal("150"), dt.date(2025, 2, 10)), ("budget", 1, 1, Decimal("0"), dt.date(2024, 6, 15))]
    assert [(r["code"], r["events"]) for r in drivers(csm, AS_OF).churn_reasons] == [("pricing", 1)]


def test_the_insights_page_links_each_group_to_the_filtered_list(client, book, manager):
    client.force_login(manager)

    response = client.get(reverse("insights"))

    assertContains(response, '<a href="/accounts/?plan_tier=Basic&amp;risk_level=High">1</a>', html=True)
    assertContains(response, "<td>Cancellation language</td><td>1</td><td>25%</td><td>$10,000</td>", html=True)
    assertContains(response, "<td>pricing</td><td>2</td><td>67%</td><td>2</td><td>$150</td><td>Feb. 10, 2025</td>",
                   html=True)
    assert response.context["charts"]["reasons"]["labels"][0] == "Usage drop"


# Homes -------------------------------------------------------------------------------------------------

def test_the_team_view_per_csm(book, manager, csm, other_csm):
    rows = team_view(manager, AS_OF)

    assert [(r.csm, r.accounts, r.arr, r.high_risk, r.arr_at_risk, r.critical, r.open_alerts, r.renewals)
            for r in rows] == [(csm, 2, 30000.0, 1, 10000.0, 1, 1, 1), (other_csm, 2, 5000.0, 1, 5000.0, 0, 1, 0),
                               (None, 1, 0.0, 0, 0.0, 0, 0, 0)]


def test_renewals_ahead_come_soonest_first_with_their_risk(book, csm):
    today = timezone.localdate()
    AccountFactory(external_id="A8", name="Hazel", csm=csm, renewal_date=today + dt.timedelta(days=5))
    AccountFactory(external_id="A9", name="Ivy", csm=csm, renewal_date=today + dt.timedelta(days=200))

    renewing = renewals_ahead(csm, AS_OF)

    assert [(a.external_id, a.risk_level) for a in renewing] == [("A8", None), ("A2", "Medium")]


def test_my_queue_lists_my_alerts_accounts_at_risk_and_renewals(client, book, csm):
    client.force_login(csm)

    response = client.get(reverse("home"))

    assertContains(response, "<h1>My queue</h1>", html=True)
    assertContains(response, "Health of Alder fell")
    assertNotContains(response, "Health of Cedar fell")
    assertNotContains(response, "Old news")
    assert [s.account.external_id for s in response.context["at_risk"]] == ["A1"]
    assert [a.external_id for a in response.context["renewals"]] == ["A2"]
    assertContains(response, '<span class="value" data-testid="account-count">2</span>', html=True)
    assertNotContains(response, "Cedar Practice")


def test_the_manager_home_shows_the_team(client, book, manager, csm):
    client.force_login(manager)

    response = client.get(reverse("home"))

    assertContains(response, "<h1>Team view</h1>", html=True)
    assertContains(response, f'<a href="/accounts/?csm={csm.email.replace("@", "%40")}&amp;risk_level=High">1</a>',
                   html=True)
    assert [s.account.external_id for s in response.context["at_risk"]] == ["A1", "A3"]  # not the churned A5
    assertContains(response, "Health of Cedar fell")


def test_a_csm_without_accounts_is_told_who_assigns_them(client, csm):
    client.force_login(csm)

    assertContains(client.get(reverse("home")), "No accounts are assigned to you yet.")


# Query counts -------------------------------------------------------------------------------------------

def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["home", "executive", "insights"])
@pytest.mark.parametrize("who", ["manager", "csm"])
def test_dashboard_queries_do_not_grow_with_the_book(client, book, request, url_name, who, csm, other_csm):
    user = request.getfixturevalue(who)
    client.force_login(user)
    queries_for(client, reverse(url_name))  # the session and permission caches warm up
    before = queries_for(client, reverse(url_name))
    for n in range(20):
        account = AccountFactory(csm=csm if n % 2 else other_csm, renewal_date=timezone.localdate())
        SnapshotFactory(account=account, risk_level="High", risk_score=80, health_tier="Critical",
                        fired_rules=fired("usage_drop"), arr=Decimal(1000 + n))
        SnapshotFactory(account=account, as_of=WEEK_BEFORE)
        ChurnEventFactory(account=account, churn_date=dt.date(2024, 12, 1), reason_code=f"code-{n % 3}")
        AlertFactory(account=account)

    assert queries_for(client, reverse(url_name)) == before
