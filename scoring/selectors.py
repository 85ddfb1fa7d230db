"""Reads of the scoring app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Account, User
from accounts.selectors import scope_to_user
from scoring.config import MEASURE_IDS, TIER_NAMES, parse_config
from scoring.models import Alert, AlertStatus, RecomputeRun, Snapshot


def latest_snapshot(account: Account) -> Snapshot | None:
    """The account's most recent snapshot."""
    return account.snapshots.select_related("config").order_by("-as_of").first()


def open_alerts_for_user(user: User) -> QuerySet[Alert]:
    """Open alerts of the accounts the user may see, newest first."""
    alerts = Alert.objects.filter(status=AlertStatus.OPEN).select_related("account", "account__csm")
    return scope_to_user(alerts, user).order_by("-created_at", "-id")


def get_alert_for_user(user: User, alert_id: int) -> Alert:
    """An alert of one of the user's accounts; 404 otherwise."""
    try:
        return scope_to_user(Alert.objects.select_related("account"), user).get(pk=alert_id)
    except Alert.DoesNotExist:
        raise Http404("No such alert.") from None


def get_run(run_id: int) -> RecomputeRun:
    try:
        return RecomputeRun.objects.select_related("config", "created_by").get(pk=run_id)
    except RecomputeRun.DoesNotExist:
        raise Http404("No such recompute.") from None


def tier_counts(user: User, as_of: dt.date | None) -> dict[str, int]:
    """How many of the user's accounts are in each health tier on a date."""
    if as_of is None:
        return {}
    rows = scope_to_user(Snapshot.objects.filter(as_of=as_of), user).order_by().values("health_tier") \
        .annotate(n=Count("id"))
    found = {r["health_tier"] or "No data": r["n"] for r in rows}
    return {tier: found.get(tier, 0) for tier in (*TIER_NAMES, "No data") if tier in found or tier in TIER_NAMES}


MEASURE_LABELS = {
    "daily_active_rate": "Daily active rate", "feature_adoption_depth": "Feature adoption depth",
    "usage_trend_30d": "30-day usage trend", "plan_utilisation": "Plan utilisation",
    "support_sentiment": "Support sentiment", "feature_request_activity": "Feature-request activity",
    "community_participation": "Community participation", "onboarding_completion": "Onboarding completion",
    "documentation_engagement": "Documentation engagement", "payment_health": "Payment health",
    "contract_trend": "Contract utilisation trend", "team_adoption": "Team adoption",
    "integration_health": "Integration health (EHR, API)", "csm_interactions": "CSM interactions",
    "executive_engagement": "Executive engagement", "referral_likelihood": "Referrals (NPS)",
    "case_study_participation": "Case-study participation",
}
GROUP_LABELS = {"usage": "Usage", "engagement": "Engagement", "business": "Business", "relationship": "Relationship"}


def fired_rule_rows(snapshot: Snapshot) -> list[dict]:
    """The snapshot's fired rules for display: evidence as "name value" pairs, and quoted texts apart."""
    rows = []
    for fired in snapshot.fired_rules:
        evidence = dict(fired.get("evidence", {}))
        quotes = evidence.pop("items", [])
        rows.append({
            "rule": fired["rule"], "points": fired["points"], "reason": fired["reason"],
            "evidence": ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in evidence.items()),
            "quotes": quotes,
        })
    return rows


def measure_rows(snapshot: Snapshot) -> list[dict]:
    """The snapshot's measure breakdown for display, grouped, with the weight of each measure as it
    was configured in the snapshot's configuration version."""
    config = parse_config(snapshot.config.data)
    rows = []
    measures = snapshot.breakdown()
    for measure in config.measures:
        values = measures.get(measure.id, {})
        rows.append({
            "id": measure.id, "label": MEASURE_LABELS[measure.id],
            "group": GROUP_LABELS[MEASURE_IDS[measure.id]], "weight": measure.weight,
            "raw": values.get("raw"), "score": values.get("score"), "points": values.get("points"),
        })
    return rows
