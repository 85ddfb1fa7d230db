"""Outgoing webhooks (docs/api.md#webhooks): deliveries recorded with the change that causes them, at every layer's
write site, signed and sent to a real local receiver, tried again with backoff on transient failures up to a cap,
never sent twice; the admin's endpoints (write-only secret) and delivery log (redeliver); a real Celery worker."""

import datetime as dt
import itertools
import socket
import time
from decimal import Decimal

import pandas as pd
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django import forms
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import models as m
from accounts.importing.services import import_files
from accounts.webhooks.delivery import deliveries_due, delivery_attempt, retry_delay
from accounts.webhooks.emit import webhooks_emit
from accounts.webhooks.tasks import deliveries_enqueue
from expansion.kinds import SIGNAL_KINDS
from expansion.models import ExpansionSignal, Opportunity
from expansion.services import opportunities_from_new_signals, opportunity_create, opportunity_update
from healthcs.celery import app
from healthcs.errors import DomainError
from interventions.firing import fire_playbooks
from interventions.services import outcome_log
from scoring.alerts import alerts_open
from scoring.calculations import Scores
from scoring.services import recompute_scores, risk_level_changes
from tests import webhook_receiver
from tests.factories import AccountFactory, PlaybookFactory, SnapshotFactory, UserFactory
from tests.importing import ACCOUNTS_HEADER, csv_bytes

pytestmark = pytest.mark.django_db
EVERY_EVENT = list(m.WebhookEvent.values)
T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def receiver():
    yield from webhook_receiver.serving()


@pytest.fixture
def endpoint(receiver):
    receiver.answer(200)
    return m.WebhookEndpoint.objects.create(name="CRM", url=receiver.url, secret=webhook_receiver.SECRET,
                                            events=EVERY_EVENT)


def delivery_at(endpoint: m.WebhookEndpoint, created: dt.datetime = T0, **fields) -> m.WebhookDelivery:
    """A pending delivery recorded at `created`, as webhooks_emit records it."""
    values = {"event": m.WebhookEvent.OUTCOME_LOGGED, "payload": {"account": "A-1"}, "created_at": created,
              "next_attempt_at": created, "expires_at": created + dt.timedelta(hours=24)} | fields
    return m.WebhookDelivery.objects.create(endpoint=endpoint, **values)


def state(delivery: m.WebhookDelivery) -> tuple:
    delivery.refresh_from_db()
    return delivery.status, delivery.attempts, delivery.last_response_code, delivery.next_attempt_at


# Recording: where, when, for whom --------------------------------------------------------------------------

def test_an_outcome_is_recorded_for_each_active_endpoint_that_wants_it_and_sent_after_commit(
        endpoint, manager, django_capture_on_commit_callbacks):
    other = m.WebhookEndpoint.objects.create(name="Alerts only", url="https://crm.example.org/a", secret="x" * 16,
                                             events=[m.WebhookEvent.ALERT_OPENED])
    m.WebhookEndpoint.objects.create(name="Off", url="https://crm.example.org/b", secret="y" * 16,
                                     events=EVERY_EVENT, active=False)
    account = AccountFactory(external_id="A-7")

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = outcome_log(account=account, user=manager, kind="renewed", note=" Signed for two years ",
                              now=T0)

    delivery = m.WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event, delivery.status) == (endpoint, "outcome.logged", "pending")
    assert delivery.payload == {"outcome_id": outcome.pk, "account": "A-7", "kind": "renewed",
                                "note": "Signed for two years", "intervention_id": None,
                                "logged_by": "morgan@example.org", "logged_at": "2026-12-03T09:00:00Z"}
    assert not other.deliveries.exists()
    assert len(callbacks) == 1  # the enqueue waits for the commit


def test_a_refused_change_records_no_delivery(endpoint, manager):
    with pytest.raises(DomainError):
        outcome_log(account=AccountFactory(), user=manager, kind="won the lottery")

    assert not m.WebhookDelivery.objects.exists()


def test_a_change_rolled_back_takes_its_deliveries_with_it(endpoint, manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        outcome_log(account=AccountFactory(), user=manager, kind="contacted")
        raise RuntimeError("the caller's transaction fails after the service")

    assert not m.WebhookDelivery.objects.exists()


def test_opened_alerts_are_announced_and_an_alert_already_open_is_not(endpoint):
    first, second = AccountFactory(external_id="A-1"), AccountFactory(external_id="A-2")
    detected = pd.DataFrame({"account_id": [first.pk, second.pk], "kind": ["failed_payment", "champion_left"],
                             "message": ["Invoice INV-1 failed", "Dana Reyes left"],
                             "evidence": [{"invoice": "INV-1"}, {}]})
    assert alerts_open(as_of=dt.date(2026, 12, 3), detected=detected) == 2

    again = alerts_open(as_of=dt.date(2026, 12, 4), detected=detected)

    assert again == 0
    alerts = {a.account.external_id: a.pk for a in first.alerts.all() | second.alerts.all()}
    assert sorted((d.event, d.payload["account"], d.payload["alert_id"], d.payload["kind"], d.payload["as_of"])
                  for d in m.WebhookDelivery.objects.all()) == [
        ("alert.opened", "A-1", alerts["A-1"], "failed_payment", "2026-12-03"),
        ("alert.opened", "A-2", alerts["A-2"], "champion_left", "2026-12-03")]


def test_thousands_of_alerts_are_recorded_in_two_statements_and_enqueued_in_batches(
        endpoint, settings, django_assert_num_queries, django_capture_on_commit_callbacks):
    m.WebhookEndpoint.objects.create(name="Second CRM", url="https://crm.example.org/c", secret="z" * 16,
                                     events=[m.WebhookEvent.ALERT_OPENED])
    m.Account.objects.bulk_create(m.Account(external_id=f"B-{i:04d}", name=f"Clinic {i}") for i in range(1500))
    ids = list(m.Account.objects.filter(external_id__startswith="B-").values_list("pk", flat=True))
    detected = pd.DataFrame({"account_id": ids, "kind": ["silent_account"] * len(ids),
                             "message": ["No touch in 45 days"] * len(ids), "evidence": [{}] * len(ids)})

    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(2):
        alerts_open(as_of=dt.date(2026, 12, 3), detected=detected)

    assert m.WebhookDelivery.objects.count() == 3000  # 1,500 alerts × 2 endpoints
    assert len(callbacks) == 1
    queue = redis.Redis.from_url(app.conf.broker_url)
    queue.delete("celery")
    settings.WEBHOOK_BATCH_SIZE = 500
    callbacks[0]()  # the commit's enqueue, against the real broker
    assert queue.llen("celery") == 6  # 3,000 deliveries, 500 per task
    queue.delete("celery")


def test_risk_level_changes_are_measured_against_the_latest_snapshot_up_to_the_day(endpoint):
    steady, worse, new = AccountFactory(external_id="A-S"), AccountFactory(external_id="A-W"), AccountFactory()
    SnapshotFactory(account=steady, as_of=dt.date(2026, 12, 2), risk_level="Low")
    SnapshotFactory(account=worse, as_of=dt.date(2026, 12, 1), risk_level="Medium")
    SnapshotFactory(account=worse, as_of=dt.date(2026, 12, 2), risk_level="Low")
    scores = Scores(subscriptions=pd.DataFrame(), accounts=pd.DataFrame(
        {"risk_level": ["Low", "High", "High"], "risk_score": [10, 70, 75]}, index=[steady.pk, worse.pk, new.pk]))

    changes = risk_level_changes(scores=scores, as_of=dt.date(2026, 12, 3))

    assert changes == [{"account": "A-W", "from": "Low", "to": "High", "risk_score": 70,
                        "as_of": dt.date(2026, 12, 3)}]


def test_the_daily_recompute_announces_a_changed_risk_level_once(endpoint):
    account = AccountFactory(external_id="A-R", renewal_date=dt.date(2027, 6, 1))
    SnapshotFactory(account=account, as_of=dt.date(2026, 12, 2), risk_level="Critical")

    recompute_scores(as_of=dt.date(2026, 12, 3))
    recompute_scores(as_of=dt.date(2026, 12, 3))  # the day scored again: nothing new to announce

    level = account.snapshots.get(as_of=dt.date(2026, 12, 3)).risk_level
    assert level != "Critical"
    assert [(d.payload["account"], d.payload["from"], d.payload["to"]) for d in
            m.WebhookDelivery.objects.filter(event="account.risk_level_changed")] == [("A-R", "Critical", level)]


def test_treated_interventions_are_announced_and_the_control_group_is_not(endpoint):
    treated, held = AccountFactory(external_id="A-T"), AccountFactory(external_id="A-C")
    for account in (treated, held):
        SnapshotFactory(account=account, as_of=dt.date(2026, 12, 3), health_tier="Critical", risk_level="High")
    playbook = PlaybookFactory(name="Rescue", trigger_kind="tier", trigger_value="Critical",
                               control_share=Decimal("0.5"))
    type(playbook).objects.exclude(pk=playbook.pk).update(active=False)  # the playbooks installed with the app

    class Draws:  # the first candidate drawn is treated (0.9 ≥ 0.5), the next held back (0.1)
        values = itertools.cycle([0.9, 0.1])

        def random(self):
            return next(self.values)

    report = fire_playbooks(as_of=dt.date(2026, 12, 3), rng=Draws())

    assert (report.treated, report.control) == (1, 1)
    delivery = m.WebhookDelivery.objects.get()
    intervention = playbook.interventions.get(group="treated")
    assert delivery.event == "intervention.fired"
    assert delivery.payload == {"intervention_id": intervention.pk, "account": intervention.account.external_id,
                                "playbook": "Rescue", "reason": intervention.reason, "triggered_on": "2026-12-03",
                                "risk_level": "High"}


def test_a_new_opportunity_and_a_stage_change_are_announced_and_an_edit_without_one_is_not(endpoint, manager):
    opportunity = opportunity_create(account=AccountFactory(external_id="A-O"), user=manager, title="More seats",
                                     amount=Decimal("1200"), now=T0)

    opportunity_update(opportunity=opportunity, user=manager, changes={"next_step": "Call the sponsor"})
    opportunity_update(opportunity=opportunity, user=manager, changes={"stage": "qualified"}, now=T0)

    same = {"opportunity_id": opportunity.pk, "account": "A-O", "title": "More seats", "amount": "1200.00",
            "changed_at": "2026-12-03T09:00:00Z"}
    assert [d.payload for d in m.WebhookDelivery.objects.order_by("pk")] == [
        same | {"from": None, "to": "identified", "probability": 10},
        same | {"from": "identified", "to": "qualified", "probability": 25}]


def test_opportunities_opened_by_new_signals_are_announced_once_each_and_a_joined_one_is_not(endpoint, manager):
    day = T0.date()
    grows, joins = AccountFactory(external_id="A-GROW", csm=manager), AccountFactory(external_id="A-JOIN")
    held = opportunity_create(account=joins, user=manager, title="Already open", amount=Decimal("50"), now=T0)
    m.WebhookDelivery.objects.all().delete()
    signals = [ExpansionSignal.objects.create(account=account, kind=kind, first_detected_on=day, last_detected_on=day,
                                              summary=kind, estimated_mrr=Decimal(mrr))
               for account, kind, mrr in ((grows, "usage_limit", "120.5"), (grows, "overage", "300"),
                                          (joins, "promoter", "80"))]
    later = T0 + dt.timedelta(hours=1)

    assert opportunities_from_new_signals(as_of=day, now=later) == 3

    opened = Opportunity.objects.get(account=grows)
    assert (opened.title, opened.stage, opened.amount, opened.probability, opened.owner, opened.source_kind,
            opened.created_at, opened.expected_close, opened.next_step) == (
        SIGNAL_KINDS["overage"], "identified", Decimal("300.00"), 10, manager, "overage", later,
        dt.date(2027, 2, 1), "Qualify: confirm the need and the budget")
    assert list(opened.stage_changes.values_list("from_stage", "to_stage", "changed_at")) == [("", "identified", later)]
    assert [d.payload for d in m.WebhookDelivery.objects.order_by("pk")] == [
        {"opportunity_id": opened.pk, "account": "A-GROW", "title": SIGNAL_KINDS["overage"], "from": None,
         "to": "identified", "amount": "300.00", "probability": 10, "changed_at": "2026-12-03T10:00:00Z"}]
    assert [s.opportunity_id for s in ExpansionSignal.objects.filter(pk__in=[s.pk for s in signals]).order_by("pk")] \
        == [opened.pk, opened.pk, held.pk]
    assert opportunities_from_new_signals(as_of=day, now=later) == 0  # claimed once


def test_an_import_announces_the_live_accounts_it_marks_churned_once(endpoint):
    row = "{},Cedar Valley,Primary care,US,2024-02-01,partner,Pro,25,False,{}"
    import_files({"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, row.format("A-1", "False"),
                                                       row.format("A-2", "False"), row.format("A-3", "True"))})
    assert not m.WebhookDelivery.objects.exists()  # A-3 arrived churned: never a live customer here

    for _ in range(2):
        import_files({"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, row.format("A-1", "True"),
                                                           row.format("A-2", "False"), row.format("A-3", "True"))})

    assert [(d.event, d.payload) for d in m.WebhookDelivery.objects.all()] == [
        ("account.churned", {"account": "A-1", "name": "Cedar Valley", "source": "import"})]


def test_an_account_marked_churned_in_admin_is_announced(endpoint, rf):
    account = AccountFactory(external_id="A-9", name="Elm Street Clinic")
    request = rf.post("/admin/")
    request.user = UserFactory(username="ada", role="Admin", is_superuser=True)
    model_admin = admin.site._registry[m.Account]
    edit = forms.modelform_factory(m.Account, fields=["churned", "name"])

    for data in ({"churned": "on", "name": "Elm Street Clinic"}, {"churned": "on", "name": "Elm St. Clinic"}):
        form = edit(data, instance=account)
        assert form.is_valid()
        model_admin.save_model(request, form.save(commit=False), form, change=True)

    assert [(d.event, d.payload) for d in m.WebhookDelivery.objects.all()] == [
        ("account.churned", {"account": "A-9", "name": "Elm Street Clinic", "source": "admin"})]


# Sending: signed, once, with backoff ------------------------------------------------------------------------

def test_a_delivery_is_signed_sent_and_never_sent_again(endpoint, receiver):
    delivery = delivery_at(endpoint)

    assert delivery_attempt(delivery_id=delivery.pk, now=T0) == "delivered"
    assert delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(hours=1)) == "skipped"

    [got] = receiver.received
    assert got.signed and got.path == "/hooks/healthcs"
    assert (got.event, got.delivery, got.timestamp) == ("outcome.logged", str(delivery.pk), str(int(T0.timestamp())))
    assert got.body == {"id": delivery.pk, "event": "outcome.logged", "created_at": "2026-12-03T09:00:00Z",
                        "data": {"account": "A-1"}}
    assert state(delivery) == ("delivered", 1, 200, None)
    assert delivery.delivered_at == T0 and delivery.last_error == ""


def test_a_5xx_is_tried_again_after_the_backoff_and_then_delivered(endpoint, receiver):
    receiver.answer(500, 200)
    delivery = delivery_at(endpoint)

    first = delivery_attempt(delivery_id=delivery.pk, now=T0)
    after_first = state(delivery)
    early = delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(seconds=59))
    second = delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(seconds=60))

    assert (first, early, second) == ("retrying", "skipped", "delivered")
    assert after_first == ("retrying", 1, 500, T0 + dt.timedelta(seconds=60))
    assert state(delivery) == ("delivered", 2, 200, None)
    assert [(r.delivery, r.signed) for r in receiver.received] == [(str(delivery.pk), True)] * 2


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 60, 600

    assert [retry_delay(n).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_it_gives_up_after_the_last_attempt(endpoint, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answer(503)
    delivery = delivery_at(endpoint)

    ended = [delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(seconds=s)) for s in (0, 60, 180)]

    assert ended == ["retrying", "retrying", "failed"]
    assert state(delivery) == ("failed", 3, 503, None)
    assert delivery.last_error == "Gave up after 3 attempts. HTTP 503: try again later"
    assert len(receiver.received) == 3


def test_a_retry_that_would_come_after_the_expiry_is_not_made(endpoint, receiver):
    receiver.answer(502)
    delivery = delivery_at(endpoint, expires_at=T0 + dt.timedelta(seconds=30))

    assert delivery_attempt(delivery_id=delivery.pk, now=T0) == "failed"
    assert delivery.__class__.objects.get(pk=delivery.pk).last_error.startswith("Gave up: the next attempt would")


def test_429_is_tried_again_and_any_other_4xx_is_final(endpoint, receiver):
    throttled, refused = delivery_at(endpoint), delivery_at(endpoint)

    receiver.answer(429)
    assert delivery_attempt(delivery_id=throttled.pk, now=T0) == "retrying"
    receiver.answer(410)
    assert delivery_attempt(delivery_id=refused.pk, now=T0) == "failed"

    assert state(refused) == ("failed", 1, 410, None)
    assert refused.last_error == "HTTP 410: no such hook"
    assert state(throttled)[0] == "retrying"


def test_a_refused_connection_is_tried_again(endpoint):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    m.WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{port}/hooks")
    delivery = delivery_at(endpoint)

    assert delivery_attempt(delivery_id=delivery.pk, now=T0) == "retrying"
    assert state(delivery) == ("retrying", 1, None, T0 + dt.timedelta(seconds=60))
    assert delivery.last_error.startswith("ConnectionError: ")


def test_a_delivery_another_worker_is_sending_is_left_to_it_unless_that_worker_was_lost(endpoint, receiver):
    delivery = delivery_at(endpoint, status="sending", claimed_at=T0, attempts=1)

    assert delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(minutes=1)) == "skipped"
    assert receiver.received == []
    assert delivery_attempt(delivery_id=delivery.pk, now=T0 + dt.timedelta(minutes=6)) == "delivered"
    assert state(delivery)[:2] == ("delivered", 2)


def test_an_expired_delivery_is_failed_unsent(endpoint, receiver):
    delivery = delivery_at(endpoint, created=T0 - dt.timedelta(hours=25), next_attempt_at=T0)

    assert delivery_attempt(delivery_id=delivery.pk, now=T0) == "failed"
    assert receiver.received == []
    assert state(delivery)[0] == "failed" and delivery.last_error == "Expired before it could be delivered."


def test_the_sweep_hands_over_due_retries_and_lost_messages_and_fails_expired_ones(endpoint):
    due = delivery_at(endpoint, status="retrying", next_attempt_at=T0 - dt.timedelta(seconds=1))
    later = delivery_at(endpoint, status="retrying", next_attempt_at=T0 + dt.timedelta(seconds=30))
    just_sent = delivery_at(endpoint, next_attempt_at=T0 - dt.timedelta(minutes=9))
    lost = delivery_at(endpoint, next_attempt_at=T0 - dt.timedelta(minutes=11))
    lost_worker = delivery_at(endpoint, status="sending", claimed_at=T0 - dt.timedelta(minutes=6))
    expired = delivery_at(endpoint, created=T0 - dt.timedelta(days=2), expires_at=T0 - dt.timedelta(days=1))
    delivered = delivery_at(endpoint, status="delivered", next_attempt_at=None)

    handed = deliveries_due(now=T0)

    assert sorted(handed) == sorted([due.pk, lost.pk, lost_worker.pk])
    assert [state(d)[0] for d in (due, later, just_sent, lost, lost_worker, expired, delivered)] == [
        "pending", "retrying", "pending", "pending", "pending", "failed", "delivered"]
    assert deliveries_due(now=T0 + dt.timedelta(seconds=1)) == []  # handed over: left alone for a while


# Admin: endpoints with a write-only secret, the delivery log, redeliver -------------------------------------

def test_an_admin_adds_an_endpoint_and_its_secret_is_never_shown_again(client):
    admin = UserFactory(username="ada", role="Admin", is_superuser=True)
    client.force_login(admin)
    form = {"name": "CRM", "url": "https://crm.example.org/hooks", "secret": "a-long-shared-secret-0042",
            "events": ["alert.opened", "account.churned"], "active": "on"}

    refused = client.post(reverse("admin:accounts_webhookendpoint_add"),
                          form | {"url": "ftp://crm.example.org/hooks", "secret": "short"})
    added = client.post(reverse("admin:accounts_webhookendpoint_add"), form)
    endpoint = m.WebhookEndpoint.objects.get()
    change_url = reverse("admin:accounts_webhookendpoint_change", args=[endpoint.pk])
    page = client.get(change_url).content.decode()
    kept = client.post(change_url, form | {"secret": "", "name": "CRM (sales)"})

    assert refused.status_code == 200
    assert "Enter a valid URL." in refused.content.decode()
    assert "Give a secret of at least 16 characters." in refused.content.decode()
    assert added.status_code == kept.status_code == 302
    assert "a-long-shared-secret-0042" not in page and "set, ends in …0042" in page
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.secret, endpoint.events) == (
        "CRM (sales)", "a-long-shared-secret-0042", ["alert.opened", "account.churned"])
    logged = list(m.AuditEvent.objects.order_by("pk").values_list("action", "changes"))
    assert all("a-long-shared-secret" not in str(changes) for _, changes in logged)


def test_an_admin_redelivers_chosen_deliveries_from_the_log(client, endpoint, django_capture_on_commit_callbacks):
    admin = UserFactory(username="ada", role="Admin", is_superuser=True)
    delivered = delivery_at(endpoint, status="delivered", attempts=1, last_response_code=200, next_attempt_at=None)
    failed = delivery_at(endpoint, status="failed", attempts=8, last_response_code=503, last_error="Gave up")
    untouched = delivery_at(endpoint, status="failed", attempts=8)
    client.force_login(admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("admin:accounts_webhookdelivery_changelist"),
                               {"action": "redeliver", "_selected_action": [delivered.pk, failed.pk]})

    assert response.status_code == 302
    assert [state(d)[:3] for d in (delivered, failed, untouched)] == [
        ("pending", 0, None), ("pending", 0, None), ("failed", 8, None)]
    assert failed.last_error == "" and failed.expires_at > timezone.now() + dt.timedelta(hours=23)
    assert len(callbacks) == 1
    assert m.AuditEvent.objects.filter(action="redelivered").count() == 2


# A real worker through Redis ---------------------------------------------------------------------------------

@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_logged_outcome_through_redis(receiver):
    assert app.conf.broker_url.startswith("redis://")
    receiver.answer(200)
    endpoint = m.WebhookEndpoint.objects.create(name="CRM", url=receiver.url, secret=webhook_receiver.SECRET,
                                                events=[m.WebhookEvent.OUTCOME_LOGGED])
    user = UserFactory(username="morgan", email="morgan@example.org", role="Manager")
    account = AccountFactory(external_id="A-W1")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        outcome_log(account=account, user=user, kind="contacted")  # enqueued when it commits
        delivery = endpoint.deliveries.get()
        deadline = time.monotonic() + 30
        while delivery.status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.1)
            delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("delivered", 1, 200)
    assert [(r.event, r.delivery, r.signed, r.body["data"]["account"]) for r in receiver.received] == [
        ("outcome.logged", str(delivery.pk), True, "A-W1")]


def test_webhook_emit_without_a_listener_records_nothing(db):
    assert webhooks_emit(event=m.WebhookEvent.ACCOUNT_CHURNED, payloads=[{"account": "A-1"}]) == 0
    assert deliveries_enqueue(delivery_ids=[]) == 0
