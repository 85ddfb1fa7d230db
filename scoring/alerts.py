"""Alert rules of docs/scoring.md, evaluated for a scored batch, and opening and working alerts.

`detect_alerts` is pure (BookData and Scores in, one row per alert out). Opening alerts relies on
the database's "one open alert per account and type" constraint. Announcing them (e-mail, Slack) is
scoring.notifications. People work open alerts in the inbox (docs/pages.md#alerts): acknowledge, snooze
until a day (an open alert still, so the recompute opens no second one of its type meanwhile) or resolve,
one or many at once, each change audited.
"""

import datetime as dt
import json

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_records
from accounts.models import Account, User, WebhookEvent
from accounts.webhooks.emit import webhooks_emit
from healthcs.errors import DomainError
from scoring.calculations import Scores
from scoring.config import Config
from scoring.fetch import BookData
from scoring.models import Alert, AlertStatus

COLUMNS = ["account_id", "kind", "message", "evidence"]


def _alerts(kind: str, rows: pd.DataFrame, message, evidence) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame({
        "account_id": rows.index.to_numpy(),
        "kind": kind,
        "message": [message(r) for r in rows.itertuples()],
        "evidence": [evidence(r) for r in rows.itertuples()],
    })


def critical_drop(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """Health below the critical line (20 by default)."""
    acc = scores.accounts
    rows = acc[acc["health_score"] < rule["below"]]
    return _alerts("critical_drop", rows, lambda r: f"Health fell to {r.health_score:g} (below {rule['below']:g})",
                   lambda r: {"health_score": r.health_score, "previous": None if pd.isna(r.health_trend)
                              else round(r.health_score - r.health_trend, 1)})


def usage_cliff(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """Usage of the last n days (the rule's `days`, 3 by default) at least `drop` below the n days before,
    and below the same weekdays a week earlier as well, so an ordinary weekend dip is not a cliff. The
    message and evidence name the configured window. (BookData's columns keep the names last_3, before_3
    and week_before_3 whatever n is: fetch.usage counts them over the configured n days.)"""
    days = int(rule.get("days", 3))
    period = f"{days} day{'s' if days != 1 else ''}"
    usage = data.usage_by_account.reindex(scores.accounts.index).fillna(0)
    keep = 1 - rule["drop"]
    hit = ((usage["before_3"] > 0) & (usage["week_before_3"] > 0)
           & (usage["last_3"] <= keep * usage["before_3"]) & (usage["last_3"] <= keep * usage["week_before_3"]))
    rows = usage[hit]
    return _alerts(
        "usage_cliff", rows,
        lambda r: f"Usage fell {round(100 * (1 - r.last_3 / r.before_3))}% over the last {period}",
        lambda r: {f"last_{days}_days": int(r.last_3), f"{days}_days_before": int(r.before_3),
                   "same_days_a_week_earlier": int(r.week_before_3)},
    )


def failed_payment(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """A failed or overdue invoice due in the last 30 days."""
    inv = data.invoices.reindex(scores.accounts.index)
    rows = inv[inv["failed_recent"].fillna(0) > 0]
    return _alerts("failed_payment", rows,
                   lambda r: f"{int(r.failed_recent)} failed or overdue invoice(s) since {r.first_failed_due}",
                   lambda r: {"failed_or_overdue": int(r.failed_recent), "first_due": str(r.first_failed_due)})


def core_feature_unused(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """A core feature (listed in the rule, or one the account used on most days of the month before)
    not used at all in the last 7 days."""
    days = int(rule["days"])
    per = data.quiet_features  # used in the 30 days before the last `days` days, not since
    if rule.get("features"):
        quiet = per[per["feature"].isin(rule["features"]) & (per["days_before"] > 0)]
    else:
        quiet = per[per["days_before"].clip(upper=30) >= rule["min_active_share"] * 30]
    quiet = quiet[quiet["account_id"].isin(scores.accounts.index)]
    if quiet.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = quiet.groupby("account_id")
    last_used = pd.to_datetime(grouped["last_used"].max()).dt.date
    rows = pd.DataFrame({"features": grouped["feature"].apply(sorted), "last_used": last_used})
    return _alerts("core_feature_unused", rows,
                   lambda r: f"Core feature{'s' if len(r.features) > 1 else ''} {', '.join(r.features)} "
                             f"unused for {days}+ days",
                   lambda r: {"features": r.features, "last_used": str(r.last_used)})


def champion_left(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """A champion contact left in the last 30 days."""
    c = data.contacts.reindex(scores.accounts.index)
    rows = c[c["champions_left"].fillna(0) > 0]
    return _alerts("champion_left", rows, lambda r: f"Champion left on {r.champion_left_on}",
                   lambda r: {"left_on": str(r.champion_left_on), "champions_left": int(r.champions_left)})


def silent_account(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """No interaction of any kind (ticket, survey, call, meeting, inbound message) for 60 days. Only
    for books that record touchpoints: without them every account would look silent."""
    if not data.has_touchpoints:
        return pd.DataFrame(columns=COLUMNS)
    index = scores.accounts.index
    latest = pd.concat(
        [pd.to_datetime(data.touchpoints["last_interaction"], utc=True, format="ISO8601").reindex(index),
         pd.to_datetime(data.tickets["last_ticket"], utc=True, format="ISO8601").reindex(index),
         pd.to_datetime(data.surveys["last_survey"], utc=True, format="ISO8601").reindex(index)], axis=1,
    ).max(axis=1)
    cutoff = pd.Timestamp(data.window.instant(int(rule["days"]) - 1))
    silent = latest.isna() | (latest < cutoff)
    rows = pd.DataFrame({"last": latest[silent]})
    return _alerts("silent_account", rows,
                   lambda r: f"No customer interaction for {rule['days']}+ days"
                             + ("" if pd.isna(r.last) else f" (last on {r.last.date()})"),
                   lambda r: {"last_interaction": None if pd.isna(r.last) else str(r.last.date())})


def renewal_risk(data: BookData, scores: Scores, rule: dict) -> pd.DataFrame:
    """Renewal within 60 days while risk is Medium or High."""
    acc = scores.accounts
    renewal = pd.to_datetime(acc["renewal_date"])
    soon = (renewal >= pd.Timestamp(data.window.as_of)) & (renewal <= pd.Timestamp(data.window.day(-int(rule["days"]))))
    rows = acc[soon & acc["risk_level"].isin(rule["levels"])]
    return _alerts("renewal_risk", rows,
                   lambda r: f"Renews on {r.renewal_date} with {r.risk_level} risk ({r.risk_score})",
                   lambda r: {"renewal_date": str(r.renewal_date), "risk_level": r.risk_level,
                              "risk_score": int(r.risk_score)})


ALERT_RULES = {f.__name__: f for f in (critical_drop, usage_cliff, failed_payment, core_feature_unused,
                                       champion_left, silent_account, renewal_risk)}


def detect_alerts(data: BookData, scores: Scores, config: Config) -> pd.DataFrame:
    """Every alert condition that holds for the batch's live accounts (not churned, with an active
    subscription)."""
    acc = scores.accounts
    live_ids = set(data.subscriptions.loc[data.subscriptions["active"], "account_id"])
    live = acc.index[~acc["churned"].to_numpy(dtype=bool) & acc.index.isin(list(live_ids))]
    live_scores = Scores(subscriptions=scores.subscriptions, accounts=acc.loc[live])
    parts = [ALERT_RULES[kind](data, live_scores, rule) for kind, rule in config.alerts.items() if rule["enabled"]]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def alerts_open(*, as_of, detected: pd.DataFrame) -> int:
    """Open the detected alerts; an account's open alert of the same type stays as it is (the database
    constraint drops the duplicate, also against another run opening it meanwhile). The ones opened are
    announced to the webhooks ("alert opened"). Returns how many alerts were opened."""
    if detected.empty:
        return 0
    accounts = detected["account_id"].astype(int).tolist()
    messages = [m[:300] for m in detected["message"].tolist()]
    evidence = [_plain(e) for e in detected["evidence"].tolist()]
    # One statement, however many alerts; it answers with the ones it opened, for the webhooks.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH opened AS (INSERT INTO {Alert._meta.db_table} "
            f"(account_id, kind, status, as_of, message, evidence, created_at) "
            f"SELECT v.account_id, v.kind, %s, %s, v.message, CAST(v.evidence AS jsonb), %s "
            f"FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) "
            f"AS v(account_id, kind, message, evidence) "
            f"ON CONFLICT DO NOTHING RETURNING id, account_id, kind, message) "
            f"SELECT opened.id, a.external_id, opened.kind, opened.message FROM opened "
            f"JOIN {Account._meta.db_table} a ON a.id = opened.account_id ORDER BY opened.id",
            [AlertStatus.OPEN, as_of, timezone.now(), accounts, detected["kind"].tolist(), messages,
             [json.dumps(e) for e in evidence]],
        )
        opened = cursor.fetchall()
    webhooks_emit(event=WebhookEvent.ALERT_OPENED, payloads=(
        {"alert_id": alert_id, "account": external_id, "kind": kind, "as_of": as_of, "message": message}
        for alert_id, external_id, kind, message in opened))
    return len(opened)


MAX_SNOOZE_DAYS = 365
NOTHING_CHOSEN = "No alert was chosen: tick the alerts, or choose all the alerts matching the filter."


def _open_alerts(alerts: QuerySet[Alert]) -> list[Alert]:
    """The open ones of the alerts, locked for the change (one query; the caller's ordering dropped)."""
    chosen = alerts.order_by().values("pk")
    return list(Alert.objects.select_for_update(of=("self",)).filter(pk__in=chosen, status=AlertStatus.OPEN)
                .only("id", "kind", "account_id", "acknowledged_at", "snoozed_until").order_by("pk"))


def _require_some(alerts: QuerySet[Alert]) -> None:
    if not alerts.exists():
        raise DomainError(NOTHING_CHOSEN, field="alerts")


@transaction.atomic
def alerts_acknowledge(*, alerts: QuerySet[Alert], user: User) -> int:
    """Mark the open, not yet acknowledged alerts as seen by the user (they stay open); refused with nothing
    changed when no alert is given. Returns how many changed."""
    _require_some(alerts)
    changed = [a for a in _open_alerts(alerts) if a.acknowledged_at is None]
    now = timezone.now()
    Alert.objects.filter(pk__in=[a.pk for a in changed]).update(acknowledged_at=now, acknowledged_by=user)
    audit_records(user=user, action="acknowledged", objects=changed,
                  changes=lambda a: {"acknowledged_at": [None, now.isoformat()]})
    return len(changed)


@transaction.atomic
def alerts_resolve(*, alerts: QuerySet[Alert], user: User) -> int:
    """Close the open alerts (a new one of the same type may open later); refused with nothing changed when no
    alert is given. Returns how many were open and are resolved now."""
    _require_some(alerts)
    changed = _open_alerts(alerts)
    Alert.objects.filter(pk__in=[a.pk for a in changed]).update(
        status=AlertStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=user)
    audit_records(user=user, action="resolved", objects=changed,
                  changes=lambda a: {"status": [AlertStatus.OPEN.value, AlertStatus.RESOLVED.value]})
    return len(changed)


@transaction.atomic
def alerts_snooze(*, alerts: QuerySet[Alert], user: User, until: dt.date, today: dt.date | None = None) -> int:
    """Hide the open alerts from the inbox and the home page until a day after today (at most a year ahead),
    after which they come back by themselves; refused with nothing changed for another day or when no alert is
    given. Returns how many were open and are snoozed now."""
    today = today or timezone.localdate()
    if until <= today:
        raise DomainError(f"Snooze until a day after today ({today:%Y-%m-%d}); {until:%Y-%m-%d} has come already.",
                          field="until")
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise DomainError(f"Snooze for at most {MAX_SNOOZE_DAYS} days, until "
                          f"{today + dt.timedelta(days=MAX_SNOOZE_DAYS):%Y-%m-%d} at the latest.", field="until")
    _require_some(alerts)
    changed = _open_alerts(alerts)
    Alert.objects.filter(pk__in=[a.pk for a in changed]).update(snoozed_until=until, snoozed_by=user)
    audit_records(user=user, action="snoozed", objects=changed,
                  changes=lambda a: {"snoozed_until": [a.snoozed_until and a.snoozed_until.isoformat(),
                                                       until.isoformat()]})
    return len(changed)


def alert_resolve(*, alert: Alert, user: User) -> bool:
    """Close an open alert (a new one of the same type may open later); False when it was not open."""
    return bool(alerts_resolve(alerts=Alert.objects.filter(pk=alert.pk), user=user))
