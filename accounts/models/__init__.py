"""The accounts app's models, one module per concern: users and roles (users), the customer data of
docs/import-format.md (customers), product usage and the tables the database keeps from it (usage), import
runs (imports), the audit log (audit), CSM assignment rules and history (assignment) and outgoing webhooks
(webhooks). Import them from here: `from accounts.models import Account`."""

from accounts.models.assignment import AccountAssignment, AssignmentRule
from accounts.models.audit import AuditEvent
from accounts.models.customers import (
    Account,
    AccountOutcome,
    AnalysedText,
    ChampionChange,
    ChampionChangeKind,
    ChurnEvent,
    ChurnReason,
    Contact,
    ContactRole,
    ContactSentiment,
    Direction,
    Invoice,
    InvoiceStatus,
    Priority,
    Segment,
    Subscription,
    SupportTicket,
    SurveyResponse,
    Touchpoint,
    TouchpointKind,
)
from accounts.models.imports import ImportRun, ImportStatus
from accounts.models.usage import UsageDay, UsageFeature, UsageRecord
from accounts.models.users import Role, User
from accounts.models.webhooks import (
    OPEN_DELIVERY_STATUSES,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "Role", "User", "Segment", "AccountOutcome", "Account", "Subscription", "Priority", "AnalysedText",
    "SupportTicket", "ChurnEvent", "ChurnReason", "ContactRole", "ContactSentiment", "Contact", "ChampionChangeKind",
    "ChampionChange", "TouchpointKind", "Direction", "Touchpoint",
    "SurveyResponse", "InvoiceStatus", "Invoice", "UsageRecord", "UsageFeature", "UsageDay", "ImportStatus",
    "ImportRun", "AuditEvent", "AssignmentRule", "AccountAssignment",
    "WebhookEvent", "WebhookEndpoint", "DeliveryStatus", "OPEN_DELIVERY_STATUSES", "WebhookDelivery",
]
