"""Fixtures shared by every test: role users and their books."""

from pathlib import Path

import pytest

from tests.factories import AccountFactory, UserFactory

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`dev.py test` runs `-n auto --dist loadgroup`) each module's tests stay on one
    worker, and the demo book's package too: their module- and package-scoped fixtures (a seeded book, a
    live server) are then built once, not once per worker."""
    for item in items:
        path = item.path.relative_to(ROOT)
        group = DEMO_BOOK if path.parts[:2] == ("tests", "demo_book") else path.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session, exitstatus):
    """No test may be skipped: a skip means a part of HealthCS went untested, so the run fails."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) were skipped; every test must run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def install_migration_defaults() -> None:
    """Put back the rows the data migrations install (default playbooks, plan limits, advanced features,
    competitors) when missing."""
    import importlib

    from django.apps import apps

    from interventions.defaults import install_default_playbooks

    importlib.import_module("expansion.migrations.0002_defaults").install(apps, None)
    importlib.import_module("scoring.migrations.0006_competitor").install_default_competitors(apps, None)
    install_default_playbooks(apps.get_model("interventions", "Playbook"),
                              apps.get_model("interventions", "PlaybookStep"))


@pytest.fixture
def migration_defaults(django_db_blocker):
    """The migrations' rows, put back when missing: a transactional test before this one empties every table,
    and tests that read the shipped defaults must not depend on the order they run in."""
    with django_db_blocker.unblock():
        install_migration_defaults()
