"""Renewals, revenue retention, lost ARR by churn reason and the ROI report (docs/pages.md#renewals,
docs/pages.md#roi) on a small hand-built book whose every figure is worked out below by hand.

Months are counted back from this month (P0): P0-12 .. P0-1 are the twelve complete months revenue retention
reads, so the figures hold whatever day the suite runs. The accounts (CSM Alice Adams: A1 A3 A6 A7; Bob Brown:
A2 A5 A8 A9; nobody: A4):
- A1 SMB, 12,000 since long ago; an expansion signal's opportunity won on day 10 of P0-9 (+100 MRR = +1,200 ARR).
- A2 SMB, 24,000 until day 15 of P0-11, churned that day (pricing); an older churn (budget) in P0-14.
- A3 Enterprise, 36,000 until the last day of P0-7, then 30,000 from the first of P0-6 (a contraction).
- A4 Enterprise, no CSM, 48,000 from the first of P0-1 (it starts paying inside the year: not in its cohort).
- A5 no segment, 6,000 since long ago; an expansion won on the first of P0-3 (+50 MRR = +600 ARR); ended and
  churned on day 20 of P0-2 (competitor), losing 6,600.
- A6 SMB, no subscription, a churn event without reason on the first of P0-5 (lost 0).
- A7 Mid-Market, 10,000 from the first of P0 (new this month).
Twelve months: the cohort is A1 A2 A3 A5 with s = 12,000 + 24,000 + 36,000 + 6,000 = 78,000 and e = 13,200 + 0 +
30,000 + 0 = 43,200: GRR = (12,000 + 30,000) / 78,000 = 7/13, NRR = 43,200 / 78,000 = 36/65.
"""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ChurnReason
from expansion.models import ExpansionSignal, Opportunity, Stage
from interventions.models import TaskStatus
from scoring.models import ChurnModel, ChurnPrediction
from tests.factories import (
    AccountFactory,
    ChurnEventFactory,
    InterventionFactory,
    PlaybookFactory,
    SnapshotFactory,
    SubscriptionFactory,
    TaskFactory,
    UserFactory,
)
from workspace.digests import weekly_summary
from workspace.revenue import lost_by_reason, renewals, revenue_retention
from workspace.roi import roi

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
P0 = pd.Period(TODAY, freq="M")
LONG_AGO = dt.date(2020, 1, 1)
ROI_DAY = dt.date(2025, 3, 1)


def first(k: int) -> dt.date:
    """The first day of month P0 + k."""
    return (P0 + k).start_time.date()


def day(k: int, number: int) -> dt.date:
    return first(k) + dt.timedelta(days=number - 1)


def last(k: int) -> dt.date:
    return (P0 + k).end_time.date()


def moment(date: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, dt.time(12)))


def _won(account, amount: str, closed: dt.date, *, signal: bool = True, stage: str = Stage.WON) -> Opportunity:
    opportunity = Opportunity.objects.create(account=account, title=f"Seats for {account.name}", stage=stage,
                                             amount=Decimal(amount), created_at=moment(closed) - dt.timedelta(days=30),
                                             closed_at=moment(closed))
    if signal:
        ExpansionSignal.objects.create(account=account, kind="team_growth", status="dismissed",
                                       first_detected_on=closed - dt.timedelta(days=40),
                                       last_detected_on=closed - dt.timedelta(days=31), summary="Seats added",
                                       opportunity=opportunity)
    return opportunity


def _book() -> dict:
    alice = UserFactory(username="alice", first_name="Alice", last_name="Adams", role="CSM")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Brown", role="CSM")
    manager = UserFactory(username="boss", first_name="Mia", last_name="Manager", role="Manager")
    a = {}
    a["A1"] = AccountFactory(external_id="A1", name="Alder Clinic", segment="SMB", csm=alice,
                             renewal_date=first(1) + dt.timedelta(days=9))
    a["A2"] = AccountFactory(external_id="A2", name="Birch Health", segment="SMB", csm=bob, churned=True,
                             renewal_date=TODAY + dt.timedelta(days=47))
    a["A3"] = AccountFactory(external_id="A3", name="Cedar Hospital", segment="Enterprise", csm=alice,
                             renewal_date=TODAY + dt.timedelta(days=5))
    a["A4"] = AccountFactory(external_id="A4", name="Dogwood System", segment="Enterprise", csm=None,
                             renewal_date=first(4))
    a["A5"] = AccountFactory(external_id="A5", name="Elm Practice", segment="", csm=bob, churned=True)
    a["A6"] = AccountFactory(external_id="A6", name="Fir Clinic", segment="SMB", csm=alice, churned=True)
    a["A7"] = AccountFactory(external_id="A7", name="Ginkgo Care", segment="Mid-Market", csm=alice, renewal_date=TODAY)
    a["A8"] = AccountFactory(external_id="A8", name="Hazel Group", csm=bob, renewal_date=first(12))
    a["A9"] = AccountFactory(external_id="A9", name="Ivy Medical", csm=bob, renewal_date=TODAY - dt.timedelta(days=5))
    SubscriptionFactory(account=a["A1"], start_date=LONG_AGO, arr=Decimal("12000"))
    _won(a["A1"], "100", day(-9, 10))
    _won(a["A1"], "999", day(-9, 12), signal=True, stage=Stage.LOST)  # lost: no ARR
    SubscriptionFactory(account=a["A2"], start_date=LONG_AGO, end_date=day(-11, 15), arr=Decimal("24000"))
    ChurnEventFactory(account=a["A2"], churn_date=day(-11, 15), reason_code="pricing")
    ChurnEventFactory(account=a["A2"], churn_date=day(-14, 10), reason_code="budget")  # older than a year
    SubscriptionFactory(account=a["A3"], start_date=LONG_AGO, end_date=last(-7), arr=Decimal("36000"))
    SubscriptionFactory(account=a["A3"], start_date=first(-6), arr=Decimal("30000"))
    SubscriptionFactory(account=a["A4"], start_date=first(-1), arr=Decimal("48000"))
    SubscriptionFactory(account=a["A5"], start_date=LONG_AGO, end_date=day(-2, 20), arr=Decimal("6000"))
    _won(a["A5"], "50", first(-3), signal=False)
    ChurnEventFactory(account=a["A5"], churn_date=day(-2, 20), reason_code="competitor")
    ChurnEventFactory(account=a["A6"], churn_date=first(-5), reason_code="")
    SubscriptionFactory(account=a["A7"], start_date=first(0), arr=Decimal("10000"))
    scored = TODAY - dt.timedelta(days=1)
    for ext, level in (("A1", "Medium"), ("A3", "High"), ("A4", "Low")):
        SnapshotFactory(account=a[ext], as_of=scored, risk_level=level, arr=Decimal("1"))
    model = ChurnModel.objects.create(version=1, status="active", trigger="command", trained_from=LONG_AGO,
                                      trained_to=LONG_AGO)
    ChurnPrediction.objects.create(account=a["A1"], as_of=TODAY - dt.timedelta(days=14), model=model,
                                   probability=0.5, band="High")
    ChurnPrediction.objects.create(account=a["A1"], as_of=scored, model=model, probability=0.2, band="Medium")
    _roi_book(alice)
    return {"alice": alice, "bob": bob, "manager": manager, "accounts": a}


def _roi_book(csm) -> None:
    """The ROI report up to ROI_DAY (2025-03-01; the year from 2024-03-02): treated R1-R4 (10,000 ARR each at the
    trigger, R1 churns within 90 days, R2 only after them) and control C1-C2 (C1 churns within 90 days); the
    interventions outside the year, after its last trigger day (2024-12-01), a second one of R1 and one of an
    expansion playbook do not count. Treated retention 3/4, control 1/2: uplift 1/4, saved ARR 40,000 x 1/4 =
    10,000. Expansion: one opportunity won from a signal in the year, 500 MRR = 6,000 ARR. Done tasks in the year:
    4 calls, 2 e-mails, 1 task."""
    risk = PlaybookFactory(name="Critical save", trigger_kind="tier", trigger_value="Critical")
    growth = PlaybookFactory(name="Grow", trigger_kind="expansion", trigger_value="team_growth")
    fired = dt.date(2024, 6, 1)
    people = {ext: AccountFactory(external_id=ext, name=f"ROI {ext}", csm=csm, segment="SMB")
              for ext in ("R1", "R2", "R3", "R4", "C1", "C2", "X1")}
    treated = [InterventionFactory(account=people[ext], playbook=risk, triggered_on=fired, arr=Decimal("10000"))
               for ext in ("R1", "R2", "R3", "R4")]
    for ext in ("C1", "C2"):
        InterventionFactory(account=people[ext], playbook=risk, triggered_on=fired, arr=Decimal("5000"),
                            group="control", status="control")
    InterventionFactory(account=people["R1"], playbook=risk, triggered_on=dt.date(2024, 8, 1), arr=Decimal("99999"),
                        status="completed")
    InterventionFactory(account=people["X1"], playbook=risk, triggered_on=dt.date(2024, 12, 20), arr=Decimal("7"))
    InterventionFactory(account=people["X1"], playbook=risk, triggered_on=dt.date(2024, 3, 1), arr=Decimal("7"),
                        status="completed")
    InterventionFactory(account=people["X1"], playbook=growth, triggered_on=dt.date(2024, 6, 1), arr=Decimal("7"))
    ChurnEventFactory(account=people["R1"], churn_date=dt.date(2024, 7, 1))
    ChurnEventFactory(account=people["R2"], churn_date=dt.date(2024, 10, 15))
    ChurnEventFactory(account=people["C1"], churn_date=dt.date(2024, 6, 20))
    _won(people["R3"], "500", dt.date(2024, 9, 10))
    _won(people["R4"], "300", dt.date(2024, 9, 10), signal=False)
    _won(people["R4"], "700", dt.date(2023, 9, 10))
    work = treated[1]
    for channel, n in (("call", 4), ("email", 2), ("task", 1)):
        for _ in range(n):
            TaskFactory(intervention=work, channel=channel, status=TaskStatus.DONE, done_at=moment(dt.date(2024, 6, 2)))
    TaskFactory(intervention=work, channel="call")  # open: no hours yet
    TaskFactory(intervention=work, channel="call", status=TaskStatus.DONE, done_at=moment(dt.date(2023, 6, 2)))


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """The book, built once for the module inside a transaction rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _book()
        transaction.set_rollback(True)


# Renewals ------------------------------------------------------------------------------------------------------

def test_renewals_by_month_quarter_and_the_ones_ahead_with_their_forecast(book):
    found = renewals(book["manager"], TODAY)

    # A7 today (not scored: 75 %), A3 in 5 days (High: 50 %), A1 after the first of next month (the model's 20 %
    # churn of the latest scoring day, not the 50 % of two weeks before: 80 %), A4 on the first of P0+4 (Low:
    # 95 %); A2 is churned, A8 beyond the twelve months, A9 past.
    expected = {"A7": (TODAY, 10000.0, 7500.0), "A3": (TODAY + dt.timedelta(days=5), 30000.0, 15000.0),
                "A1": (first(1) + dt.timedelta(days=9), 13200.0, 10560.0), "A4": (first(4), 48000.0, 45600.0)}
    months: dict[str, list] = {str(P0 + k): [0, 0.0, 0.0] for k in range(12)}
    quarters: dict[str, list] = {}
    for when, arr, forecast in expected.values():
        for bucket in (months.setdefault(str(pd.Period(when, freq="M")), [0, 0.0, 0.0]),
                       quarters.setdefault(str(pd.Period(when, freq="Q")), [0, 0.0, 0.0])):
            bucket[0] += 1
            bucket[1] += arr
            bucket[2] += forecast
    assert [(m.label, m.accounts, m.arr, m.forecast) for m in found.months] == [
        (label, *values) for label, values in months.items()]
    shown_quarters = {q.label: [q.accounts, q.arr, q.forecast] for q in found.quarters if q.accounts}
    assert shown_quarters == quarters
    assert (found.total.accounts, found.total.arr, found.total.forecast) == (4, 101200.0, 78660.0)
    assert [(r["external_id"], r["arr"], r["probability"], r["source"], r["forecast"]) for r in found.upcoming] == [
        ("A7", 10000.0, 0.75, "not scored", 7500.0), ("A3", 30000.0, 0.5, "risk level", 15000.0),
        ("A1", 13200.0, pytest.approx(0.8), "churn model", pytest.approx(10560.0))]


def test_a_csm_sees_the_renewals_of_their_own_book_only(book):
    found = renewals(book["alice"], TODAY)

    assert [r["external_id"] for r in found.upcoming] == ["A7", "A3", "A1"]
    assert (found.total.accounts, found.total.arr) == (3, 53200.0)
    assert renewals(book["bob"], TODAY).total.accounts == 0


# Revenue retention ---------------------------------------------------------------------------------------------

def test_grr_and_nrr_by_month(book):
    retention = revenue_retention(book["manager"], TODAY)

    # (start, churned, contraction, expansion, end) per month from P0-12 to P0-1, worked out in the docstring.
    expected = [(78000, 0, 0, 0, 78000), (78000, 24000, 0, 0, 54000), (54000, 0, 0, 0, 54000),
                (54000, 0, 0, 1200, 55200), (55200, 0, 0, 0, 55200), (55200, 0, 0, 0, 55200),
                (55200, 0, 6000, 0, 49200), (49200, 0, 0, 0, 49200), (49200, 0, 0, 0, 49200),
                (49200, 0, 0, 600, 49800), (49800, 6600, 0, 0, 43200), (43200, 0, 0, 0, 43200)]
    assert [m.label for m in retention.months] == [str(P0 - k) for k in range(12, 0, -1)]
    assert [(m.starting, m.churned, m.contraction, m.expansion, m.ending) for m in retention.months] == expected
    assert [m.accounts for m in retention.months] == [4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2]
    assert retention.months[1].grr == pytest.approx(54000 / 78000)
    assert retention.months[3].grr == 1 and retention.months[3].nrr == pytest.approx(55200 / 54000)
    assert retention.months[6].grr == retention.months[6].nrr == pytest.approx(49200 / 55200)
    assert retention.months[9].nrr == pytest.approx(49800 / 49200)
    assert retention.months[10].grr == pytest.approx(43200 / 49800)


def test_grr_and_nrr_of_the_year_by_segment_and_csm(book):
    retention = revenue_retention(book["manager"], TODAY)

    year = retention.year
    assert (year.accounts, year.starting, year.churned, year.contraction, year.expansion, year.ending) == (
        4, 78000, 30000, 6000, 1200, 43200)
    assert (year.grr, year.nrr) == (pytest.approx(7 / 13), pytest.approx(36 / 65))
    # Enterprise: A3 36,000 -> 30,000; SMB: A1 12,000 -> 13,200 and A2 24,000 -> 0; not set: A5 6,000 -> 0.
    assert [(r.label, r.starting, r.ending, r.grr, r.nrr) for r in retention.by_segment] == [
        ("Enterprise", 36000, 30000, pytest.approx(5 / 6), pytest.approx(5 / 6)),
        ("SMB", 36000, 13200, pytest.approx(1 / 3), pytest.approx(13200 / 36000)),
        ("Not set", 6000, 0, 0, 0)]
    # Alice: A1 and A3, 48,000 -> 43,200 (GRR 42,000 / 48,000); Bob: A2 and A5, 30,000 -> 0.
    assert [(r.label, r.accounts, r.grr, r.nrr) for r in retention.by_csm] == [
        ("Alice Adams", 2, pytest.approx(0.875), pytest.approx(0.9)), ("Bob Brown", 2, 0, 0)]


def test_a_csms_retention_counts_their_own_accounts_only(book):
    year = revenue_retention(book["alice"], TODAY).year

    assert (year.accounts, year.starting, year.ending) == (2, 48000, 43200)


def test_lost_arr_by_churn_reason_over_the_last_year(book):
    lost = lost_by_reason(book["manager"], TODAY)

    # A2's pricing churn lost 24,000; A5's competitor churn 6,000 + 600 expansion; A6 had nothing; A2's budget
    # churn is older than a year; the ROI book's churn is in 2024.
    assert [(r["code"], r["label"], r["events"], r["accounts"], r["lost"]) for r in lost] == [
        ("pricing", ChurnReason.PRICING.label, 1, 1, 24000.0),
        ("competitor", ChurnReason.COMPETITOR.label, 1, 1, 6600.0),
        ("not given", "not given", 1, 1, 0.0)]
    assert [r["share"] for r in lost] == [pytest.approx(24000 / 30600), pytest.approx(6600 / 30600), 0.0]
    assert lost_by_reason(book["alice"], TODAY) == [
        {"code": "not given", "label": "not given", "events": 1, "accounts": 1, "lost": 0.0, "share": None}]


# ROI --------------------------------------------------------------------------------------------------------------

def test_roi_saved_arr_against_control_expansion_cost_and_payback(book, settings):
    settings.ROI_TASK_HOURS = {"call": 1.0, "email": 0.5, "task": 2.0}
    settings.ROI_HOURLY_RATE = 100.0
    settings.ROI_FIXED_COST = 1000.0

    report = roi(ROI_DAY)

    saved = report.saved
    assert (report.start, report.day) == (dt.date(2024, 3, 2), ROI_DAY)
    assert (saved.treated, saved.treated_retained, saved.treated_arr, saved.control, saved.control_retained) == (
        4, 3, 40000.0, 2, 1)
    assert saved.uplift[0] == pytest.approx(0.25)
    # Newcombe's interval of 1/4 (treated churn) against 1/2 (control churn), turned into retention.
    assert (saved.uplift[1], saved.uplift[2]) == (pytest.approx(-0.3553, abs=1e-4), pytest.approx(0.7041, abs=1e-4))
    assert saved.saved == pytest.approx(10000.0)
    assert (saved.saved_low, saved.saved_high) == (pytest.approx(-14210, abs=1), pytest.approx(28163, abs=1))
    assert (report.expansion_count, report.expansion_arr) == (1, 6000.0)
    assert {row["channel"]: (row["tasks"], row["hours"]) for row in report.tasks} == {
        "email": (2, 1.0), "call": (4, 4.0), "in_app": (0, 0.0), "slack": (0, 0.0), "task": (1, 2.0)}
    assert (report.hours, report.labour_cost, report.cost) == (7.0, 700.0, 1700.0)
    assert report.gain == pytest.approx(16000.0)
    assert report.roi == pytest.approx(14300 / 1700)
    assert report.payback_months == pytest.approx(1.275)


def test_roi_without_cost_or_gain_has_no_ratio_and_no_payback(book, settings):
    settings.ROI_FIXED_COST = 0.0

    report = roi(dt.date(2022, 1, 1))

    assert (report.saved.uplift, report.saved.saved, report.expansion_arr, report.cost) == (None, None, 0.0, 0.0)
    assert (report.roi, report.payback_months) == (None, None)


def test_the_weekly_summary_carries_the_roi_in_html_and_plain_text(book, settings):
    settings.ROI_TASK_HOURS = {"call": 1.0, "email": 0.5, "task": 2.0}
    settings.ROI_HOURLY_RATE = 100.0
    settings.ROI_FIXED_COST = 1000.0

    summary = weekly_summary(book["manager"], ROI_DAY)
    text = render_to_string("workspace/weekly_email.txt", {"summary": summary, "site": ""})
    html = render_to_string("workspace/weekly_email.html", {"summary": summary, "site": ""})

    assert summary.roi.saved.saved == pytest.approx(10000.0)
    assert ("Saved ARR: $10,000 (95% interval $-14,210 to $28,163)\nExpansion ARR: $6,000 (1 won from signals)\n"
            "Cost: $1,700; ROI 841%; payback 1.3 months") in text
    assert "Saved ARR $10,000 (95% interval $-14,210 to $28,163); expansion ARR $6,000 from 1 won opportunity; " \
           "cost $1,700; ROI 841%; payback 1.3 months." in html


# Pages ------------------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def today_is_the_books(monkeypatch):
    """The pages' today is the day the module's book was built for, even when the run passes midnight."""
    local_date = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: TODAY if value is None
                        else local_date(value, tz) if tz else local_date(value))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_renewals_page_shows_a_csm_their_own_book_in_a_fixed_number_of_queries(book, django_assert_num_queries):
    client = _client(book["alice"])

    with django_assert_num_queries(11):
        page = client.get(reverse("renewals")).content.decode()
    fragment = client.get(reverse("renewals"), headers={"HX-Request": "true"}).content.decode()

    for text in (page, fragment):
        assert 'href="/accounts/A7/"' in text and 'href="/accounts/A1/"' in text
        assert "Dogwood System" not in text and "Bob Brown" not in text
    assert 'data-chart="renewals"' in page and 'id="charts-data"' in page
    assert "<script>" not in page.replace('<script src=', '').replace('type="application/json"', '')


def test_the_renewals_page_costs_the_same_queries_for_a_manager(book, django_assert_num_queries):
    client = _client(book["manager"])

    with django_assert_num_queries(11):
        page = client.get(reverse("renewals")).content.decode()

    assert 'href="/accounts/A3/"' in page and "Bob Brown" in page


def test_the_roi_page_is_for_managers(book, settings, django_assert_num_queries):
    settings.ROI_FIXED_COST = 1000.0
    manager = _client(book["manager"])

    with django_assert_num_queries(6):
        page = manager.get(reverse("roi") + f"?date={ROI_DAY}")

    assert page.status_code == 200
    assert '<span class="value" data-testid="roi-saved">$10,000</span>' in page.content.decode()
    assert _client(book["alice"]).get(reverse("roi")).status_code == 403
    assert manager.get(reverse("roi") + "?date=2025-02-30").status_code == 400


def test_account_360_offers_marking_churned_only_while_live(book):
    client = _client(book["manager"])

    live = client.get(reverse("account_detail", args=["A7"])).content.decode()
    gone = client.get(reverse("account_detail", args=["A2"])).content.decode()

    assert 'data-testid="churn-form"' in live and 'name="reason_code"' in live
    assert 'data-testid="churn-form"' not in gone and "This account is marked churned." in gone
    assert Account.objects.get(external_id="A7").churned is False
