"""The synthetic book and a model trained on it, built once for the package inside a transaction that is rolled
back afterwards (each test runs in a savepoint of it)."""

import time

import pytest
from django.db import transaction

from scoring.model.training import train_churn_model
from tests.factories import UserFactory
from tests.scoring.model.book import STEP_DAYS, TODAY, SyntheticBook, build_book


@pytest.fixture(scope="package")
def book(django_db_setup, django_db_blocker) -> SyntheticBook:
    with django_db_blocker.unblock(), transaction.atomic():
        csm = UserFactory(username="synthetic-csm", email="synthetic-csm@example.org", role="CSM")
        built = build_book(csm=csm)
        built.csm = csm
        started = time.perf_counter()
        built.model = train_churn_model(as_of=TODAY, trigger="command", step_days=STEP_DAYS)
        built.training_seconds = time.perf_counter() - started
        yield built
        transaction.set_rollback(True)
