"""Outgoing webhooks for the CRM: the endpoints an admin configures (URL, secret, events) and the log of every
delivery (docs/api.md#webhooks). The events come from every layer, so their models live in the lowest one."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookEvent(models.TextChoices):
    ALERT_OPENED = "alert.opened", "Alert opened"
    INTERVENTION_FIRED = "intervention.fired", "Intervention fired"
    OUTCOME_LOGGED = "outcome.logged", "Outcome logged"
    OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed", "Opportunity stage changed"
    RISK_LEVEL_CHANGED = "account.risk_level_changed", "Risk level changed"
    ACCOUNT_CHURNED = "account.churned", "Account churned"


class WebhookEndpoint(models.Model):
    """A receiver of events: its URL, the secret that signs what it is sent, the events it wants."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])],
                          help_text="Where the events are POSTed (http or https).")
    secret = models.CharField(max_length=200, help_text="Signs every delivery (HMAC-SHA256); never shown again.")
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices), default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


OPEN_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


class WebhookDelivery(models.Model):
    """One event for one endpoint: recorded with the change that caused it, then sent (and retried) by a worker."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not sent after this; failed instead.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took it to send.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                                condition=Q(status__in=["pending", "sending", "retrying"]))]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
