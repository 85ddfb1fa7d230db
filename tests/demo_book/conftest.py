"""One demo book for every test of this package: seed_demo runs once (300 accounts as of 2025-03-14, seed 42)
and the tests read it, each in a transaction rolled back after it, so none sees another's changes. The book is
committed to the test database for the package's duration only: the database is emptied before it is built
and after the package's last test, as after a transactional test."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from tests.conftest import install_migration_defaults

AS_OF = dt.date(2025, 3, 14)
ACCOUNTS = 300


@pytest.fixture(scope="package")
def demo_book(django_db_setup, django_db_blocker) -> dt.date:
    """The demo book's as-of date, once the book is in the database."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        install_migration_defaults()
        call_command("seed_demo", "--accounts", str(ACCOUNTS), "--as-of", AS_OF.isoformat(), stdout=io.StringIO())
    yield AS_OF
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
