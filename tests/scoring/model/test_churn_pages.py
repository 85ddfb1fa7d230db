"""Account 360's churn card and the managers' churn-model panel on Score accuracy, on the synthetic book."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.model.predict import predict_day
from scoring.models import ChurnModel, ChurnModelStatus, ChurnPrediction
from tests.factories import UserFactory
from tests.scoring.model.book import TODAY

pytestmark = pytest.mark.django_db


def _own_live_account(book):
    """An account of the book's CSM that is still a customer on TODAY."""
    return next(a for a in book.accounts if a.csm_id == book.csm.pk and a.pk not in book.churn_dates)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_card_shows_the_probability_its_band_and_reasons_in_words(client, book):
    account = _own_live_account(book)
    predict_day(TODAY)
    prediction = ChurnPrediction.objects.get(account=account, as_of=TODAY)
    client.force_login(book.csm)

    page = client.get(reverse("account_detail", args=[account.external_id])).content.decode()

    percent = round(prediction.probability * 100)
    assert f"{percent}% chance of churn in 90 days" in page
    assert f'data-testid="churn-band">{prediction.band}<' in page
    assert f"model version {book.model.version}" in page
    assert page.count("the risk</li>") == len(prediction.contributions) >= 3


def test_without_an_active_model_the_card_says_so(client, book):
    account = _own_live_account(book)
    ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE).update(status=ChurnModelStatus.RETIRED)
    client.force_login(book.csm)

    page = client.get(reverse("account_detail", args=[account.external_id])).content.decode()

    assert "No churn model is active yet" in page


def test_an_account_not_predicted_yet_says_why_at_the_same_query_cost(client, book):
    account = _own_live_account(book)
    url = reverse("account_detail", args=[account.external_id])
    client.force_login(book.csm)
    _queries(client, url)  # session and permission caches warm up

    without = _queries(client, url)
    assert "This account has no churn prediction yet" in client.get(url).content.decode()
    predict_day(TODAY)
    with_prediction = _queries(client, url)

    assert with_prediction == without


def test_a_csm_sees_no_other_csms_prediction(client, book):
    foreign = next(a for a in book.accounts if a.csm_id is None and a.pk not in book.churn_dates)
    predict_day(TODAY)
    client.force_login(book.csm)

    assert client.get(reverse("account_detail", args=[foreign.external_id])).status_code == 404


def test_the_manager_panel_shows_the_model_the_rejected_one_and_drift(client, book):
    manager = UserFactory(username="model-manager", email="model-manager@example.org", role="Manager")
    ChurnModel.objects.create(version=book.model.version + 1, status=ChurnModelStatus.REJECTED, trigger="web",
                              trained_from=dt.date(2025, 1, 1), trained_to=dt.date(2025, 3, 1),
                              reason="It does not beat the rules: AUC 0.60 against the rules' risk score 0.66.")
    predict_day(TODAY)
    client.force_login(manager)

    page = client.get(reverse("score_accuracy")).content.decode()

    assert f"<strong>version {book.model.version}</strong>" in page
    assert f'data-testid="validation-auc-model">{book.model.validation["auc_model"]:.3f}<' in page
    assert "Not activated:</strong> It does not beat the rules: AUC 0.60" in page
    assert "Days active in the last 30 days" in page  # a drift row
    assert 'data-testid="retrain-now"' in page and "csrfmiddlewaretoken" in page


def test_a_csm_cannot_open_the_model_page_or_retrain(client, book):
    client.force_login(book.csm)
    before = ChurnModel.objects.count()

    assert client.get(reverse("churn_model")).status_code == 403
    assert client.get(reverse("score_accuracy")).status_code == 403
    assert client.post(reverse("churn_model_retrain")).status_code == 403
    assert ChurnModel.objects.count() == before
