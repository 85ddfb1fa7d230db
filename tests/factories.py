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
