"""The managers' Score accuracy page and its CSV export (docs/score-accuracy.md, docs/pages.md): the figures of the
default cut-off (the latest whose horizon is complete), the picker and its HTMX fragment, the churners linked to Account
360, CSMs refused, bad input answered with a message, the empty states, cached results, a query count that does not grow
with the book; the churn model's rows (in-sample marked) or why there are none, and its panel."""

import csv
import datetime as dt
import io
import sys

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from scoring.backtest import DEFAULT_HORIZON, book_version
from scoring.models import ChurnModelStatus, Snapshot
from scoring.tasks import cache_accuracy_report
from tests.factories import AccountFactory, ChurnEventFactory, SnapshotFactory
from tests.scoring.backtest_book import CUT_OFF, LATER, build_snapshot_book, churn_model, store_predictions

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts from an empty cache (the figures are cached per book version)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def book(csm):
    return build_snapshot_book(csm=csm)


def test_a_manager_sees_the_figures_of_the_latest_complete_cut_off(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    assert response.status_code == 200
    backtest = response.context["report"].backtest
    assert (backtest.as_of, backtest.horizon, backtest.source) == (CUT_OFF, 90, "snapshots")
    assertContains(response, '<strong data-testid="accuracy-churners">2 churners</strong>', html=False)
    assertContains(response, '<strong data-testid="auc-risk">0.812</strong>')
    assertContains(response, '<strong data-testid="auc-health">0.929</strong>')
    assertContains(response, '<strong data-testid="caught-risk">caught 2 of 2 churners</strong>')
    band = response.content.decode().split('data-testid="band-risk-2"')[1].split("</tr>")[0]
    assert "<td>5 <small>(50.0%)</small></td><td>2 of 2</td><td>100.0%</td><td>40.0%</td><td>0.57</td>" \
           "<td>70.0%</td><td>2.0</td>" in band
    signals = response.content.decode().split('data-testid="accuracy-signals"')[1]
    assert signals.index("Cancellation language") < signals.index("30-day usage trend") \
        < signals.index("Usage drop")
    assert set(response.context["charts"]) == {"calibration-risk", "calibration-health"}
    assert response.context["charts"]["calibration-risk"]["datasets"][1]["data"] == [0, 0, 0, 0, 0, 100, 0, 0, 0, 100]


def test_the_churners_are_listed_with_their_level_at_the_cut_off_and_linked(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    churners = response.context["churners"]
    assert [(c["external_id"], c["churn_date"]) for c in churners] == [
        ("a0", CUT_OFF + dt.timedelta(days=30)), ("a3", CUT_OFF + dt.timedelta(days=33))]
    assert churners[1]["levels"][0] == {"predictor": "Churn risk (rules)", "level": "Medium",
                                        "caught_by": ["High+Medium"]}
    assertContains(response, f'<a href="{reverse("account_detail", args=["a3"])}" data-testid="churner-link">'
                             "Clinic a3</a>", html=False)


def test_the_picker_swaps_the_fragment_and_marks_an_incomplete_horizon(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"), {"as_of": LATER.isoformat(), "horizon": "30"}, headers=HX)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "scoring/_accuracy.html"
    assertNotContains(response, "<h1>")
    assertContains(response, 'data-testid="accuracy-incomplete"')
    assertContains(response, "8 live accounts")  # a0 and a3 had churned by then
    trend = response.context["report"].trend
    assert [(t.as_of, t.horizon, t.churners) for t in trend] == [(CUT_OFF, 30, 1), (LATER, 30, 0)]


def test_a_csm_gets_403(client, csm, book):
    client.force_login(csm)

    assert client.get(reverse("score_accuracy")).status_code == 403
    assert client.get(reverse("score_accuracy_export")).status_code == 403


def test_the_navigation_links_the_page_for_managers_only(client, manager, csm):
    client.force_login(manager)
    assert ("Score accuracy", "/accuracy/") in [(i["label"], i["url"])
                                               for i in client.get(reverse("home")).context["nav_items"]]
    client.force_login(csm)
    assert "Score accuracy" not in [i["label"] for i in client.get(reverse("home")).context["nav_items"]]


@pytest.mark.parametrize(("query", "message"), [
    ({"as_of": "yesterday"}, "Enter the cut-off as YYYY-MM-DD."),
    ({"horizon": "0"}, "The horizon must be between 1 and 730 days."),
    ({"horizon": "ninety"}, "The horizon must be a whole number of days."),
    ({"as_of": "2020-01-01"}, "There are no stored scores of 2020-01-01"),
])
def test_bad_input_gets_a_clear_message(client, manager, book, query, message):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"), query)
    export = client.get(reverse("score_accuracy_export"), query)

    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    assert export.status_code == 400 and message in export.content.decode()
    assert cache.get(f"backtest:full:2020-01-01:90:{book_version()}") is None  # nothing was computed for it


def test_bad_input_from_the_picker_is_shown_in_place_of_the_results(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"), {"horizon": "0"}, headers=HX)

    assert response.status_code == 200  # htmx swaps it into the results, where the problem is read
    assert [t.name for t in response.templates][0] == "scoring/_accuracy.html"
    assertContains(response, "The horizon must be between 1 and 730 days.")


def test_without_snapshots_the_page_explains_how_to_get_them(client, manager):
    AccountFactory()
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    assert response.status_code == 200
    assertContains(response, 'data-testid="accuracy-empty"')
    assertContains(response, "python manage.py backtest --as-of YYYY-MM-DD --rescore")


def test_without_churn_the_page_says_recall_cannot_be_judged(client, manager):
    for i in range(3):
        SnapshotFactory(account=AccountFactory(signup_date=dt.date(2024, 1, 1)), as_of=CUT_OFF, risk_score=10 * i)
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    assertContains(response, 'data-testid="accuracy-no-churn"')
    assertContains(response, '<strong data-testid="auc-risk">—</strong>')


def test_the_export_has_one_row_per_live_account_for_the_same_filters(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy_export"), {"as_of": CUT_OFF.isoformat(), "horizon": "31"})

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="score-accuracy-2025-03-31-31d.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["external_id"] for r in rows] == [f"a{i}" for i in range(10)]
    assert [r["external_id"] for r in rows if r["churned"] == "yes"] == ["a0"]  # a3 churned on day 33


def test_the_results_are_cached_until_the_book_changes(client, manager, book):
    client.force_login(manager)
    client.get(reverse("score_accuracy"))

    Snapshot.objects.filter(as_of=CUT_OFF, account=book[4]).update(risk_level="High")  # not how scores change
    cached = client.get(reverse("score_accuracy"))
    ChurnEventFactory(account=book[1], churn_date=CUT_OFF + dt.timedelta(days=5))
    recounted = client.get(reverse("score_accuracy"))

    assert cached.context["report"].backtest.predictor("risk").bands[0].flagged == 2
    assert recounted.context["report"].backtest.predictor("risk").bands[0].flagged == 3
    assert recounted.context["report"].backtest.churners == 3


def _queries(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_book(client, manager, book):
    client.force_login(manager)
    url = reverse("score_accuracy")
    small = _queries(client, url)

    for i in range(15):
        account = AccountFactory(signup_date=dt.date(2024, 1, 1))
        SnapshotFactory(account=account, as_of=CUT_OFF, risk_score=i, fired_rules=[{"rule": "trial", "points": 8}])
        ChurnEventFactory(account=account, churn_date=CUT_OFF + dt.timedelta(days=i + 1))
    large = _queries(client, url)

    assert small == large
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    assert len(cached) < large  # served from the cache: no snapshot query


# The churn model on the page ---------------------------------------------------------------------------

def test_the_model_rows_and_the_panel_are_on_the_page(client, manager, book):
    model = churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1))
    store_predictions(book, model)
    churn_model(trained_from=dt.date(2024, 1, 1), trained_to=dt.date(2025, 1, 1), version=2,
                status=ChurnModelStatus.REJECTED, reason="It does not beat the rules: AUC 0.61 against 0.66.")
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    page = response.content.decode()
    assertContains(response, '<strong data-testid="auc-model">0.786</strong>')
    assertContains(response, '<strong data-testid="caught-model">caught 2 of 2 churners</strong>')
    band = page.split('data-testid="band-model-1"')[1].split("</tr>")[0]
    assert "<td>High</td><td>2 <small>(20.0%)</small></td><td>1 of 2</td><td>50.0%</td><td>50.0%</td>" in band
    assertContains(response, "this one IS a probability")
    assertNotContains(response, 'data-testid="in-sample-model"')
    assert response.context["charts"]["calibration-model"]["datasets"][0]["label"] == "Predicted probability"
    assert response.context["charts"]["calibration-model"]["datasets"][0]["data"] == [2, 5, 10, 15, 25, 30, 40, 60,
                                                                                      80]
    # The panel: the active model with its validation figures, the rejected one with its reason, Retrain now.
    assert page.index('id="accuracy"') < page.index('<section class="card" id="model"')
    assertContains(response, '<p data-testid="active-model">Active: <strong>version 1</strong>', html=False)
    assertContains(response, 'data-testid="validation-auc-model">0.800<', html=False)
    assertContains(response, "Not activated:</strong> It does not beat the rules: AUC 0.61 against 0.66.")
    assertContains(response, 'data-testid="retrain-now"')


def test_an_earlier_cut_off_without_model_predictions_keeps_the_trend_columns_aligned(client, manager, book):
    store_predictions(book, churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1),
                                        status=ChurnModelStatus.RETIRED))  # nothing to predict the earlier date with
    SnapshotFactory(account=book[1], as_of=CUT_OFF - dt.timedelta(days=40), risk_score=5)
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    rows = response.context["trend"]
    assert [(r["backtest"].as_of, [c and c.id for c in r["cells"]]) for r in rows] == [
        (CUT_OFF - dt.timedelta(days=40), ["risk", "health", None]), (CUT_OFF, ["risk", "health", "model"])]
    earlier = response.content.decode().split('data-testid="accuracy-trend"')[1].split("</tr>")[1]
    assert earlier.count("<td>—</td><td>—</td><td>—</td>") == 1 and earlier.count("<td>") == 13


def test_a_cut_off_the_model_was_trained_on_is_marked_in_sample(client, manager, book):
    store_predictions(book, churn_model(trained_from=dt.date(2024, 6, 1), trained_to=dt.date(2025, 6, 1)))
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    assertContains(response, 'data-testid="in-sample-model"')
    assertContains(response, "in-sample: trained on this period (version 1 learned from 2024-06-01 to 2025-06-01)")
    assertContains(response, '<small data-testid="trend-in-sample">(in-sample)</small>', count=1, html=False)


def test_without_a_model_the_page_says_why_and_the_panel_says_none_is_active(client, manager, book):
    client.force_login(manager)

    response = client.get(reverse("score_accuracy"))

    assertContains(response, 'data-testid="accuracy-model-missing"')
    assertContains(response, "No churn model has been trained yet, so only the rules are judged")
    assertContains(response, 'data-testid="no-active-model"')
    assertNotContains(response, 'data-testid="accuracy-model"')
    assert "model_probability" not in client.get(reverse("score_accuracy_export")).content.decode()


def test_the_task_after_a_day_caches_the_pages_figures_without_loading_the_model_code(client, manager, book,
                                                                                      monkeypatch):
    """scoring.tasks.cache_accuracy_report, queued by the day's last task: the page's figures computed once, and with
    no model to judge, LightGBM is not loaded for them (scoring.backtest.model_scores)."""
    monkeypatch.setitem(sys.modules, "scoring.model.predict", None)  # importing it now raises ImportError

    assert cache_accuracy_report.apply().get() is True

    assert cache.get(f"backtest:full:{CUT_OFF}:{DEFAULT_HORIZON}:{book_version()}").churners == 2
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("score_accuracy"))
    assert response.context["report"].backtest.churners == 2
    assert len(queries) < _queries(client, reverse("score_accuracy"))  # (that one from an empty cache)


def test_the_export_has_the_model_columns_when_it_is_judged(client, manager, book):
    store_predictions(book, churn_model(trained_from=dt.date(2023, 10, 1), trained_to=dt.date(2024, 12, 1)))
    client.force_login(manager)

    rows = list(csv.DictReader(io.StringIO(client.get(reverse("score_accuracy_export")).content.decode())))

    assert [(r["model_probability"], r["model_band"], r["model_high_medium"]) for r in rows[:4]] == [
        ("0.8", "High", "yes"), ("0.6", "High", "yes"), ("0.3", "Medium", "yes"), ("0.25", "Medium", "yes")]


def test_the_old_model_page_sends_managers_to_the_panel(client, manager, csm):
    client.force_login(manager)

    response = client.get(reverse("churn_model"))

    assert response.status_code == 302 and response["Location"] == "/accuracy/#model"
    client.force_login(csm)
    assert client.get(reverse("churn_model")).status_code == 403
