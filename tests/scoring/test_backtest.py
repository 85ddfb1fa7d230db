"""The backtest (scoring.backtest): exact metrics on a hand-built book of ten accounts and two churners; who
is live at a cut-off and who churned after it; point in time (data dated after the cut-off changes nothing
rescored at it); rescoring a date gives what its stored snapshots give; and the churn model judged from its
stored predictions (exact figures, in-sample cut-offs marked, absent without a model and why)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts import models as m
from scoring.backtest import (
    HORIZON_INCOMPLETE,
    account_rows,
    churn_labels,
    churner_rows,
    evaluate,
    live_accounts,
    run_backtest,
    trend_dates,
)
from scoring.fetch import AccountRange, Window, invoices
from scoring.models import ChurnModelStatus
from scoring.services import recompute_scores
from tests.factories import (
    AccountFactory,
    ChurnEventFactory,
    ContactFactory,
    InvoiceFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    TouchpointFactory,
    UsageRecordFactory,
)
from tests.scoring.backtest_book import (
    CUT_OFF,
    build_snapshot_book,
    churn_model,
    hand_built_book,
    store_predictions,
)

D = dt.date(2025, 3, 31)


def test_band_metrics_auc_and_calibration_are_exact_on_a_hand_built_book():
    result = evaluate(hand_built_book(), as_of=D, horizon=90, source="snapshots", latest_data=D)

    assert (result.accounts, result.churners, result.base_rate) == (10, 2, 0.2)
    risk, health = result.predictor("risk"), result.predictor("health")
    high, high_medium = risk.bands
    assert (high.band, high.flagged, high.caught, high.recall, high.precision, high.f1) == ("High", 2, 1, .5, .5, .5)
    assert (high.accuracy, high.lift, high.flagged_share) == (pytest.approx(.8), pytest.approx(2.5), .2)
    assert high_medium.caught_text == "caught 2 of 2 churners"
    assert (high_medium.flagged, high_medium.recall, high_medium.precision) == (5, 1.0, .4)
    assert high_medium.f1 == pytest.approx(0.5714285714)
    assert (high_medium.accuracy, high_medium.lift) == (pytest.approx(.7), pytest.approx(2.0))
    assert risk.auc == pytest.approx(13 / 16)
    assert (risk.scored, risk.unscored) == (10, 0)

    critical, at_risk = health.bands
    assert (critical.flagged, critical.caught, critical.lift) == (2, 1, pytest.approx(2.5))
    assert (at_risk.flagged, at_risk.caught, at_risk.precision, at_risk.recall) == (4, 2, .5, 1.0)
    assert at_risk.f1 == pytest.approx(2 / 3)
    assert health.auc == pytest.approx(13 / 14)  # over the nine accounts with health data
    assert (health.scored, health.unscored) == (9, 1)

    assert [round(b.predicted, 2) for b in risk.calibration] == [0, 0, .05, .1, .2, .35, .45, .5, .65, .7]
    assert [b.observed for b in risk.calibration] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert [b.accounts for b in risk.calibration] == [1] * 10


def test_signals_give_each_rule_and_measure_its_lift_sorted_strongest_first():
    result = evaluate(hand_built_book(), as_of=D, horizon=90, source="snapshots", latest_data=D)

    table = [(s.kind, s.id, s.accounts, s.churners, s.lift) for s in result.signals]
    # payment_health: the nine accounts with data score 50, so its worst quartile is all of them.
    assert table == [("rule", "churn_intent", 2, 2, pytest.approx(5.0)),
                     ("measure", "usage_trend_30d", 3, 2, pytest.approx(10 / 3)),
                     ("rule", "usage_drop", 2, 1, pytest.approx(2.5)),
                     ("measure", "payment_health", 9, 2, pytest.approx(10 / 9)),
                     ("rule", "error_volume", 3, 0, 0.0)]
    trend = next(s for s in result.signals if s.id == "usage_trend_30d")
    assert (trend.auc, trend.churner_share, trend.label) == (1.0, 1.0, "30-day usage trend")
    assert next(s for s in result.signals if s.id == "payment_health").auc == pytest.approx(0.5)


def test_a_book_without_churn_has_no_auc_and_no_lift():
    book = hand_built_book().assign(churned=False)

    result = evaluate(book, as_of=D, horizon=90, source="snapshots", latest_data=D)

    assert result.churners == 0 and result.predictor("risk").auc is None
    assert result.predictor("risk").bands[1].recall is None and result.predictor("risk").bands[1].lift is None
    assert all(s.lift is None for s in result.signals)


def test_the_horizon_is_incomplete_until_the_data_reaches_its_end():
    book = hand_built_book()

    assert evaluate(book, as_of=D, horizon=90, source="s", latest_data=D + dt.timedelta(days=89)).status \
        == HORIZON_INCOMPLETE
    assert evaluate(book, as_of=D, horizon=90, source="s", latest_data=D + dt.timedelta(days=90)).complete


def test_trend_dates_are_a_month_apart_and_end_at_the_chosen_cut_off():
    dates = [D - dt.timedelta(days=n) for n in range(0, 200, 10)]

    assert trend_dates(dates, D - dt.timedelta(days=20), count=3) == [
        D - dt.timedelta(days=80), D - dt.timedelta(days=50), D - dt.timedelta(days=20)]


# Population and labels ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_live_accounts_and_labels_mind_sign_up_churn_and_reactivation():
    live = AccountFactory(external_id="LIVE", signup_date=D - dt.timedelta(days=400))
    AccountFactory(external_id="LATE", signup_date=D + dt.timedelta(days=1))
    gone = AccountFactory(external_id="GONE", signup_date=D - dt.timedelta(days=400))
    ChurnEventFactory(account=gone, churn_date=D - dt.timedelta(days=10))
    back = AccountFactory(external_id="BACK", signup_date=D - dt.timedelta(days=400))
    ChurnEventFactory(account=back, churn_date=D - dt.timedelta(days=100))
    SubscriptionFactory(account=back, start_date=D - dt.timedelta(days=50))
    soon = AccountFactory(external_id="SOON", signup_date=None)
    ChurnEventFactory(account=soon, churn_date=D + dt.timedelta(days=30))
    ChurnEventFactory(account=live, churn_date=D + dt.timedelta(days=91))

    population = live_accounts(D)
    labels = churn_labels(D, 90)

    assert sorted(population["external_id"]) == ["BACK", "LIVE", "SOON"]
    assert labels.to_dict() == {soon.pk: D + dt.timedelta(days=30)}


# Point in time -----------------------------------------------------------------------------------------

def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _small_book() -> list[m.Account]:
    """Three customers with usage, tickets, a champion and invoices up to D (no touchpoints at all)."""
    accounts = []
    for i, (early, late) in enumerate(((40, 40), (40, 5), (30, 25))):
        account = AccountFactory(external_id=f"PIT-{i}", signup_date=D - dt.timedelta(days=300))
        sub = SubscriptionFactory(account=account, start_date=D - dt.timedelta(days=300))
        for days_ago, count in ((50, early), (40, early), (20, late), (5, late)):
            UsageRecordFactory(subscription=sub, date=D - dt.timedelta(days=days_ago), usage_count=count,
                               error_count=i)
        SupportTicketFactory(account=account, submitted_at=_at(D - dt.timedelta(days=7)), satisfaction_score=2 + i)
        ContactFactory(account=account, role=m.ContactRole.CHAMPION)
        InvoiceFactory(account=account, due_date=D - dt.timedelta(days=20), status=m.InvoiceStatus.PAID,
                       paid_at=_at(D - dt.timedelta(days=18)))
        accounts.append(account)
    return accounts


def _add_data_after(accounts: list[m.Account]) -> None:
    """Everything a later day brings: usage, tickets with cancellation words, the book's first touchpoints,
    a failed invoice, a champion leaving, a new trial subscription and a churn event."""
    later = D + dt.timedelta(days=3)
    for account in accounts:
        sub = account.subscriptions.first()
        UsageRecordFactory(subscription=sub, date=later, usage_count=500, error_count=50)
        SupportTicketFactory(account=account, submitted_at=_at(later), escalated=True, satisfaction_score=1,
                             subject="We will cancel", body="We are cancelling our contract at renewal.")
        TouchpointFactory(account=account, occurred_at=_at(later), kind=m.TouchpointKind.CALL,
                          text="They plan to cancel and move to a competitor.")
        InvoiceFactory(account=account, due_date=later, status=m.InvoiceStatus.FAILED)
        m.Contact.objects.filter(account=account, role=m.ContactRole.CHAMPION).update(
            is_active=False, left_date=later)
        SubscriptionFactory(account=account, start_date=later, is_trial=True, downgrade_flag=True)
    ChurnEventFactory(account=accounts[1], churn_date=later)


SCORE_COLUMNS = ["external_id", "risk_score", "risk_level", "health_score", "health_tier"]


def _scores(result) -> list[dict]:
    return result.book.sort_values("external_id")[SCORE_COLUMNS].to_dict("records")


@pytest.mark.django_db
def test_data_dated_after_the_cut_off_leaves_the_rescored_results_unchanged():
    accounts = _small_book()
    before = run_backtest(as_of=D, horizon=90, rescore=True)
    signals_before = sorted((s.id, s.accounts) for s in before.signals)

    _add_data_after(accounts)
    after = run_backtest(as_of=D, horizon=90, rescore=True)

    assert before.source == after.source == "rescored"
    assert _scores(after) == _scores(before)
    assert sorted((s.id, s.accounts) for s in after.signals) == signals_before
    assert (before.churners, after.churners) == (0, 1)  # only the label sees the later churn


@pytest.mark.django_db
def test_an_invoice_paid_after_the_cut_off_was_unpaid_on_it():
    account = _small_book()[0]
    InvoiceFactory(account=account, due_date=D - dt.timedelta(days=5), status=m.InvoiceStatus.PAID,
                   paid_at=_at(D + dt.timedelta(days=10)))

    on_cut_off = invoices(AccountRange(), Window(D), 30).loc[account.pk]
    after_payment = invoices(AccountRange(), Window(D + dt.timedelta(days=11)), 30).loc[account.pk]
    assert (on_cut_off["invoices_paid"], on_cut_off["failed_recent"]) == (1, 1)
    assert (after_payment["invoices_paid"], after_payment["failed_recent"]) == (2, 0)


@pytest.mark.django_db
def test_rescoring_a_date_equals_its_stored_snapshots():
    accounts = _small_book()
    ChurnEventFactory(account=accounts[1], churn_date=D + dt.timedelta(days=20))
    recompute_scores(as_of=D)

    stored = run_backtest(as_of=D, horizon=90)
    rescored = run_backtest(as_of=D, horizon=90, rescore=True)

    assert (stored.source, rescored.source) == ("snapshots", "rescored")
    assert _scores(stored) == _scores(rescored)
    assert [(p.auc, [b.caught for b in p.bands]) for p in stored.predictors] == \
        [(p.auc, [b.caught for b in p.bands]) for p in rescored.predictors]
    assert [(s.id, s.accounts, s.churners) for s in stored.signals] == \
        [(s.id, s.accounts, s.churners) for s in rescored.signals]
    assert stored.churners == 1 and not stored.complete


# The churn model ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_model_is_judged_from_its_stored_predictions_with_exact_figures():
    accounts = build_snapshot_book()
    model = churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1))
    store_predictions(accounts, model)

    result = run_backtest(as_of=CUT_OFF, horizon=90)

    assert [p.id for p in result.predictors] == ["risk", "health", "model"] and result.model_missing == ""
    judged = result.predictor("model")
    high, high_medium = judged.bands
    assert (high.band, high.flagged, high.caught, high.recall, high.precision) == ("High", 2, 1, .5, .5)
    assert (high_medium.band, high_medium.flagged, high_medium.caught_text, high_medium.precision) == \
        ("High+Medium", 5, "caught 2 of 2 churners", .4)
    assert (high_medium.lift, high_medium.f1) == (pytest.approx(2.0), pytest.approx(4 / 7))
    assert judged.auc == pytest.approx(11 / 14)
    assert (judged.scored, judged.unscored, judged.is_probability) == (9, 1, True)
    # The calibration reads the probability itself (nine predicted accounts, one per bin).
    assert [b.predicted for b in judged.calibration] == pytest.approx([.02, .05, .1, .15, .25, .3, .4, .6, .8])
    assert [b.observed for b in judged.calibration] == [0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert judged.detail == ("The predictions stored on 2025-03-31 by version 1 (High from 50%, Medium from 20%).")
    assert judged.in_sample == ""  # trained up to 2024-12-01: the cut-off is out of sample
    assert "IS a probability" in judged.note


@pytest.mark.django_db
def test_the_model_has_its_columns_in_the_rows_and_its_band_for_each_churner():
    accounts = build_snapshot_book()
    store_predictions(accounts, churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1)))

    result = run_backtest(as_of=CUT_OFF, horizon=90)
    header, rows = account_rows(result)
    churners = churner_rows(result)

    assert header[-6:] == ["model_probability", "model_band", "model_high", "model_high_medium", "churned",
                           "churn_date"]
    assert rows[0][-6:] == [0.8, "High", "yes", "yes", "yes", "2025-04-30"]
    assert rows[8][-6:-2] == [None, "", "no", "no"]  # a8: not predicted
    assert churners[1]["levels"][2] == {"predictor": "Churn model (probability)", "level": "Medium",
                                        "caught_by": ["High+Medium"]}


@pytest.mark.django_db
def test_a_cut_off_inside_the_training_range_is_marked_in_sample():
    accounts = build_snapshot_book()
    store_predictions(accounts, churn_model(trained_from=dt.date(2024, 6, 1), trained_to=CUT_OFF))

    judged = run_backtest(as_of=CUT_OFF, horizon=30).predictor("model")

    assert judged.in_sample.startswith("in-sample: trained on this period (version 1 learned from 2024-06-01 to "
                                       "2025-03-31)")
    assert judged.detail.endswith("The model predicts churn within 90 days; it is judged here on 30.")


@pytest.mark.django_db
def test_without_a_model_the_model_is_absent_and_the_backtest_says_why():
    build_snapshot_book()

    untrained = run_backtest(as_of=CUT_OFF, horizon=90)
    churn_model(trained_from=dt.date(2024, 6, 1), trained_to=CUT_OFF, status=ChurnModelStatus.REJECTED,
                reason="It does not beat the rules: AUC 0.61 against the rules' risk score 0.66.")
    rejected = run_backtest(as_of=CUT_OFF, horizon=90)

    assert [p.id for p in untrained.predictors] == [p.id for p in rejected.predictors] == ["risk", "health"]
    assert untrained.model_missing.startswith("No churn model has been trained yet")
    assert rejected.model_missing.startswith("No churn model is active: the last one (version 1, trained ")
    assert rejected.model_missing.endswith("was not activated. It does not beat the rules: AUC 0.61 against the "
                                           "rules' risk score 0.66.")
    assert "model_probability" not in account_rows(rejected)[0]


@pytest.mark.django_db
def test_stored_predictions_of_a_retired_model_are_still_judged_and_rescore_without_a_model_keeps_them():
    accounts = build_snapshot_book()
    store_predictions(accounts, churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1),
                                            status=ChurnModelStatus.RETIRED))

    stored = run_backtest(as_of=CUT_OFF, horizon=90)
    replayed = run_backtest(as_of=CUT_OFF, horizon=90, rescore=True)

    assert stored.predictor("model").auc == replayed.predictor("model").auc == pytest.approx(11 / 14)
    assert replayed.predictor("model").detail.startswith("The predictions stored on 2025-03-31")
