"""Expansion signals (docs/expansion.md): every signal at its threshold (on the one-row-per-account book the
functions read), and detection against the database — the book read from usage, tickets and surveys,
suppression at High risk or worse, deduplication, expiry, and the new signals brought into the pipeline."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from accounts.models import UsageFeature
from expansion import detection as s
from expansion.detection import detect_signals
from expansion.models import AdvancedFeature, ExpansionSignal, Opportunity, PlanLimit, SignalStatus, StageChange
from scoring.texts.service import texts_read_pending
from tests.factories import (
    AccountFactory,
    SnapshotFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
    UsageRecordFactory,
)

AS_OF = dt.date(2025, 3, 31)

# The plan limits and advanced features the data migrations ship, whatever ran before.
pytestmark = pytest.mark.usefixtures("migration_defaults")


def book(**columns) -> pd.DataFrame:
    """A book of accounts 1..n: every column a list of per-account values, the rest neutral defaults."""
    n = len(next(iter(columns.values())))
    base = {"plan_tier": ["Pro"] * n, "seats_in_use": [10] * n, "licensed": [20] * n, "mrr": [1000.0] * n,
            "seats_added": [False] * n, "limit": [1000.0] * n, "uses_0": [0.0] * n, "uses_1": [0.0] * n,
            "uses_2": [0.0] * n, "advanced_total": [3] * n, "advanced_used": [0] * n,
            "advanced_names": [[] for _ in range(n)], "api_last": [0.0] * n, "api_prior": [0.0] * n,
            "requests": [0] * n, "integration_requests": [0] * n, "nps": [None] * n,
            "health_tier": ["Healthy"] * n, "risk_level": ["Low"] * n}
    base.update(columns)
    return pd.DataFrame(base, index=pd.Index(range(1, n + 1), name="account_id"))


def fired_ids(fired) -> list[int]:
    return list(fired.rows.index)


def test_usage_limit_fires_above_80_percent_of_the_limit():
    found = s.usage_limit(book(uses_0=[800.0, 800.5, 1200.0], limit=[1000.0, 1000.0, 0.0]))

    assert fired_ids(found) == [2]  # exactly 80% is not above; no limit known is no signal
    assert found.rows.loc[2, "evidence"] == {"uses_30d": 800, "limit": 1000, "share": 0.8, "plan": "Pro"}
    assert found.rows.loc[2, "estimate"] == 200.0  # 20% of MRR 1,000
    assert found.rows.loc[2, "summary"] == "Used 80% of the Pro plan's limit in 30 days (800 of 1,000 uses)"


def test_overage_needs_three_periods_running_over_the_limit():
    found = s.overage(book(uses_0=[1001.0, 1001.0, 1000.0], uses_1=[1001.0, 1200.0, 1500.0],
                           uses_2=[900.0, 1100.0, 1500.0]))

    assert fired_ids(found) == [2]
    assert found.rows.loc[2, "evidence"] == {"uses_by_period": [1001, 1200, 1100], "limit": 1000}
    assert found.rows.loc[2, "estimate"] == 300.0


def test_power_users_use_70_percent_of_the_advanced_features():
    found = s.power_users(book(advanced_used=[2, 3, 7], advanced_total=[3, 3, 10],
                               advanced_names=[["api", "x"], ["a", "api", "x"], list("abcdefg")]))

    assert fired_ids(found) == [2, 3]  # 2 of 3 is 67%; 7 of 10 is exactly 70%
    assert found.rows.loc[2, "estimate"] == 250.0


def test_team_growth_at_95_percent_of_seats_or_seats_added():
    found = s.team_growth(book(seats_in_use=[18, 19, 25, 5], licensed=[20, 20, 20, 20],
                               seats_added=[False, False, False, True], mrr=[1000.0] * 4))

    assert fired_ids(found) == [2, 3, 4]
    assert found.rows.loc[3, "evidence"] == {"seats_in_use": 25, "seats_licensed": 20, "share": 1.25,
                                             "seats_added_90d": False}
    assert found.rows.loc[2, "estimate"] == 200.0  # 4 more seats (20%) at 50 per seat


def test_integration_requests_and_repeated_feature_requests():
    voice = book(integration_requests=[0, 1, 0], requests=[2, 1, 3])

    assert fired_ids(s.integration_request(voice)) == [2]
    assert fired_ids(s.feature_requests(voice)) == [3]


def test_api_growth_above_one_and_a_half_times_with_enough_volume():
    found = s.api_growth(book(api_last=[150.0, 151.0, 500.0], api_prior=[100.0, 100.0, 99.0]))

    assert fired_ids(found) == [2]  # 1.5x is not above; 99 uses before is too little to tell
    assert found.rows.loc[2, "evidence"] == {"api_30d": 151, "api_prior_30d": 100, "ratio": 1.51}


def test_promoters_need_nps_9_or_10_and_a_healthy_score():
    found = s.promoter(book(nps=[8, 9, 10, 10], health_tier=["Healthy", "Thriving", "At risk", "Healthy"]))

    assert fired_ids(found) == [2, 4]


# Detection against the database ---------------------------------------------------------------------

def usage(subscription, days: range, per_day: int, feature: str = "scheduling") -> None:
    for offset in days:
        UsageRecordFactory(subscription=subscription, date=AS_OF - dt.timedelta(days=offset), feature_name=feature,
                           usage_count=per_day)


@pytest.fixture
def accounts(csm):
    """Heavy (usage near its limit, a promoter), Risky (the same usage, High risk) and Quiet."""
    PlanLimit.objects.update_or_create(plan_tier="Pro", defaults={"monthly_uses_per_seat": 50})
    made = {}
    for name, level in (("Heavy", "Low"), ("Risky", "High"), ("Quiet", "Low")):
        account = AccountFactory(name=name, csm=csm, plan_tier="Pro", seats=10)
        subscription = SubscriptionFactory(account=account, seats=20, mrr=Decimal("2000"))
        if name != "Quiet":
            usage(subscription, range(30), 30)  # 900 uses in 30 days against 20 x 50 = 1,000
        SnapshotFactory(account=account, as_of=AS_OF, risk_level=level, health_tier="Healthy")
        made[name] = account
    SurveyResponseFactory(account=made["Heavy"], nps_score=10,
                          responded_at=dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC))
    return made


@pytest.mark.django_db
def test_detection_reads_the_book_suppresses_high_risk_and_opens_opportunities(accounts):
    report = detect_signals(as_of=AS_OF)

    found = sorted(ExpansionSignal.objects.values_list("account__name", "kind", "estimated_mrr"))
    assert found == [("Heavy", "promoter", Decimal("200.00")), ("Heavy", "usage_limit", Decimal("400.00"))]
    assert (report.new, report.suppressed) == (2, 1)
    opportunity = Opportunity.objects.get()
    assert (opportunity.account, opportunity.stage, opportunity.amount, opportunity.owner, opportunity.source_kind) \
        == (accounts["Heavy"], "identified", Decimal("400.00"), accounts["Heavy"].csm, "usage_limit")
    assert set(ExpansionSignal.objects.values_list("opportunity", flat=True)) == {opportunity.pk}
    assert StageChange.objects.get().to_stage == "identified"


@pytest.mark.django_db
def test_a_signal_seen_again_is_refreshed_not_repeated(accounts):
    detect_signals(as_of=AS_OF)
    for name, level in (("Heavy", "Low"), ("Risky", "High"), ("Quiet", "Low")):
        SnapshotFactory(account=accounts[name], as_of=AS_OF + dt.timedelta(days=1), risk_level=level,
                        health_tier="Healthy")

    again = detect_signals(as_of=AS_OF + dt.timedelta(days=1))

    assert (again.new, again.refreshed, again.opportunities) == (0, 2, 0)
    assert ExpansionSignal.objects.count() == 2 and Opportunity.objects.count() == 1
    assert set(ExpansionSignal.objects.values_list("first_detected_on", "last_detected_on")) == {
        (AS_OF, AS_OF + dt.timedelta(days=1))}


@pytest.mark.django_db
def test_a_signal_not_seen_for_30_days_expires(accounts):
    detect_signals(as_of=AS_OF)

    report = detect_signals(as_of=AS_OF + dt.timedelta(days=31))  # usage and the survey are out of the windows

    assert report.expired == 2
    assert set(ExpansionSignal.objects.values_list("status", flat=True)) == {SignalStatus.EXPIRED}


@pytest.mark.django_db
def test_integration_and_feature_requests_are_read_from_the_texts(accounts):
    for subject in ("Feature request: HL7 interface to our lab", "Feature request: dark mode",
                    "Feature request: export to Excel"):
        SupportTicketFactory(account=accounts["Quiet"], subject=subject, body="Would love to see this.",
                             submitted_at=dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC))
    texts_read_pending()  # as the recompute does before the signals are detected

    detect_signals(as_of=AS_OF)

    assert sorted(ExpansionSignal.objects.filter(account=accounts["Quiet"]).values_list("kind", flat=True)) == [
        "feature_requests", "integration_request"]


# (text, names an integration): word boundaries, cases, letters beyond ASCII on either side of a word (é is a word
# character to Python, the long s a case of s, a full-width letter no case of an ASCII one), a NUL byte, a blank.
INTEGRATION_TEXTS = [
    ("Feature request: HL7 interface to our lab", True), ("An API, please", True), ("APIs", False),
    ("rapid export", False), ("INTEGRATIONS for billing", True), ("sync_jobs nightly", True), ("éapi", False),
    ("apié", False), ("apiß", False), ("café: an api", True), ("\u017fync with Epic", True), ("Ｆapi", False),
    ("\u212aapi", False), ("Schnittstelle zum KIS", False), ("connector\x00", True), ("", False),
]


@pytest.mark.parametrize("dtype", ["str", object])
def test_integration_words_are_found_in_ascii_texts_together_and_in_the_others_as_python_reads_them(dtype):
    texts = pd.Series([text for text, _ in INTEGRATION_TEXTS], dtype=dtype)

    found = s.names_integration(texts)

    assert found.tolist() == [named for _, named in INTEGRATION_TEXTS]
    assert found.tolist() == [bool(s.INTEGRATION_WORDS.search(text)) for text in texts]


@pytest.mark.django_db
def test_account_360_shows_the_signals_and_opportunities(client, accounts):
    detect_signals(as_of=AS_OF)
    client.force_login(accounts["Heavy"].csm)

    response = client.get(f"/accounts/{accounts['Heavy'].external_id}/")

    assert [x.kind for x in response.context["expansion_signals"]] == ["promoter", "usage_limit"]
    assert [o.title for o in response.context["opportunities"]] == ["Usage above 80% of the plan's limit"]
    assert "Used 90% of the Pro plan&#x27;s limit in 30 days (900 of 1,000 uses)" in response.content.decode()


@pytest.mark.django_db
def test_the_at_risk_list_filters_expansion_ready_accounts(client, manager, accounts):
    detect_signals(as_of=AS_OF)
    # A signal left open on an account now at High risk does not make it ready.
    ExpansionSignal.objects.create(account=accounts["Risky"], kind="promoter", first_detected_on=AS_OF,
                                   last_detected_on=AS_OF, summary="Promoter")
    client.force_login(manager)

    ready = client.get("/accounts/", {"expansion_ready": "true"}).context["page"].object_list
    others = client.get("/accounts/", {"expansion_ready": "false"}).context["page"].object_list
    bad = client.get("/accounts/", {"expansion_ready": "maybe"})

    assert [a.name for a in ready] == ["Heavy"]
    assert sorted(a.name for a in others) == ["Quiet", "Risky"]
    assert "expansion_ready: &#x27;maybe&#x27; is not yes or no" in bad.content.decode()
    api = client.get("/api/accounts/", {"expansion_ready": "true"}).json()
    assert [a["name"] for a in api["results"]] == ["Heavy"]


@pytest.mark.django_db
def test_a_book_without_usage_or_texts_detects_nothing_and_does_not_fail(csm):
    account = AccountFactory(csm=csm, seats=5)
    SubscriptionFactory(account=account, seats=20)
    SnapshotFactory(account=account, as_of=AS_OF)

    report = detect_signals(as_of=AS_OF)

    assert (report.new, report.suppressed) == (0, 0) and not ExpansionSignal.objects.exists()


@pytest.mark.django_db
def test_usage_of_features_numbered_past_the_first_word_counts(csm):
    """A book with more than 62 feature names keeps its later features' days in further words: their uses
    count towards the plan limit like any other."""
    UsageFeature.objects.bulk_create(UsageFeature(name=f"feature-{n:02}", integration=False) for n in range(70))
    PlanLimit.objects.update_or_create(plan_tier="Pro", defaults={"monthly_uses_per_seat": 50})
    account = AccountFactory(name="Late features", csm=csm, plan_tier="Pro", seats=10)
    subscription = SubscriptionFactory(account=account, seats=20, mrr=Decimal("2000"))
    usage(subscription, range(30), 30, feature="zz-scheduling")  # registered after the 70 above
    assert UsageFeature.objects.get(name="zz-scheduling").pk > 62 + UsageFeature.objects.order_by("pk").first().pk

    detect_signals(as_of=AS_OF)

    assert list(ExpansionSignal.objects.values_list("kind", "estimated_mrr")) == [("usage_limit", Decimal("400.00"))]


@pytest.mark.django_db
def test_the_book_reads_periods_advanced_features_and_api_uses_from_the_usage(csm):
    """The usage side of the book as the database adds it up: the three 30-day periods, the advanced features used
    in the last 30 days (one numbered past the first word of the days' feature bits; a day with no use and a use
    before the window do not count) and the API uses of the last and prior 30 days (only features whose name has
    "api" as a word of its own)."""
    first = UsageFeature.objects.create(name="adv-a", integration=False)
    UsageFeature.objects.bulk_create(UsageFeature(name=f"filler-{n:02}", integration=False) for n in range(70))
    AdvancedFeature.objects.all().delete()
    AdvancedFeature.objects.bulk_create(AdvancedFeature(name=name)
                                        for name in ("adv-a", "adv-b", "zz-adv-late", "adv-nobody-uses"))
    account = AccountFactory(name="Usage", csm=csm, plan_tier="Pro", seats=10)
    subscription = SubscriptionFactory(account=account, seats=20, mrr=Decimal("2000"))
    other = SubscriptionFactory(account=account, seats=5, mrr=Decimal("500"))
    usage(subscription, range(1, 2), 4, feature="adv-a")
    usage(other, range(5, 6), 6, feature="zz-adv-late")  # the account's other subscription counts too
    usage(subscription, range(2, 3), 0, feature="adv-b")  # a row, but no use
    usage(subscription, range(40, 41), 9, feature="adv-b")  # used, before the last 30 days
    usage(subscription, range(30), 10, feature="lab-api")  # 300 API uses in the last 30 days
    usage(subscription, range(30, 60), 5, feature="lab-api")  # 150 in the 30 before
    usage(subscription, range(60, 90), 2, feature="rapid")  # "api" inside a word: not an API feature
    assert (UsageFeature.objects.get(name="zz-adv-late").pk - 1) // 62 > (first.pk - 1) // 62  # another word

    row = s.fetch_book(AS_OF).loc[account.pk]

    assert (row["uses_0"], row["uses_1"], row["uses_2"]) == (4 + 6 + 300.0, 150.0 + 9, 60.0)
    assert (row["advanced_total"], row["advanced_used"], row["advanced_names"]) == (3, 2, ["adv-a", "zz-adv-late"])
    assert (row["api_last"], row["api_prior"]) == (300.0, 150.0)
