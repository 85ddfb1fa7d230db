"""One demo book for every test of this package (tests.shared_book: 300 accounts as of 2025-03-14, seed 42, seeded
once per test run), which the tests read, each in a transaction rolled back after it, so none sees another's
changes. The book is committed to the test database for the package's duration only: the database is emptied
before it is put in and after the package's last test, as after a transactional test."""

import datetime as dt

import pytest
from django.core.management import call_command

from tests.shared_book import AS_OF, demo_book_install


@pytest.fixture(scope="package")
def demo_book(django_db_setup, django_db_blocker, tmp_path_factory) -> dt.date:
    """The demo book's as-of date, once the book is in the database."""
    with django_db_blocker.unblock():
        demo_book_install(tmp_path_factory)
    yield AS_OF
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
