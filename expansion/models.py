"""Expansion (docs/expansion.md): plan limits (admin-tuned), the features counted as advanced, the signals detected
each day with their evidence and estimated added MRR, and the opportunities of the pipeline with every
stage change recorded."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Account
from expansion.kinds import SIGNAL_KINDS


class PlanLimit(models.Model):
    """What a plan tier includes: the usage signals compare an account's usage with it."""

    plan_tier = models.CharField(max_length=64, unique=True)
    monthly_uses_per_seat = models.PositiveIntegerField(
        help_text="Feature uses included per licensed seat per 30 days; the account's limit is this times its "
                  "licensed seats.")

    class Meta:
        ordering = ["plan_tier"]

    def __str__(self) -> str:
        return f"{self.plan_tier}: {self.monthly_uses_per_seat} uses per seat per 30 days"


class SignalStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    EXPIRED = "expired", "Expired (not seen for 30 days)"


class ExpansionSignal(models.Model):
    """One kind of growth signal on one account: open while it keeps being detected (its evidence and
    estimate refreshed each day) until it is dismissed or goes quiet; linked to the opportunity it fed."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="expansion_signals")
    kind = models.CharField(max_length=32, choices=list(SIGNAL_KINDS.items()))
    status = models.CharField(max_length=16, choices=SignalStatus.choices, default=SignalStatus.OPEN)
    first_detected_on = models.DateField()
    last_detected_on = models.DateField()
    evidence = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    estimated_mrr = models.DecimalField("estimated added MRR", max_digits=12, decimal_places=2, default=0)
    opportunity = models.ForeignKey("Opportunity", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="signals")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_detected_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], condition=Q(status="open"),
                                    name="one_open_signal_per_kind"),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="signal_status_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.account}"


class Stage(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = (Stage.IDENTIFIED, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
DEFAULT_PROBABILITY = {Stage.IDENTIFIED: 10, Stage.QUALIFIED: 25, Stage.PROPOSAL: 50, Stage.NEGOTIATION: 75,
                       Stage.WON: 100, Stage.LOST: 0}


class Opportunity(models.Model):
    """Added revenue expected from an existing customer, moved through the pipeline's stages."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.IDENTIFIED)
    amount = models.DecimalField("added MRR", max_digits=12, decimal_places=2, default=0,
                                 validators=[MinValueValidator(0)])
    probability = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(100)],
                                                   help_text="0-100; follows the stage's default until edited.")
    probability_edited = models.BooleanField(default=False)
    expected_close = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="opportunities")
    next_step = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    source_kind = models.CharField(max_length=32, blank=True, choices=list(SIGNAL_KINDS.items()),
                                   help_text="The signal it came from; empty when created by hand.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "opportunities"
        ordering = ["expected_close", "-amount", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__gte=0, probability__lte=100),
                                   name="opportunity_probability_0_100"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(condition=~Q(stage="won") | Q(amount__gt=0), name="won_opportunity_has_amount"),
        ]
        indexes = [models.Index(fields=["stage", "owner"], name="opportunity_stage_owner")]

    def __str__(self) -> str:
        return f"{self.title} ({self.account})"

    @property
    def weighted(self):
        return self.amount * self.probability / 100


class StageChange(models.Model):
    """A move of an opportunity between stages: who, when, from where to where."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage or 'new'} → {self.to_stage}"


class AdvancedFeature(models.Model):
    """A usage feature counted as advanced for the power-user signal (admin-editable list)."""

    name = models.CharField(max_length=100, unique=True, help_text="The feature name as in the usage rows.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
