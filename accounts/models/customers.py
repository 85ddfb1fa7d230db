"""The customer data model of docs/import-format.md: accounts and everything about them but usage.

Every customer-side entity is keyed by the external id its source system gave it; the database
enforces that key, the foreign keys and the value ranges (satisfaction 1-5, NPS 0-10, money >= 0).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Upper

from accounts.models.users import User

SEARCH_CONFIGS = ("english", "german")  # the text search configurations every customer text is indexed under
SEARCH_KEY_SEPARATOR = "\x1f"  # between an account's name and id in its search key: no search spans both


def search_vector_field(title: str | None, body: str) -> models.GeneratedField:
    """The text's words for full-text search (workspace.search), stemmed in English and in German (a German
    text is found by its German stems, an English one by its English stems, whatever the text reader decides
    later), the title weighted above the body. Stored and kept up to date by PostgreSQL itself, so imports'
    COPY and bulk writes need nothing; a GIN index on it answers the search."""
    parts = [SearchVector(title, config=config, weight="A") for config in SEARCH_CONFIGS] if title else []
    parts += [SearchVector(body, config=config, weight="B") for config in SEARCH_CONFIGS]
    expression = parts[0]
    for part in parts[1:]:
        expression = expression + part
    return models.GeneratedField(expression=expression, output_field=SearchVectorField(), db_persist=True,
                                 editable=False)


class Segment(models.TextChoices):
    SMB = "SMB", "SMB"
    MID_MARKET = "Mid-Market", "Mid-Market"
    ENTERPRISE = "Enterprise", "Enterprise"


class AccountOutcome(models.TextChoices):
    """How the account's year ended (the import's `outcome` column); logged work is interventions.Outcome."""

    CHURNED = "churned", "Churned"
    EXPANDED = "expanded", "Expanded"
    RETAINED = "retained", "Retained"


class Account(models.Model):
    """A customer organisation."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=64, blank=True)
    signup_date = models.DateField(null=True, blank=True)
    referral_source = models.CharField(max_length=64, blank=True)
    plan_tier = models.CharField(max_length=64, blank=True)
    seats = models.PositiveIntegerField(default=0)
    is_trial = models.BooleanField(default=False)
    churned = models.BooleanField(default=False)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    ehr_system = models.CharField("EHR system", max_length=64, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    csm = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts",
        verbose_name="assigned CSM",
    )
    onboarding_completed_pct = models.DecimalField(
        "onboarding completion %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Ground truth for evaluation data sets (the demo book records them): what was planted and
    # what happened afterwards. Blank for ordinary customer data.
    scenario = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=AccountOutcome.choices, blank=True)
    # The name and the id in capitals, for the account list's search (part of either, in any case): one LIKE over
    # a stored column is several times faster than upper-casing both columns of every account per search (a
    # trigram index would be faster still, but the embedded demo database has no pg_trgm).
    search_key = models.GeneratedField(
        expression=Upper(Concat("name", Value(SEARCH_KEY_SEPARATOR), "external_id")),
        output_field=models.TextField(), db_persist=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(onboarding_completed_pct__isnull=True)
                | Q(onboarding_completed_pct__gte=0, onboarding_completed_pct__lte=100),
                name="account_onboarding_pct_0_100",
            ),
        ]
        indexes = [models.Index(fields=["csm", "name"]), models.Index(fields=["renewal_date"]),
                   # The plan tiers and EHR systems in use, read by skipping through them
                   # (accounts.selectors.book_values).
                   models.Index(fields=["plan_tier"], name="account_plan_tier"),
                   models.Index(fields=["ehr_system"], name="account_ehr_system"),
                   # The list's segment filter and its count read the segment's account ids from the index alone.
                   models.Index(fields=["segment", "id"], name="account_segment"),
                   # Whole-book figures (home, CSM books, the weekly summary, the inbox's counts) join every
                   # account for its CSM, live state and renewal: read from this narrow index, not the wide rows.
                   models.Index(fields=["id"], include=["csm", "churned", "renewal_date"], name="account_owner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class Subscription(models.Model):
    """One subscription (contract line) of an account."""

    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    plan_tier = models.CharField(max_length=64, blank=True)
    seats = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField("MRR", max_digits=14, decimal_places=2, default=0)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    is_trial = models.BooleanField(default=False)
    upgrade_flag = models.BooleanField(default=False)
    downgrade_flag = models.BooleanField(default=False)
    churn_flag = models.BooleanField(default=False)
    billing_frequency = models.CharField(max_length=32, blank=True)
    auto_renew = models.BooleanField(default=False)

    class Meta:
        ordering = ["account_id", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="subscription_mrr_not_negative"),
            models.CheckConstraint(condition=Q(arr__gte=0), name="subscription_arr_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="subscription_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class AnalysedText(models.Model):
    """What the text reader (scoring.texts) read in a customer text (subject and body): churn intent with the
    deciding phrase, category, sentiment, competitors, facts, feature request, case-study mention, summary and
    recommended action, all written together by one reading under one version. An empty
    ``analysis_version`` means the text waits to be read: imports and edits leave it empty, and
    scoring.texts.service reads the waiting texts (right after an admin edit, in the background after an
    import, and before every recompute)."""

    TEXT_FIELDS: tuple[str, str] = ("subject", "body")

    intent_phrase = models.CharField(
        max_length=200, blank=True, editable=False,
        help_text="The words that voiced cancellation intent; empty when none did.")
    feature_request = models.BooleanField(default=False, editable=False)
    case_study = models.BooleanField(default=False, editable=False)
    category = models.CharField(max_length=24, blank=True, editable=False)
    sentiment = models.FloatField(null=True, blank=True, editable=False, help_text="-1 (negative) to 1 (positive).")
    competitors = models.JSONField(default=list, blank=True, editable=False,
                                   help_text="The competitors named, in order of first mention.")
    facts = models.JSONField(default=dict, blank=True, editable=False,
                             help_text="{days_to_renewal, amounts, seats, ehr} as the text states them.")
    summary = models.CharField(max_length=200, blank=True, editable=False)
    recommended_action = models.CharField(max_length=300, blank=True, editable=False)
    evidence = models.JSONField(default=list, blank=True, editable=False,
                                help_text="The phrases that decided: [{kind, phrase, start, end}].")
    analysis_version = models.CharField(max_length=48, blank=True, editable=False,
                                        help_text="Who read it (builtin-3, llm-<model>); empty: waiting.")
    analysis_note = models.CharField(max_length=200, blank=True, editable=False,
                                     help_text="E.g. why the LLM fell back to the built-in reader.")

    class Meta:
        abstract = True


class SupportTicket(AnalysedText):
    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tickets")
    submitted_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    satisfaction_score = models.PositiveSmallIntegerField(null=True, blank=True)
    escalated = models.BooleanField(default=False)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    search_vector = search_vector_field("subject", "body")

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction_score__isnull=True)
                | Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="ticket_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=Q(resolution_hours__isnull=True) | Q(resolution_hours__gte=0),
                name="ticket_resolution_not_negative",
            ),
        ]
        indexes = [
            # The recompute's per-account ticket figures read only the index (scoring.fetch.tickets).
            models.Index(fields=["account", "submitted_at"], name="ticket_account_date",
                         include=["satisfaction_score", "escalated", "feature_request", "sentiment"]),
            models.Index(fields=["id"], condition=Q(analysis_version=""), name="ticket_not_read"),
            models.Index(fields=["account", "submitted_at"], condition=~Q(intent_phrase=""), name="ticket_intent"),
            # The expansion signals' feature requests of the last 90 days (a few per cent of the texts).
            models.Index(fields=["submitted_at"], condition=Q(feature_request=True), name="ticket_feature_request"),
            GinIndex(fields=["search_vector"], name="ticket_search"),
        ]

    def __str__(self) -> str:
        return self.external_id


class ChurnReason(models.TextChoices):
    """The reason codes a churn marked in HealthCS takes (docs/pages.md#renewals). The first six are RavenStack's;
    imported events may carry other codes, which the reports show as they are."""

    BUDGET = "budget", "Budget cut or no budget"
    PRICING = "pricing", "Price too high"
    COMPETITOR = "competitor", "Moved to a competitor"
    FEATURES = "features", "Missing features"
    SUPPORT = "support", "Support or service problems"
    UNKNOWN = "unknown", "Not known"
    INTEGRATION = "integration", "EHR integration problems"
    ACQUIRED = "acquired", "Acquired or merged"
    CLOSED = "closed", "Practice or business closed"


class ChurnEvent(models.Model):
    """An account's churn: imported, or marked in HealthCS (then with who recorded it and when)."""

    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="churn_events")
    churn_date = models.DateField()
    reason_code = models.CharField(max_length=64, blank=True)
    refund_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    preceding_upgrade = models.BooleanField(default=False)
    preceding_downgrade = models.BooleanField(default=False)
    is_reactivation = models.BooleanField(default=False)
    feedback_text = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="Who marked the account churned in HealthCS; empty for imported events.")
    recorded_at = models.DateTimeField(null=True, blank=True, help_text="When it was marked in HealthCS.")

    class Meta:
        ordering = ["-churn_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0), name="churn_refund_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["account", "churn_date"], name="churn_account_date")]

    def __str__(self) -> str:
        return self.external_id


class ContactRole(models.TextChoices):
    CHAMPION = "champion", "Champion"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    DECISION_MAKER = "decision_maker", "Decision maker"
    ADMIN = "admin", "Admin"
    USER = "user", "User"


class ContactSentiment(models.TextChoices):
    """How the CSM reads a contact's mood towards the product; empty when not known."""

    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Contact(models.Model):
    """A person at the customer. Their last touch is not stored: accounts.selectors.contacts_with_last_touch
    reads it from the touchpoints that name them."""

    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=32, choices=ContactRole.choices, default=ContactRole.USER)
    sentiment = models.CharField(max_length=16, choices=ContactSentiment.choices, blank=True,
                                 help_text="Empty: not known.")
    is_active = models.BooleanField(default=True)
    left_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["account", "role"], name="contact_account_role")]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class ChampionChangeKind(models.TextChoices):
    BECAME = "became", "Became champion"
    STEPPED_DOWN = "stepped_down", "No longer champion"
    LEFT = "left", "Champion left"


class ChampionChange(models.Model):
    """One change of an account's champions made in HealthCS: a contact became champion, stopped being one
    (moved to another role), or left the customer while champion; when it took effect, when it was recorded
    and by whom."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="champion_changes")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="champion_changes")
    kind = models.CharField(max_length=16, choices=ChampionChangeKind.choices)
    effective = models.DateField(help_text="The day it took effect (for a champion who left: the day they left).")
    new_role = models.CharField(max_length=32, choices=ContactRole.choices, blank=True,
                                help_text="For a champion who stepped down: the role they took.")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"], name="champion_change_account_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contact_id} on {self.effective}"


class TouchpointKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    QBR = "qbr", "QBR"
    NOTE = "note", "Note"
    COMMUNITY = "community", "Community"
    DOCS = "docs", "Docs"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class Touchpoint(AnalysedText):
    TEXT_FIELDS = ("subject", "text")

    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="touchpoints")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=TouchpointKind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints"
    )
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    search_vector = search_vector_field("subject", "text")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # The recompute's touchpoint and contact figures read only the index (scoring.fetch.touchpoints and
            # contacts): a year of a batch's touchpoints through the account index cost 0.7 s of heap reads.
            models.Index(fields=["account", "occurred_at"], name="touchpoint_account_date",
                         include=["kind", "direction", "contact", "case_study", "feature_request"]),
            models.Index(fields=["id"], condition=Q(analysis_version=""), name="touchpoint_not_read"),
            models.Index(fields=["occurred_at"], condition=Q(feature_request=True), name="touchpoint_feature_request"),
            models.Index(fields=["account", "occurred_at"], condition=~Q(intent_phrase=""),
                         name="touchpoint_intent"),
            GinIndex(fields=["search_vector"], name="touchpoint_search"),
        ]

    def __str__(self) -> str:
        return self.external_id


class SurveyResponse(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="surveys")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    responded_at = models.DateTimeField()
    nps_score = models.PositiveSmallIntegerField("NPS score")
    comment = models.TextField(blank=True)
    search_vector = search_vector_field(None, "comment")

    class Meta:
        ordering = ["-responded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps_score__gte=0, nps_score__lte=10), name="survey_nps_0_10"
            ),
        ]
        indexes = [models.Index(fields=["account", "responded_at"], name="survey_account_date"),
                   GinIndex(fields=["search_vector"], name="survey_search")]

    def __str__(self) -> str:
        return self.external_id


class InvoiceStatus(models.TextChoices):
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    OVERDUE = "overdue", "Overdue"
    OPEN = "open", "Open"


class Invoice(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices")
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_date"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["account", "due_date"], name="invoice_account_date")]

    def __str__(self) -> str:
        return self.external_id
