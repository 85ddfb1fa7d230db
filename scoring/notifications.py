"""Announcing new alerts: one e-mail digest per CSM (unassigned accounts: the managers) and the optional
Slack incoming webhook. Each channel claims the alerts it announces (`emailed_at` / `slack_sent_at` still
empty, set in the same transaction), so an alert is announced once, whoever runs it; what could not be
sent is released and tried again with the next run."""

import json
import logging
from collections import defaultdict

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
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


def _managers() -> list[str]:
    users = User.objects.filter(Q(groups__name="Manager") | Q(is_superuser=True), is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def alerts_email(*, site_url: str = "") -> int:
    """E-mail each CSM one digest of their new alerts (unassigned accounts: the managers). Returns the
    number of alerts announced; a digest that cannot be sent is released to be tried on the next run."""
    alerts: list[Alert] = []
    while batch := _claim("emailed_at"):  # every new alert, not only the first claim's worth
        alerts.extend(batch)
    by_recipient: dict[tuple[str, ...], list[Alert]] = defaultdict(list)
    managers: tuple[str, ...] | None = None
    for alert in alerts:
        csm = alert.account.csm
        if csm is not None and csm.email:
            by_recipient[(csm.email,)].append(alert)
        else:
            managers = managers if managers is not None else tuple(_managers())
            if managers:
                by_recipient[managers].append(alert)
    failed: list[int] = []
    for recipients, items in by_recipient.items():
        context = {"alerts": items, "site_url": site_url.rstrip("/")}
        try:
            send_mail(
                subject=f"HealthCS: {len(items)} new alert{'s' if len(items) != 1 else ''}",
                message=render_to_string("scoring/alert_email.txt", context),
                from_email=None, recipient_list=list(recipients), fail_silently=False,
            )
        except OSError as error:  # SMTP down or refusing (smtplib's errors are OSErrors): retry next run
            logger.warning("Alert e-mail to %s failed, will retry: %s", ", ".join(recipients), error)
            failed.extend(a.pk for a in items)
    if failed:
        Alert.objects.filter(pk__in=failed).update(emailed_at=None)
    return len(alerts) - len(failed)


def alerts_slack(*, site_url: str = "", webhook_url: str | None = None, timeout: float = 5.0) -> int:
    """Post new alerts to the Slack incoming webhook, when one is configured. Returns the number sent;
    alerts that could not be posted are released to be tried again on the next run."""
    url = webhook_url if webhook_url is not None else settings.SLACK_WEBHOOK_URL
    if not url:
        return 0
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
