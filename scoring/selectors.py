"""Reads of the scoring app, scoped to what the user may see (accounts.selectors decides that)."""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import scope_to_user
from healthcs.errors import DomainError
from scoring.config import MEASURE_IDS, TIER_NAMES, parsed_document
from scoring.levels import FLAGGING_TIERS, Level
from scoring.model.drift import WARNING_PSI
from scoring.model.features import describe, feature_label
from scoring.models import (
    DEFAULT_SEVERITIES,
    Alert,
    AlertSeverity,
    AlertStatus,
    ChurnModel,
    ChurnModelStatus,
    ChurnPrediction,
    RecomputeRun,
    Severity,
    Snapshot,
)
from scoring.services import latest_as_of


def latest_snapshot(account: Account) -> Snapshot | None:
    """The account's most recent snapshot."""
    return account.snapshots.select_related("config").order_by("-as_of").first()


def awake(today: dt.date) -> Q:
    """Not snoozed, or snoozed until a day that has come: a snoozed alert comes back by itself."""
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)


# The alert inbox's ?status= values (docs/pages.md#alerts): which alerts each shows; "open" is the default.
INBOX_STATUSES = {
    "open": "Open", "new": "New", "acknowledged": "Acknowledged", "snoozed": "Snoozed", "resolved": "Resolved",
    "all": "All",
}


def inbox_status(status: str, today: dt.date) -> Q:
    """The alerts of one inbox status: open ones that are not snoozed (new: not yet acknowledged), snoozed ones,
    resolved ones, or all."""
    is_open = Q(status=AlertStatus.OPEN)
    return {
        "open": is_open & awake(today),
        "new": is_open & awake(today) & Q(acknowledged_at__isnull=True),
        "acknowledged": is_open & awake(today) & Q(acknowledged_at__isnull=False),
        "snoozed": is_open & ~awake(today),
        "resolved": Q(status=AlertStatus.RESOLVED),
        "all": Q(),
    }[status]


def inbox_counts(alerts: QuerySet[Alert], today: dt.date) -> dict[str, int]:
    """How many of the alerts each inbox status has (one query)."""
    return alerts.order_by().aggregate(**{name: Count("pk", filter=inbox_status(name, today))
                                          for name in INBOX_STATUSES})


SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity.values)}


def with_severity(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """The alerts with their type's severity (`severity`, and `severity_rank`, 0 the most urgent): as an admin
    set it in AlertSeverity, else the default for the type (one subquery of the same query)."""
    configured = AlertSeverity.objects.filter(kind=OuterRef("kind")).values("severity")[:1]
    default = Case(*[When(kind=kind, then=Value(severity.value)) for kind, severity in DEFAULT_SEVERITIES.items()],
                   default=Value(Severity.MEDIUM.value))
    return alerts.annotate(severity=Coalesce(Subquery(configured), default)).annotate(
        severity_rank=Case(*[When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()],
                           default=Value(len(SEVERITY_RANK))))


def alerts_for_user(user: User) -> QuerySet[Alert]:
    """Every alert (open, snoozed, resolved) of the accounts the user may see, with its severity, account, CSM and
    the people who acknowledged, snoozed or resolved it."""
    alerts = Alert.objects.select_related("account", "account__csm", "acknowledged_by", "snoozed_by", "resolved_by")
    return with_severity(scope_to_user(alerts, user))


def open_alerts_for_user(user: User, today: dt.date | None = None) -> QuerySet[Alert]:
    """Open alerts of the accounts the user may see that are not snoozed, newest first."""
    alerts = Alert.objects.filter(status=AlertStatus.OPEN).filter(awake(today or timezone.localdate())) \
        .select_related("account", "account__csm")
    return scope_to_user(alerts, user).order_by("-created_at", "-id")


def chosen_alerts(user: User, ids: list[int]) -> QuerySet[Alert]:
    """The alerts of these ids, all of them the user's; DomainError, naming none of them, when one is not (an
    unknown id, or another CSM's alert): a bulk change then changes nothing."""
    ids = set(ids)
    alerts = scope_to_user(Alert.objects.filter(pk__in=ids), user)
    if len(ids) != alerts.count():
        raise DomainError("Some of the chosen alerts are not in your book or no longer exist; nothing was changed. "
                          "Reload the page and choose again.", field="alerts")
    return alerts


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
    config = parsed_document(snapshot.config.data)
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




def verdict_note(snapshot: Snapshot, measures: list[dict]) -> str:
    """One voice (docs/scoring.md'): churn risk is the headline and the health scorecard explains it; where the
    two would point in different directions, the sentence that says why (empty when they agree)."""
    if snapshot.health_before_cap is not None:
        return (f"The measures alone score {snapshot.health_before_cap:.1f}; health is capped at "
                f"{snapshot.health_score:.0f} ({snapshot.health_tier}) because churn risk is {snapshot.risk_level}: "
                f"{snapshot.top_reasons or 'see the rules below'}.")
    if snapshot.risk_level == Level.LOW and snapshot.health_tier in FLAGGING_TIERS:
        weakest = sorted((m for m in measures if m["score"] is not None), key=lambda m: m["score"])[:3]
        names = ", ".join(f"{m['label'].lower()} ({m['score']:.0f}/100)" for m in weakest)
        return (f"No churn-risk rule fired, but the scorecard is weak ({snapshot.health_tier}): {names}. "
                f"Low scores without a warning sign usually mean low adoption rather than a customer about to leave.")
    return ""


@dataclass
class ChurnCard:
    """What Account 360's churn card shows: the latest prediction in words, or why there is none."""

    probability: float | None = None
    band: str = ""
    as_of: dt.date | None = None
    model_version: int | None = None
    reasons: list[str] = field(default_factory=list)
    missing: str = ""  # why there is no prediction


def active_model() -> ChurnModel | None:
    """The active churn model, if any."""
    return ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE).first()


def churn_card(account: Account) -> ChurnCard:
    """The account's latest churn prediction with its top reasons in plain words, in one query (the active model,
    annotated with the account's latest prediction); when there is none, why."""
    latest = ChurnPrediction.objects.filter(account=account).order_by("-as_of")
    row = (ChurnModel.objects.filter(status=ChurnModelStatus.ACTIVE)
           .annotate(p_as_of=Subquery(latest.values("as_of")[:1]),
                     p_probability=Subquery(latest.values("probability")[:1]),
                     p_band=Subquery(latest.values("band")[:1]),
                     p_contributions=Subquery(latest.values("contributions")[:1]),
                     p_version=Subquery(latest.values("model__version")[:1]))
           .values("p_as_of", "p_probability", "p_band", "p_contributions", "p_version").first())
    if row is None:
        return ChurnCard(missing="No churn model is active yet: one is trained weekly from the book's history and "
                                 "activated once it predicts churn better than the rules.")
    if row["p_as_of"] is None:
        return ChurnCard(missing="This account has no churn prediction yet: it is predicted with the daily "
                                 "recompute once it is scored.")
    contributions = row["p_contributions"]
    if isinstance(contributions, str):  # a subquery's JSON arrives as text on some databases
        contributions = json.loads(contributions)
    return ChurnCard(probability=row["p_probability"], band=row["p_band"], as_of=row["p_as_of"],
                     model_version=row["p_version"], reasons=[describe(item) for item in contributions[:5]])


@dataclass
class ModelPanel:
    """The managers' churn-model panel: the active model, the last rejected one and the latest day's drift."""

    active: ChurnModel | None
    rejected: ChurnModel | None
    drift_as_of: str
    drift: list[dict]  # {feature, label, psi, warning}, largest PSI first


def model_panel() -> ModelPanel:
    """The active churn model with its figures against the rules, the last rejected one and its reason, and the
    population stability of each feature on the latest predicted day (two queries)."""
    models = ChurnModel.objects.select_related("created_by").defer("booster")  # the booster is not shown
    active = models.filter(status=ChurnModelStatus.ACTIVE).first()
    rejected = models.filter(status=ChurnModelStatus.REJECTED).order_by("-version").first()
    psi = (active.drift or {}).get("psi", {}) if active else {}
    rows = [{"feature": name, "label": feature_label(name), "psi": value,
             "warning": value > WARNING_PSI} for name, value in psi.items()]
    rows.sort(key=lambda r: (-r["psi"], r["feature"]))
    return ModelPanel(active=active, rejected=rejected, drift_as_of=(active.drift or {}).get("as_of", "") if active
                      else "", drift=rows)


SNAPSHOT_COLUMNS = ("as_of", "health_score", "health_tier", "risk_score", "risk_level", "arr", "usage_30d",
                    "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d", "top_reasons",
                    "recommended_actions")


def with_latest_scores(accounts: QuerySet) -> QuerySet:
    """The accounts with the latest scoring day's snapshot values as annotations (one join, no query
    per row); accounts that day did not score have them empty."""
    return accounts.annotate(
        snap=FilteredRelation("snapshots", condition=Q(snapshots__as_of=latest_as_of())),
        **{column: F(f"snap__{column}") for column in SNAPSHOT_COLUMNS},
    )
