"""Marking an account churned (docs/pages.md#renewals): on Account 360 and in the API, with a reason code and the
customer's feedback, in one transaction with its audit entries; refused input changes nothing and keeps what was
typed; a CSM marks only their own accounts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    AuditEvent,
    ChurnEvent,
    Subscription,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from accounts.services import account_mark_churned
from healthcs.errors import DomainError
from tests.factories import AccountFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CHURN_DAY = TODAY - dt.timedelta(days=3)


@pytest.fixture
def csm():
    return UserFactory(username="casey", role="CSM")


@pytest.fixture
def account(csm):
    account = AccountFactory(external_id="A-OWN", name="Maple Family Practice", csm=csm, outcome="")
    SubscriptionFactory(account=account, external_id="S-RUNNING", start_date=dt.date(2024, 1, 1),
                        arr=Decimal("24000"), auto_renew=True, downgrade_flag=True)
    SubscriptionFactory(account=account, external_id="S-LATER", start_date=TODAY - dt.timedelta(days=1),
                        arr=Decimal("6000"))
    SubscriptionFactory(account=account, external_id="S-OLD", start_date=dt.date(2023, 1, 1),
                        end_date=dt.date(2023, 12, 31), arr=Decimal("12000"))
    return account


@pytest.fixture
def foreign():
    return AccountFactory(external_id="A-FOREIGN", csm=UserFactory(username="robin", role="CSM"))


def _nothing_written(account: Account) -> None:
    account.refresh_from_db()
    assert (account.churned, account.outcome) == (False, "")
    assert not ChurnEvent.objects.filter(account=account).exists()
    assert list(account.subscriptions.order_by("external_id").values_list("external_id", "end_date")) == [
        ("S-LATER", None), ("S-OLD", dt.date(2023, 12, 31)), ("S-RUNNING", None)]
    assert not AuditEvent.objects.filter(action="churned").exists()


def test_marking_churned_records_the_event_ends_the_subscriptions_and_audits_it(client, csm, account,
                                                                                django_capture_on_commit_callbacks):
    crm = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.org/hook", secret="s" * 16,
                                         events=[WebhookEvent.ACCOUNT_CHURNED])
    client.force_login(csm)

    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(reverse("account_churn", args=["A-OWN"]), {
            "reason_code": "competitor", "feedback": "  Moving to athenaOne with the new owners. ",
            "churn_date": CHURN_DAY.isoformat()})

    assert response.status_code == 302 and response["Location"] == "/accounts/A-OWN/#churn"
    event = ChurnEvent.objects.get(account=account)
    assert (event.churn_date, event.reason_code, event.feedback_text, event.recorded_by, event.preceding_downgrade,
            event.preceding_upgrade) == (CHURN_DAY, "competitor", "Moving to athenaOne with the new owners.", csm,
                                         True, False)
    account.refresh_from_db()
    assert (account.churned, account.outcome) == (True, "churned")
    # The running subscription ends on the churn day; the one that starts after it ends on its first day.
    assert list(Subscription.objects.filter(account=account).order_by("external_id")
                .values_list("external_id", "end_date", "churn_flag", "auto_renew")) == [
        ("S-LATER", TODAY - dt.timedelta(days=1), True, False), ("S-OLD", dt.date(2023, 12, 31), False, False),
        ("S-RUNNING", CHURN_DAY, True, False)]
    audit = AuditEvent.objects.get(action="churned")
    assert (audit.user, audit.object_id, audit.changes) == (csm, str(account.pk), {
        "churned": [False, True], "outcome": [None, "churned"], "churn_date": [None, CHURN_DAY.isoformat()],
        "reason_code": [None, "competitor"], "subscriptions_ended": [None, "S-LATER, S-RUNNING"]})
    assert AuditEvent.objects.filter(action="created", object_type="accounts.ChurnEvent").count() == 1
    # The CRM's webhook is told, once the marking is committed.
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event) == (crm, WebhookEvent.ACCOUNT_CHURNED)
    assert delivery.payload == {"account": "A-OWN", "name": account.name, "source": "healthcs"}
    assert len(enqueued) == 1


@pytest.mark.parametrize(("form", "problem"), [
    ({"reason_code": "", "feedback": "They left"}, "Choose the reason: one of budget, pricing"),
    ({"reason_code": "weather", "feedback": "They left"}, "&#x27;weather&#x27; is not a reason code"),
    ({"reason_code": "budget", "feedback": "   "}, "Write the customer&#x27;s feedback"),
    ({"reason_code": "budget", "feedback": "No\x00budget"}, "The feedback contains a NUL character"),
    ({"reason_code": "budget", "feedback": "x" * 4001}, "The feedback has 4,001 characters; keep it to 4,000."),
    ({"reason_code": "budget", "feedback": "Cut", "churn_date": "2999-01-01"}, "The churn date is in the future"),
    ({"reason_code": "budget", "feedback": "Cut", "churn_date": "1999-12-31"}, "The churn date is before 2000"),
    ({"reason_code": "budget", "feedback": "Cut", "churn_date": "2025-02-30"}, "is not a valid churn date"),
])
def test_refused_input_changes_nothing_and_keeps_what_was_typed(client, csm, account, form, problem):
    client.force_login(csm)

    response = client.post(reverse("account_churn", args=["A-OWN"]), form)

    assert response.status_code == 400
    page = response.content.decode()
    assert problem in page
    assert 'name="feedback"' in page and ("x" * 4001 in page if len(form["feedback"]) > 4000 else True)
    if form["reason_code"] == "budget":
        assert '<option value="budget" selected>' in page
    _nothing_written(account)


def test_refused_in_place_with_htmx_the_section_comes_back_with_what_was_typed(client, csm, account):
    client.force_login(csm)

    response = client.post(reverse("account_churn", args=["A-OWN"]),
                           {"reason_code": "pricing", "feedback": "Too dear", "churn_date": "2999-01-01"},
                           headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<section class="card" id="churn"')
    assert "The churn date is in the future" in page and ">Too dear</textarea>" in page
    assert 'value="2999-01-01"' in page and "<details open>" in page
    _nothing_written(account)


def test_marked_in_place_with_htmx_the_section_says_so(client, csm, account):
    client.force_login(csm)

    response = client.post(reverse("account_churn", args=["A-OWN"]), {"reason_code": "closed", "feedback": "Retired"},
                           headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response["HX-Trigger"] == "accountChurned"
    day = ChurnEvent.objects.get(account=account).churn_date  # today when it was marked (a run may pass midnight)
    assert f"Maple Family Practice is marked churned on {day:%Y-%m-%d} (closed)." in page
    assert "This account is marked churned." in page and 'data-testid="churn-form"' not in page


def test_an_account_is_marked_churned_once(csm, account):
    account_mark_churned(account=account, user=csm, reason_code="budget", feedback="Budget cut")

    with pytest.raises(DomainError, match="Maple Family Practice is already marked churned."):
        account_mark_churned(account=account, user=csm, reason_code="pricing", feedback="Again")
    assert ChurnEvent.objects.filter(account=account).count() == 1


def test_a_csm_cannot_mark_another_csms_account(client, csm, foreign):
    client.force_login(csm)
    api = APIClient()
    api.force_login(csm)

    answers = [client.get(reverse("account_churn", args=["A-FOREIGN"])).status_code,
               client.post(reverse("account_churn", args=["A-FOREIGN"]),
                           {"reason_code": "budget", "feedback": "x"}).status_code,
               api.post(reverse("api_account_churn", args=["A-FOREIGN"]), {"reason_code": "budget", "feedback": "x"},
                        format="json").status_code]

    assert answers == [404, 404, 404]
    foreign.refresh_from_db()
    assert foreign.churned is False and not ChurnEvent.objects.exists()


def test_the_api_marks_an_account_churned(csm, account):
    api = APIClient()
    api.force_login(csm)

    response = api.post(reverse("api_account_churn", args=["A-OWN"]),
                        {"reason_code": "integration", "feedback": "The Epic interface kept failing",
                         "churn_date": CHURN_DAY.isoformat()}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("account", "churn_date", "reason_code", "feedback", "recorded_by")} == {
        "account": "A-OWN", "churn_date": CHURN_DAY.isoformat(), "reason_code": "integration",
        "feedback": "The Epic interface kept failing", "recorded_by": "casey"}
    assert Account.objects.get(pk=account.pk).churned is True


def test_the_api_refuses_bad_input_with_the_fields_problems(csm, account):
    api = APIClient()
    api.force_login(csm)

    refused = api.post(reverse("api_account_churn", args=["A-OWN"]),
                       {"reason_code": "weather", "feedback": 42, "mood": "sad"}, format="json")
    future = api.post(reverse("api_account_churn", args=["A-OWN"]),
                      {"reason_code": "budget", "feedback": "Cut", "churn_date": "2999-01-01"}, format="json")

    assert refused.status_code == 400 and set(refused.json()) == {"mood"}
    assert future.status_code == 400 and "The churn date is in the future" in str(future.json())
    _nothing_written(account)


def test_renewals_without_scores_or_a_churn_model_count_every_account_as_not_scored(client, csm, account):
    # Given an account renewing in ten days, never scored, and no churn model at all
    account.renewal_date = TODAY + dt.timedelta(days=10)
    account.save(update_fields=["renewal_date"])
    client.force_login(csm)

    page = client.get(reverse("renewals")).content.decode()

    # Then its ARR today (24,000 + the subscription that started yesterday, 6,000) is forecast at 75 %
    assert '<span class="value" data-testid="renewal-arr">$30,000</span>' in page
    assert '<span class="value" data-testid="renewal-forecast">$22,500</span>' in page
    assert "75% <small>(not scored)</small>" in page
