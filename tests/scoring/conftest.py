"""Fixtures shared by the scoring tests."""

import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from accounts import models as m
from accounts.importing.services import import_files
from scoring.models import ScoringConfig
from scoring.texts import llm as llm_reader
from tests.importing import ravenstack_files
from tests.scoring.llm_stub import StubLLM, served


@pytest.fixture(scope="module")
def ravenstack(django_db_setup, django_db_blocker):
    """RavenStack imported once for the module (committed); every table emptied again afterwards."""
    with django_db_blocker.unblock():
        result = import_files(ravenstack_files())
        assert result.ok, result.problems[:5]
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {m.Account._meta.db_table}, {ScoringConfig._meta.db_table} CASCADE")


@pytest.fixture
def stub() -> Iterator[StubLLM]:
    """A local HTTP server playing the LLM (see tests.scoring.llm_stub)."""
    yield from served()


@pytest.fixture
def llm(stub: StubLLM, settings, monkeypatch) -> StubLLM:
    """The stub configured as the LLM: 0.5 s timeout, two retries without waiting, a fresh in-memory cache."""
    settings.ANALYSER_LLM_URL = stub.url + "/"
    settings.ANALYSER_LLM_MODEL = "stub-model"
    settings.ANALYSER_LLM_TIMEOUT = 0.5
    settings.ANALYSER_LLM_RETRIES = 2
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"llm-reader-{uuid.uuid4()}"}}  # LocMem keeps entries per name
    monkeypatch.setattr(llm_reader, "BACKOFF_SECONDS", 0.0)
    return stub
