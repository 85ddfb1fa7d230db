"""factory_boy factories for users and customer data."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = True
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="CSM") puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Account

    external_id = factory.Sequence(lambda n: f"A-{n:05d}")
    name = factory.Sequence(lambda n: f"Riverside Clinic {n}")
    industry = "HealthTech"
    country = "US"
    signup_date = dt.date(2024, 1, 15)
    plan_tier = "Pro"
    seats = 20
    segment = m.Segment.MID_MARKET


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Subscription

    external_id = factory.Sequence(lambda n: f"S-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    start_date = dt.date(2024, 1, 15)
    plan_tier = "Pro"
    seats = 20
    mrr = Decimal("1000.00")
    arr = Decimal("12000.00")


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.UsageRecord

    subscription = factory.SubFactory(SubscriptionFactory)
    usage_id = factory.Sequence(lambda n: f"U-{n:07d}")
    date = dt.date(2024, 6, 1)
    feature_name = "scheduling"
    usage_count = 10
    usage_duration_secs = 600


class SupportTicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SupportTicket

    external_id = factory.Sequence(lambda n: f"T-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    submitted_at = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.UTC)
    priority = m.Priority.MEDIUM
    subject = "Question about scheduling"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Contact

    external_id = factory.Sequence(lambda n: f"C-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Jordan Lee {n}")
    email = factory.LazyAttribute(lambda c: f"{c.external_id.lower()}@clinic.example.org")
    title = "Practice Manager"
    role = m.ContactRole.USER


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Touchpoint

    external_id = factory.Sequence(lambda n: f"TP-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    occurred_at = dt.datetime(2024, 6, 1, 15, 0, tzinfo=dt.UTC)
    kind = m.TouchpointKind.EMAIL
    direction = m.Direction.INBOUND
    subject = "Re: next steps"


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SurveyResponse

    external_id = factory.Sequence(lambda n: f"NPS-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    responded_at = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    nps_score = 8


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Invoice

    external_id = factory.Sequence(lambda n: f"INV-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    due_date = dt.date(2024, 6, 1)
    amount = Decimal("1000.00")
    status = m.InvoiceStatus.PAID


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Alert"

    account = factory.SubFactory(AccountFactory)
    kind = "failed_payment"
    as_of = dt.date(2025, 3, 16)
    message = "Invoice INV-00001 of 1,000.00 failed"


class ChurnEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ChurnEvent

    external_id = factory.Sequence(lambda n: f"CE-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    churn_date = dt.date(2024, 6, 1)
    reason_code = "pricing"


class SnapshotFactory(factory.django.DjangoModelFactory):
    """A snapshot written as the recompute would, for pages that read the stored figures."""

    class Meta:
        model = "scoring.Snapshot"

    account = factory.SubFactory(AccountFactory)
    as_of = dt.date(2025, 3, 31)
    config = factory.LazyFunction(lambda: _active_config())
    computed_at = factory.LazyAttribute(lambda s: dt.datetime.combine(s.as_of, dt.time(6), tzinfo=dt.UTC))
    health_score = 50.0
    health_tier = "At risk"
    risk_score = 10
    risk_level = "Low"
    arr = Decimal("0")


def _active_config():
    from scoring.configs import ensure_active_config

    return ensure_active_config()


class SavedViewFactory(factory.django.DjangoModelFactory):
    """A saved view of the account list (written as workspace.saved_views would: a checked, ordered query)."""

    class Meta:
        model = "workspace.SavedView"

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"View {n}")
    query = "risk_level=High"
    shared = False
class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "interventions.Playbook"

    name = factory.Sequence(lambda n: f"Playbook {n:03d}")
    trigger_kind = "tier"
    trigger_value = "Critical"
    priority = 100


class InterventionFactory(factory.django.DjangoModelFactory):
    """An open, treated firing of a playbook for an account (its CSM's when it fired)."""

    class Meta:
        model = "interventions.Intervention"

    account = factory.SubFactory(AccountFactory)
    playbook = factory.SubFactory(PlaybookFactory)
    triggered_on = factory.Sequence(lambda n: dt.date(2025, 1, 1) + dt.timedelta(days=n))
    triggered_at = factory.LazyAttribute(lambda i: dt.datetime.combine(i.triggered_on, dt.time(6), tzinfo=dt.UTC))
    reason = "Critical"
    csm = factory.LazyAttribute(lambda i: i.account.csm)
    draw = 0.5
    group = "treated"
    status = "open"


class TaskFactory(factory.django.DjangoModelFactory):
    """An open CSM step of an intervention, for the intervention's account and CSM."""

    class Meta:
        model = "interventions.Task"

    intervention = factory.SubFactory(InterventionFactory)
    account = factory.LazyAttribute(lambda t: t.intervention.account)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Task {n:03d}")
    channel = "call"
    assignee_role = "csm"
    assignee = factory.LazyAttribute(lambda t: t.account.csm)
    due_at = factory.LazyAttribute(lambda t: t.intervention.triggered_at + dt.timedelta(hours=24))
