"""Scoring configurations, daily snapshots, recompute runs and alerts (docs/scoring.md).

The database guards the invariants: one snapshot per account per as-of date, one active
configuration, one open alert per account and alert type.
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Account


class ConfigStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ScoringConfig(models.Model):
    """One version of the scoring configuration; drafts are edited, one version is active."""

    version = models.PositiveIntegerField(unique=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=ConfigStatus.choices, default=ConfigStatus.DRAFT)
    data = models.JSONField(help_text="Risk rules, levels, actions, health measures, tiers and alert rules.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-version"]
        verbose_name = "scoring configuration"
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_scoring_config"),
        ]
        permissions = [("activate_scoringconfig", "Can activate a scoring configuration")]

    def __str__(self) -> str:
        label = f"v{self.version} ({self.get_status_display().lower()})"
        return f"{label} {self.name}".strip()


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RecomputeRun(models.Model):
    """One recompute of all snapshots for an as-of date, split into batches of accounts."""

    as_of = models.DateField()
    config = models.ForeignKey(ScoringConfig, on_delete=models.PROTECT, related_name="runs")
    trigger = models.CharField(max_length=16, help_text="command, schedule or web")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    batches_total = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    accounts_scored = models.PositiveIntegerField(default=0)
    alerts_opened = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("recompute_scores", "Can start a recompute of all scores")]

    def __str__(self) -> str:
        return f"Recompute #{self.pk} as of {self.as_of} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.SUCCEEDED:
            return 100
        return int(100 * self.batches_done / self.batches_total) if self.batches_total else 0


class RecomputeBatch(models.Model):
    """One batch of a run: the accounts with primary keys first..last. Done batches are not redone."""

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_account = models.BigIntegerField()
    last_account = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    accounts_scored = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "recompute batches"
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="recompute_batch_unique")]


class StoredJSONField(models.JSONField):
    """JSON kept as written: PostgreSQL type json rather than jsonb. For documents that are written in
    bulk and read whole, never searched by their contents: json is only checked on the way in, while
    jsonb is converted, which made it most of the cost of writing a day's snapshots."""

    def db_type(self, connection):
        return "json"

    def from_db_value(self, value, expression, connection):
        if isinstance(value, dict | list):  # the driver already decoded the json type
            return value
        return super().from_db_value(value, expression, connection)


BREAKDOWN_FIELDS = ("raw", "score", "points")


def breakdown(stored: dict | str) -> dict[str, dict[str, float | None]]:
    """A stored measure breakdown ({measure id: [raw, score, points]}, as scoring.measures.health_scores writes
    it) as {measure id: {"raw", "score", "points"}}; None where there was no data."""
    values = json.loads(stored) if isinstance(stored, str) else stored
    return {measure_id: dict(zip(BREAKDOWN_FIELDS, triple, strict=True)) for measure_id, triple in values.items()}


class Snapshot(models.Model):
    """An account's health and churn risk as of one date, with the full breakdown (docs/scoring.md)."""

    def breakdown(self) -> dict[str, dict[str, float | None]]:
        """The measure breakdown: {measure id: {"raw", "score", "points"}}."""
        return breakdown(self.measures)

    # No index of its own: the one-per-day constraint's index starts with the account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="snapshots", db_index=False)
    as_of = models.DateField()
    config = models.ForeignKey(ScoringConfig, on_delete=models.PROTECT, related_name="snapshots")
    run = models.ForeignKey(RecomputeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    computed_at = models.DateTimeField()

    health_score = models.FloatField(null=True, blank=True, help_text="0-100; empty when no measure has data.")
    health_tier = models.CharField(max_length=16, blank=True)
    covered_share = models.FloatField(default=0, help_text="Share of the measures' weight that had data.")
    health_before_cap = models.FloatField(
        null=True, blank=True,
        help_text="The measures' health score when the churn-risk level capped it (one voice); empty otherwise.")
    health_trend = models.FloatField(null=True, blank=True, help_text="Change against the snapshot 30 days earlier.")
    trend = models.CharField(max_length=16, blank=True)

    risk_score = models.PositiveSmallIntegerField()
    risk_level = models.CharField(max_length=8)
    risk_subscription = models.CharField(max_length=64, blank=True,
                                         help_text="The subscription whose rules gave the account's risk.")
    top_reasons = models.TextField(blank=True)
    recommended_actions = models.TextField(blank=True)

    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    usage_30d = models.BigIntegerField(default=0)
    usage_prev30d = models.BigIntegerField(default=0)
    usage_drop_pct = models.IntegerField(default=0)
    errors_30d = models.IntegerField(default=0)
    tickets_30d = models.IntegerField(default=0)
    churn_intent_30d = models.IntegerField(default=0)

    measures = StoredJSONField(default=dict, help_text="Per measure: [raw value, 0-100 score, points]; "
                                                       "read with breakdown().")
    fired_rules = StoredJSONField(default=list, help_text="Per fired rule: points, reason and evidence.")

    class Meta:
        ordering = ["-as_of", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="one_snapshot_per_account_per_day"),
            models.CheckConstraint(condition=Q(risk_score__lte=100), name="snapshot_risk_0_100"),
            models.CheckConstraint(condition=Q(health_score__isnull=True)
                                   | Q(health_score__gte=0, health_score__lte=100), name="snapshot_health_0_100"),
        ]
        indexes = [
            # The day's riskiest first (the at-risk list's default order, dashboards' top accounts) and the list by
            # health. Each carries the account's id, so that a deep page of the list reads its ids from the index
            # alone, in order, instead of sorting the whole book (workspace.filters.PagedAccounts).
            models.Index(fields=["as_of", "-risk_score", "-arr"], include=["account"], name="snapshot_day_risk_arr"),
            models.Index(fields=["as_of", "health_score"], include=["account"], name="snapshot_day_health"),
            models.Index(fields=["as_of", "health_tier"], name="snapshot_day_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}: health {self.health_score}, risk {self.risk_score}"


class AlertType(models.TextChoices):
    CRITICAL_DROP = "critical_drop", "Health fell below critical"
    USAGE_CLIFF = "usage_cliff", "Usage cliff"
    FAILED_PAYMENT = "failed_payment", "Failed payment"
    CORE_FEATURE_UNUSED = "core_feature_unused", "Core feature unused"
    CHAMPION_LEFT = "champion_left", "Champion left"
    SILENT_ACCOUNT = "silent_account", "Silent account"
    RENEWAL_RISK = "renewal_risk", "Renewal at risk"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Severity(models.TextChoices):
    """How urgent an alert type is (AlertSeverity), most urgent first."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# The seeded severity of each alert type (scoring migration 0011); admins change them in AlertSeverity.
DEFAULT_SEVERITIES = {
    AlertType.CRITICAL_DROP: Severity.CRITICAL, AlertType.FAILED_PAYMENT: Severity.HIGH,
    AlertType.CHAMPION_LEFT: Severity.HIGH, AlertType.RENEWAL_RISK: Severity.HIGH,
    AlertType.USAGE_CLIFF: Severity.HIGH, AlertType.CORE_FEATURE_UNUSED: Severity.MEDIUM,
    AlertType.SILENT_ACCOUNT: Severity.MEDIUM,
}


class Alert(models.Model):
    """Something about an account that needs attention now (docs/scoring.md); one open alert per type."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=AlertType.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    as_of = models.DateField(help_text="The scoring date that raised it.")
    message = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    slack_sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    snoozed_until = models.DateField(null=True, blank=True,
                                     help_text="Hidden from the inbox and the home page until this day.")
    snoozed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], condition=Q(status="open"),
                                    name="one_open_alert_per_account_and_type"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="alert_status_created"),
                   # The inbox's default order: its page of ids read along the index, not by sorting every alert.
                   models.Index(fields=["-as_of", "-created_at", "-id"], name="alert_inbox_newest")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.account_id}"


class AlertSeverity(models.Model):
    """How urgent alerts of one type are, shown and filtered in the alert inbox; one row per type, seeded with
    DEFAULT_SEVERITIES and edited by admins."""

    kind = models.CharField(max_length=32, choices=AlertType.choices, unique=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)

    class Meta:
        ordering = ["kind"]
        verbose_name_plural = "alert severities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_severity_display()}"


class Competitor(models.Model):
    """A competing vendor the text reader names when a customer mentions it (docs/text-intelligence.md). Admins keep
    the list; the reader also finds names that are not on it from their context ("a demo from X", "moving to X"). A
    change marks every text to be read again."""

    name = models.CharField(max_length=64, unique=True,
                            help_text="As customers write it; matched as a whole word, in any case.")
    note = models.CharField(max_length=200, blank=True, help_text="E.g. where the team saw it.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChurnModelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Rejected"
    RETIRED = "retired", "Retired"


class ChurnModel(models.Model):
    """One trained churn model (scoring.model.training): the booster as LightGBM's text, its isotonic
    calibration and band thresholds, the validation figures against the rules, and the training data's
    distribution per feature (drift). At most one is active; a model that did not beat the rules is kept
    as rejected with the reason in words."""

    version = models.PositiveIntegerField(unique=True, editable=False)
    status = models.CharField(max_length=16, choices=ChurnModelStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    trigger = models.CharField(max_length=16, help_text="command, schedule or web")
    trained_from = models.DateField(help_text="The first training date.")
    trained_to = models.DateField(help_text="The last validation date (its 90-day label is fully observed).")
    rows = models.PositiveIntegerField(default=0, help_text="Account-days in training and validation.")
    churners = models.PositiveIntegerField(default=0, help_text="Account-days followed by churn within 90 days.")
    features = models.JSONField(default=list, help_text="Feature names in the booster's column order.")
    booster = models.TextField(blank=True, help_text="LightGBM model_to_string().")
    calibration = models.JSONField(default=dict, blank=True,
                                   help_text="Isotonic calibration: {x: raw scores, y: probabilities}.")
    band_high = models.FloatField(null=True, blank=True, help_text="Probability from which the band is High.")
    band_medium = models.FloatField(null=True, blank=True, help_text="Probability from which the band is Medium.")
    validation = models.JSONField(default=dict, blank=True, help_text="Figures on the validation dates.")
    reason = models.TextField(blank=True, help_text="Why it was activated or rejected.")
    baselines = models.JSONField(default=dict, blank=True,
                                 help_text="Per feature: bin edges and training shares (population stability).")
    drift = models.JSONField(default=dict, blank=True, help_text="The latest predicted day's stability per feature.")

    class Meta:
        ordering = ["-version"]
        verbose_name = "churn model"
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_churn_model"),
        ]

    def __str__(self) -> str:
        return f"Churn model v{self.version} ({self.get_status_display().lower()})"


class ChurnPrediction(models.Model):
    """An account's churn probability for the 90 days after one date, by one model, with its top reasons."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="churn_predictions", db_index=False)
    as_of = models.DateField()
    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, related_name="predictions")
    probability = models.FloatField(help_text="Calibrated probability of churn within 90 days.")
    band = models.CharField(max_length=8, help_text="High, Medium or Low by the model's thresholds.")
    contributions = models.JSONField(default=list, blank=True,
                                     help_text="Top contributions: [{feature, label, value, contribution}] (log-odds).")

    class Meta:
        ordering = ["-as_of", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="one_churn_prediction_per_account_per_day"),
            models.CheckConstraint(condition=Q(probability__gte=0, probability__lte=1), name="churn_probability_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}: {self.probability:.2f} ({self.band})"
