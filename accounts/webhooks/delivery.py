"""Signing and sending deliveries. A delivery is claimed with a conditional UPDATE before it is sent, so two
workers never send the same one and a delivered one is never sent again; transient failures (no connection, a
timeout, HTTP 5xx or 429) are tried again later with exponential backoff, up to a cap and an expiry; any other
answer is final. The exact scheme a receiver checks is in docs/api.md#webhooks."""

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import DeliveryStatus, WebhookDelivery

SIGNATURE_HEADER = "X-HealthCS-Signature"
TIMESTAMP_HEADER = "X-HealthCS-Timestamp"
EVENT_HEADER = "X-HealthCS-Event"
DELIVERY_HEADER = "X-HealthCS-Delivery"
# A delivery still "sending" this long after a worker took it lost its worker (far beyond the send's timeout).
STALE_SENDING = timedelta(minutes=5)
# A pending delivery not taken this long after it was handed over lost its message (or never reached the broker);
# long enough that a backlog of the daily run's batches is not handed over a second time while it waits.
REDISPATCH_AFTER = timedelta(minutes=10)
ERROR_MAX = WebhookDelivery._meta.get_field("last_error").max_length


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of the timestamp, a dot and the body, keyed with the endpoint's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON sent: {"id", "event", "created_at", "data"}."""
    return json.dumps({"id": delivery.pk, "event": delivery.event, "created_at": delivery.created_at,
                       "data": delivery.payload}, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def retry_delay(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: the base, doubled each time, at most the cap."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _claimable(now: datetime) -> Q:
    return (Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING))


def _record(delivery_id: int, **fields) -> None:
    """Store how the claimed attempt ended (only while it is still ours: sending)."""
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(**fields)


def _failed(delivery: WebhookDelivery, *, now: datetime, code: int | None, error: str, transient: bool) -> str:
    """A failed attempt: tried again later when the failure is transient and the cap and expiry allow, else final."""
    retry_at = now + retry_delay(delivery.attempts)
    if transient and delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        error = f"Gave up after {delivery.attempts} attempts. {error}"
        transient = False
    elif transient and delivery.expires_at and retry_at > delivery.expires_at:
        error = f"Gave up: the next attempt would come after the delivery expires. {error}"
        transient = False
    status = DeliveryStatus.RETRYING if transient else DeliveryStatus.FAILED
    _record(delivery.pk, status=status, last_response_code=code, last_error=error[:ERROR_MAX],
            next_attempt_at=retry_at if transient else None)
    return status


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery if it is due and no other worker has it; returns its status afterwards ("skipped" when it
    was not ours to send: delivered, failed, not yet due, or taken by another worker)."""
    import requests  # here, not at the top: every process that announces an event would load it (0.07 s)

    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.expires_at and delivery.expires_at < now:
        return _failed(delivery, now=now, code=None, error="Expired before it could be delivered.", transient=False)
    if not delivery.endpoint.active:
        return _failed(delivery, now=now, code=None, error="The endpoint was switched off.", transient=False)
    timestamp = int(now.timestamp())
    body = delivery_body(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": "HealthCS-Webhooks/1",
               EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk), TIMESTAMP_HEADER: str(timestamp),
               SIGNATURE_HEADER: signature(delivery.endpoint.secret, timestamp, body)}
    try:
        response = requests.post(delivery.endpoint.url, data=body, headers=headers, allow_redirects=False,
                                 timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except (requests.ConnectionError, requests.Timeout) as error:
        return _failed(delivery, now=now, code=None, error=f"{type(error).__name__}: {error}", transient=True)
    except requests.RequestException as error:  # an address requests cannot use: trying again changes nothing
        return _failed(delivery, now=now, code=None, error=f"{type(error).__name__}: {error}", transient=False)
    code = response.status_code
    if 200 <= code < 300:
        _record(delivery.pk, status=DeliveryStatus.DELIVERED, delivered_at=now, last_response_code=code,
                last_error="", next_attempt_at=None)
        return DeliveryStatus.DELIVERED
    return _failed(delivery, now=now, code=code, error=f"HTTP {code}: {response.text[:200]}",
                   transient=code == 429 or code >= 500)


def deliveries_send(*, delivery_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Attempt each of a batch of deliveries; how many ended in each status."""
    ended: dict[str, int] = {}
    for delivery_id in delivery_ids:
        status = delivery_attempt(delivery_id=delivery_id, now=now)
        ended[status] = ended.get(status, 0) + 1
    return ended


@transaction.atomic
def deliveries_due(*, now: datetime | None = None, limit: int = 20_000) -> list[int]:
    """The deliveries to hand to the workers now — retries that are due, pending ones whose message was lost or
    never sent, and ones whose worker was lost — marked pending again (so the next sweep leaves them alone for a
    while); the expired ones are failed first."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                                   expires_at__lt=now).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Expired before it could be delivered.")
    due = (Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
           | Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - REDISPATCH_AFTER)
           | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING))
    ids = list(WebhookDelivery.objects.select_for_update(skip_locked=True).filter(due)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    WebhookDelivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, next_attempt_at=now)
    return ids
