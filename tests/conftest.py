"""Fixtures shared by every test: role users and their books."""

import pytest
from django.contrib import admin

from tests.factories import AccountFactory, UserFactory

# The admin modules load with the site's addresses (healthcs/urls.py), but the tests that walk the admin's registry
# (the null-data sweep's parameters, the admin names) are collected before any address is resolved.
admin.autodiscover()

DEMO_BOOK = "tests/demo_book"


@pytest.fixture
def csm(db):
    return UserFactory(username="casey", email="casey@example.org", role="CSM")


@pytest.fixture
def other_csm(db):
    return UserFactory(username="robin", email="robin@example.org", role="CSM")


@pytest.fixture
def manager(db):
    return UserFactory(username="morgan", email="morgan@example.org", role="Manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", email="ada@example.org", role="Admin")


@pytest.fixture
def own_account(csm):
    return AccountFactory(external_id="A-OWN", name="Lakeside Family Practice", csm=csm)


@pytest.fixture
def foreign_account(other_csm):
    return AccountFactory(external_id="A-FOREIGN", name="Harbor Pediatrics", csm=other_csm)


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (`dev.py test` runs `-n auto`) each module's tests run on one worker, and the demo
    book's package as one: their module- and package-scoped fixtures (a seeded book, a live server) are built
    once, not once per worker. (xdist's own `--dist loadgroup` marks no longer reach the scheduler on this
    pytest, whose node ids are not strings any more.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return DEMO_BOOK if module.startswith(f"{DEMO_BOOK}/") else module

    return ModuleScheduling(config, log)


def pytest_sessionfinish(session, exitstatus):
    """No test may be skipped: a skip means a part of HealthCS went untested, so the run fails."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) were skipped; every test must run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def install_migration_defaults() -> None:
    """Put back the rows the data migrations install (default playbooks, plan limits, advanced features,
    competitors, alert severities) when missing."""
    import importlib

    from django.apps import apps

    from interventions.defaults import install_default_playbooks

    importlib.import_module("expansion.migrations.0002_defaults").install(apps, None)
    importlib.import_module("scoring.migrations.0006_competitor").install_default_competitors(apps, None)
    importlib.import_module("scoring.migrations.0011_alert_inbox").seed_severities(apps, None)
    install_default_playbooks(apps.get_model("interventions", "Playbook"),
                              apps.get_model("interventions", "PlaybookStep"))


@pytest.fixture
def migration_defaults(request, django_db_blocker):
    """The migrations' rows, put back when missing: a transactional test before this one empties every table,
    and tests that read the shipped defaults must not depend on the order they run in. Only for a test on the test
    database: pytest-django makes it only when a selected test needs it, and the rows must never go to
    DATABASE_URL's own database (a module's mark reaches its tests without the database too)."""
    on_database = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not on_database:
        return
    with django_db_blocker.unblock():
        install_migration_defaults()
