"""Announcing an event: one delivery per subscribed endpoint and payload, written in the caller's transaction and
handed to the workers once it commits (nothing is sent for a change that is rolled back)."""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_records
from accounts.models import DeliveryStatus, User, WebhookDelivery, WebhookEndpoint, WebhookEvent


def _enqueue_after_commit(ids: list[int]) -> None:
    """Hand the deliveries to the workers once the transaction commits. The tasks module (and with it Celery and the
    broker's client) is loaded only when there are deliveries: a command that emits nothing starts without them."""
    from accounts.webhooks.tasks import deliveries_enqueue

    transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids))


def webhooks_listening(event: WebhookEvent) -> bool:
    """Whether any active endpoint wants the event: a caller whose payloads cost a query asks this first."""
    return WebhookEndpoint.objects.filter(active=True, events__contains=[event]).exists()


def webhooks_emit(*, event: WebhookEvent, payloads: Iterable[dict]) -> int:
    """Record the event's deliveries for every active endpoint that wants it — one INSERT ... SELECT however many
    payloads and endpoints — and enqueue them in batches after the commit. Returns how many were recorded."""
    bodies = list(payloads)
    if not bodies:
        return 0
    now = timezone.now()
    with connection.cursor() as cursor:
        # The payloads travel as one JSON array (an array parameter of ten thousand texts took seconds to quote).
        cursor.execute(
            f"INSERT INTO {WebhookDelivery._meta.db_table} (endpoint_id, event, payload, created_at, status, attempts, "
            "next_attempt_at, expires_at, last_error) "
            "SELECT e.id, %s, p.body, %s, %s, 0, %s, %s, '' "
            f"FROM {WebhookEndpoint._meta.db_table} e "
            "CROSS JOIN jsonb_array_elements(CAST(%s AS jsonb)) WITH ORDINALITY AS p(body, n) "
            "WHERE e.active AND %s = ANY(e.events) ORDER BY e.id, p.n RETURNING id",
            [str(event), now, DeliveryStatus.PENDING, now, now + timedelta(hours=settings.WEBHOOK_EXPIRE_HOURS),
             json.dumps(bodies, cls=DjangoJSONEncoder), str(event)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        _enqueue_after_commit(ids)
    return len(ids)


def account_churned_emit(*, accounts: Iterable[tuple[str, str]], source: str) -> int:
    """The "account churned" event for accounts (external id, name) whose outcome just became churned; the one
    call every write site that marks accounts churned makes, inside its transaction."""
    return webhooks_emit(event=WebhookEvent.ACCOUNT_CHURNED, payloads=(
        {"account": external_id, "name": name, "source": source} for external_id, name in accounts))


@transaction.atomic
def webhook_deliveries_redeliver(*, deliveries: QuerySet[WebhookDelivery], user: User | None,
                                 now: datetime | None = None) -> int:
    """Send the chosen deliveries again (an admin's "redeliver"), delivered or failed ones too: their attempts
    counted afresh, with a new expiry; audited. Ones being sent at this moment are left alone. Returns how many."""
    now = now or timezone.now()
    chosen = list(deliveries.exclude(status=DeliveryStatus.SENDING).order_by("pk"))
    ids = [delivery.pk for delivery in chosen]
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, delivered_at=None, last_error="",
        last_response_code=None, expires_at=now + timedelta(hours=settings.WEBHOOK_EXPIRE_HOURS))
    audit_records(user=user, action="redelivered", objects=chosen)
    if ids:
        _enqueue_after_commit(ids)
    return len(ids)
