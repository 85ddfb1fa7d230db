"""The import format: every file, its columns, their types and what each maps to in the database.

The five RavenStack files keep their published names and columns; the optional tables use the
field names of docs/import-format.md, which is written from this module.
"""

from dataclasses import dataclass, field

from django.db import models

from accounts import models as m


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, the model field it fills and how its text is parsed."""

    name: str
    field: str
    kind: str  # str, int, decimal, date, datetime, bool, choice, ref, user_email
    required: bool = True  # the header must be present
    nullable: bool = False  # the value may be empty
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    ref: str = ""  # for kind "ref": the table whose key this column names
    max_length: int | None = None


@dataclass(frozen=True)
class Table:
    """One importable file."""

    name: str
    filename: str
    model: type[models.Model]
    key: tuple[str, ...]  # CSV columns that identify a row
    columns: tuple[Column, ...]
    description: str = ""
    aliases: tuple[str, ...] = field(default=())  # other accepted file names

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _choices(choices: type[models.TextChoices]) -> tuple[str, ...]:
    return tuple(choices.values)


ACCOUNTS = Table(
    name="accounts",
    filename="ravenstack_accounts.csv",
    aliases=("accounts.csv",),
    model=m.Account,
    key=("account_id",),
    description="One row per customer organisation.",
    columns=(
        Column("account_id", "external_id", "str", max_length=64),
        Column("account_name", "name", "str", max_length=200),
        Column("industry", "industry", "str", nullable=True, max_length=100),
        Column("country", "country", "str", nullable=True, max_length=64),
        Column("signup_date", "signup_date", "date", nullable=True),
        Column("referral_source", "referral_source", "str", nullable=True, max_length=64),
        Column("plan_tier", "plan_tier", "str", nullable=True, max_length=64),
        Column("seats", "seats", "int", minimum=0),
        Column("is_trial", "is_trial", "bool"),
        Column("churn_flag", "churned", "bool"),
        Column("segment", "segment", "choice", required=False, nullable=True,
               choices=_choices(m.Segment)),
        Column("ehr_system", "ehr_system", "str", required=False, nullable=True, max_length=64),
        Column("renewal_date", "renewal_date", "date", required=False, nullable=True),
        Column("csm_email", "csm_id", "user_email", required=False, nullable=True),
        Column("onboarding_completed_pct", "onboarding_completed_pct", "decimal",
               required=False, nullable=True, minimum=0, maximum=100),
        Column("scenario", "scenario", "str", required=False, nullable=True, max_length=64),
        Column("outcome", "outcome", "choice", required=False, nullable=True,
               choices=_choices(m.AccountOutcome)),
    ),
)

SUBSCRIPTIONS = Table(
    name="subscriptions",
    filename="ravenstack_subscriptions.csv",
    aliases=("subscriptions.csv",),
    model=m.Subscription,
    key=("subscription_id",),
    description="One row per subscription (contract line) of an account.",
    columns=(
        Column("subscription_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("start_date", "start_date", "date"),
        Column("end_date", "end_date", "date", nullable=True),
        Column("plan_tier", "plan_tier", "str", nullable=True, max_length=64),
        Column("seats", "seats", "int", minimum=0),
        Column("mrr_amount", "mrr", "decimal", minimum=0),
        Column("arr_amount", "arr", "decimal", minimum=0),
        Column("is_trial", "is_trial", "bool"),
        Column("upgrade_flag", "upgrade_flag", "bool"),
        Column("downgrade_flag", "downgrade_flag", "bool"),
        Column("churn_flag", "churn_flag", "bool"),
        Column("billing_frequency", "billing_frequency", "str", nullable=True, max_length=32),
        Column("auto_renew_flag", "auto_renew", "bool"),
    ),
)

USAGE = Table(
    name="usage",
    filename="ravenstack_feature_usage.csv",
    aliases=("feature_usage.csv", "usage.csv"),
    model=m.UsageRecord,
    # usage_id alone is not unique in RavenStack: a row is identified within its subscription.
    key=("subscription_id", "usage_id"),
    description="Daily use of one feature by one subscription.",
    columns=(
        Column("usage_id", "usage_id", "str", max_length=64),
        Column("subscription_id", "subscription_id", "ref", ref="subscriptions"),
        Column("usage_date", "date", "date"),
        Column("feature_name", "feature_name", "str", max_length=100),
        Column("usage_count", "usage_count", "int", minimum=0),
        Column("usage_duration_secs", "usage_duration_secs", "int", minimum=0),
        Column("error_count", "error_count", "int", minimum=0),
        Column("is_beta_feature", "is_beta", "bool"),
    ),
)

TICKETS = Table(
    name="tickets",
    filename="ravenstack_support_tickets.csv",
    aliases=("support_tickets.csv", "tickets.csv"),
    model=m.SupportTicket,
    key=("ticket_id",),
    description="One row per support ticket.",
    columns=(
        Column("ticket_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("submitted_at", "submitted_at", "datetime"),
        Column("closed_at", "closed_at", "datetime", nullable=True),
        Column("resolution_time_hours", "resolution_hours", "decimal", nullable=True, minimum=0),
        Column("priority", "priority", "choice", nullable=True, choices=_choices(m.Priority)),
        Column("first_response_time_minutes", "first_response_minutes", "int", nullable=True,
               minimum=0),
        Column("satisfaction_score", "satisfaction_score", "int", nullable=True,
               minimum=1, maximum=5),
        Column("escalation_flag", "escalated", "bool"),
        Column("subject", "subject", "str", required=False, nullable=True, max_length=300),
        Column("body", "body", "str", required=False, nullable=True),
    ),
)

CHURN_EVENTS = Table(
    name="churn_events",
    filename="ravenstack_churn_events.csv",
    aliases=("churn_events.csv",),
    model=m.ChurnEvent,
    key=("churn_event_id",),
    description="One row per churn (or reactivation) event.",
    columns=(
        Column("churn_event_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("churn_date", "churn_date", "date"),
        Column("reason_code", "reason_code", "str", nullable=True, max_length=64),
        Column("refund_amount_usd", "refund_amount", "decimal", minimum=0),
        Column("preceding_upgrade_flag", "preceding_upgrade", "bool"),
        Column("preceding_downgrade_flag", "preceding_downgrade", "bool"),
        Column("is_reactivation", "is_reactivation", "bool"),
        Column("feedback_text", "feedback_text", "str", nullable=True),
    ),
)

CONTACTS = Table(
    name="contacts",
    filename="contacts.csv",
    model=m.Contact,
    key=("contact_id",),
    description="People at the customer: champions, executive sponsors, decision makers, admins, users.",
    columns=(
        Column("contact_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("name", "name", "str", max_length=200),
        Column("email", "email", "str", nullable=True, max_length=254),
        Column("title", "title", "str", nullable=True, max_length=200),
        Column("role", "role", "choice", choices=_choices(m.ContactRole)),
        Column("is_active", "is_active", "bool"),
        Column("left_date", "left_date", "date", nullable=True),
        Column("phone", "phone", "str", required=False, nullable=True, max_length=32),
        Column("sentiment", "sentiment", "choice", required=False, nullable=True,
               choices=_choices(m.ContactSentiment)),
    ),
)

TOUCHPOINTS = Table(
    name="touchpoints",
    filename="touchpoints.csv",
    model=m.Touchpoint,
    key=("touchpoint_id",),
    description="Calls, e-mails, meetings, QBRs, notes, community posts and docs visits.",
    columns=(
        Column("touchpoint_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("occurred_at", "occurred_at", "datetime"),
        Column("kind", "kind", "choice", choices=_choices(m.TouchpointKind)),
        Column("direction", "direction", "choice", nullable=True, choices=_choices(m.Direction)),
        Column("contact_id", "contact_id", "ref", required=False, nullable=True, ref="contacts"),
        Column("subject", "subject", "str", nullable=True, max_length=300),
        Column("text", "text", "str", nullable=True),
    ),
)

SURVEYS = Table(
    name="surveys",
    filename="surveys.csv",
    model=m.SurveyResponse,
    key=("survey_id",),
    description="NPS survey responses.",
    columns=(
        Column("survey_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("contact_id", "contact_id", "ref", required=False, nullable=True, ref="contacts"),
        Column("responded_at", "responded_at", "datetime"),
        Column("nps_score", "nps_score", "int", minimum=0, maximum=10),
        Column("comment", "comment", "str", nullable=True),
    ),
)

INVOICES = Table(
    name="invoices",
    filename="invoices.csv",
    model=m.Invoice,
    key=("invoice_id",),
    description="Invoices and their payment status.",
    columns=(
        Column("invoice_id", "external_id", "str", max_length=64),
        Column("account_id", "account_id", "ref", ref="accounts"),
        Column("due_date", "due_date", "date"),
        Column("amount", "amount", "decimal", minimum=0),
        Column("status", "status", "choice", choices=_choices(m.InvoiceStatus)),
        Column("paid_at", "paid_at", "datetime", nullable=True),
    ),
)

# Dependency order: a table comes after every table it refers to.
TABLES: tuple[Table, ...] = (
    ACCOUNTS, SUBSCRIPTIONS, CONTACTS, USAGE, TICKETS, CHURN_EVENTS, TOUCHPOINTS, SURVEYS, INVOICES,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


def table_for_filename(filename: str) -> Table | None:
    """The table a file name belongs to (case-insensitive), or None for an unknown file."""
    lowered = filename.lower()
    for table in TABLES:
        if lowered == table.filename or lowered in table.aliases:
            return table
    return None
