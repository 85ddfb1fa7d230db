"""The workers' side of webhooks: a task sends one batch of deliveries; a scheduled sweep hands over the retries
that are due and whatever a lost message or worker left behind (healthcs/celery.py)."""

import logging

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.webhooks.delivery import deliveries_due, deliveries_send
from healthcs.celery import app

logger = logging.getLogger(__name__)
# The broker cannot be reached: the deliveries stay pending and the sweep hands them over later.
UNREACHABLE = (BrokerOperationalError, RedisConnectionError, RedisTimeoutError)


@app.task(acks_late=True)
def deliver_webhooks(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of deliveries (idempotent: each is claimed before it is sent)."""
    return deliveries_send(delivery_ids=delivery_ids)


@app.task
def dispatch_due_webhooks() -> int:
    """Scheduled every minute: hand the due deliveries to the workers; how many."""
    ids = deliveries_due()
    deliveries_enqueue(delivery_ids=ids)
    return len(ids)


def deliveries_enqueue(*, delivery_ids: list[int]) -> int:
    """Put the deliveries on the task queue in batches of WEBHOOK_BATCH_SIZE (after the commit that recorded them);
    the number of batches enqueued. What the broker does not take waits for the sweep."""
    size = settings.WEBHOOK_BATCH_SIZE
    batches = 0
    for start in range(0, len(delivery_ids), size):
        try:
            deliver_webhooks.delay(delivery_ids[start:start + size])
        except UNREACHABLE as error:
            logger.warning("Webhook deliveries wait for the sweep: the task queue cannot be reached (%s)", error)
            break
        batches += 1
    return batches
