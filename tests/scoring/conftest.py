"""Fixtures shared by the scoring tests."""

import pytest
from django.db import connection

from accounts import models as m
from accounts.importing.services import import_files
from scoring.models import ScoringConfig
from tests.importing import ravenstack_files


@pytest.fixture(scope="module")
def ravenstack(django_db_setup, django_db_blocker):
    """RavenStack imported once for the module (committed); every table emptied again afterwards."""
    with django_db_blocker.unblock():
        result = import_files(ravenstack_files())
        assert result.ok, result.problems[:5]
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {m.Account._meta.db_table}, {ScoringConfig._meta.db_table} CASCADE")
