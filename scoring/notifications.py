"""Announcing new alerts on the optional Slack incoming webhook. The channel claims the alerts it announces
(`slack_sent_at` still empty, set in the same transaction), so an alert is announced once, whoever runs it;
what could not be sent is released and tried again with the next run. E-mail is not sent per run: each CSM
reads their new alerts in the daily digest (workspace.digests)."""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from scoring.models import Alert, AlertStatus

logger = logging.getLogger(__name__)
SLACK_ALERTS_PER_MESSAGE = 100


def _claim(field: str, limit: int = 5000) -> list[Alert]:
    """Open alerts not yet announced on one channel, marked as announced in the same transaction;
    loaded with just what the messages show."""
    with transaction.atomic():
        alerts = list(
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(**{f"{field}__isnull": True}, status=AlertStatus.OPEN)
            .select_related("account", "account__csm")
            .only("kind", "message", "account__name", "account__external_id", "account__csm__email")
            .order_by("id")[:limit]
        )
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(**{field: timezone.now()})
    return alerts


def alerts_slack(*, site_url: str = "", webhook_url: str | None = None, timeout: float = 5.0) -> int:
    """Post new alerts to the Slack incoming webhook, when one is configured. Returns the number sent;
    alerts that could not be posted are released to be tried again on the next run."""
    url = webhook_url if webhook_url is not None else settings.SLACK_WEBHOOK_URL
    if not url:
        return 0
    import requests  # here, not at the top: every process that scores would load it for nothing (0.07 s)

    sent = 0
    # One message per 100 alerts (Slack truncates a text beyond 40,000 characters), until none is left.
    while alerts := _claim("slack_sent_at", limit=SLACK_ALERTS_PER_MESSAGE):
        lines = []
        for alert in alerts:
            link = site_url.rstrip("/") + reverse("account_detail", args=[alert.account.external_id])
            lines.append(f"• *{alert.get_kind_display()}* — <{link}|{alert.account.name}>: {alert.message}")
        text = f"HealthCS: {len(alerts)} new alert(s)\n" + "\n".join(lines)
        try:
            requests.post(url, data=json.dumps({"text": text}), headers={"Content-Type": "application/json"},
                          timeout=timeout).raise_for_status()
        except requests.RequestException as error:
            logger.warning("Slack webhook failed, will retry: %s", error)
            Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(slack_sent_at=None)
            return sent
        sent += len(alerts)
    return sent
