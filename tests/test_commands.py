"""How manage.py starts the data commands (healthcs.commands): the garbage collector is off while Django, the app and
pandas load, and back on, with what was loaded frozen, once the command's work begins. Other commands start as
Python starts them. A book-only command (export_risk) starts without the apps that serve people (healthcs.startup),
every other command with every app. (tests/scoring/test_recompute.py runs export_risk as a manage.py process of its
own.)"""

import ast
import gc
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class

from healthcs import startup
from healthcs.commands import DATA_COMMANDS, DataCommand, quiet_start

ROOT = Path(__file__).resolve().parents[1]
BOOK_APPS = ["accounts", "django.contrib.auth", "django.contrib.contenttypes", "expansion", "interventions", "scoring",
             "workspace"]
# A module of each app a book-only command goes without (but csp, whose constants the settings use), and Celery,
# which django_celery_beat's models bring.
PEOPLE_MODULES = ("django.contrib.admin", "django.contrib.sessions", "rest_framework", "drf_spectacular",
                  "django_celery_beat", "axes", "django_htmx", "celery")


@pytest.fixture
def collector():
    """The test process's collector as it was, whatever a test did to it."""
    yield
    gc.unfreeze()
    gc.enable()


class Probe(DataCommand):
    """A data command that reports the collector as its work sees it."""

    def handle(self, *args, **options):
        return f"enabled={gc.isenabled()} frozen={gc.get_freeze_count() > 0}"


@pytest.mark.parametrize("command", sorted(DATA_COMMANDS))
def test_a_data_command_starts_with_the_collector_off(collector, command):
    quiet_start(["manage.py", command, "--help"])

    assert not gc.isenabled()


@pytest.mark.parametrize("argv", [["manage.py"], ["manage.py", "runserver"], ["manage.py", "migrate"],
                                  ["manage.py", "shell"], ["manage.py", "help", "export_risk"]])
def test_every_other_command_starts_with_the_collector_on(collector, argv):
    quiet_start(argv)

    assert gc.isenabled()


def test_a_data_command_started_quietly_works_with_the_collector_on_and_the_start_frozen(collector):
    gc.unfreeze()
    quiet_start(["manage.py", "export_risk"])
    out = io.StringIO()

    call_command(Probe(), stdout=out)

    assert out.getvalue().strip() == "enabled=True frozen=True"
    assert gc.isenabled()


def test_a_data_command_called_in_a_running_process_leaves_its_collector_alone(collector):
    gc.unfreeze()
    out = io.StringIO()

    call_command(Probe(), stdout=out)

    assert out.getvalue().strip() == "enabled=True frozen=False"


def test_the_data_commands_are_the_commands_built_on_data_command():
    built_on = {name for name, app in get_commands().items()
                if not app.startswith("django.") and isinstance(load_command_class(app, name), DataCommand)}

    assert built_on == DATA_COMMANDS


def started_by_manage_py(*argv: str) -> tuple[list[str], list[str]]:
    """The installed apps and which of PEOPLE_MODULES a fresh process has loaded once manage.py started `argv`
    (asked for its help, which loads Django and the command's module and stops there)."""
    code = ("import runpy, sys\n"
            f"sys.argv = ['manage.py', *{list(argv)!r}, '--help']\n"
            "try:\n    runpy.run_path('manage.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "from django.apps import apps\n"
            "print(repr((sorted(a.name for a in apps.get_app_configs()), "
            f"sorted(m for m in {PEOPLE_MODULES!r} if m in sys.modules))))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthcs.settings_test"}
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    return ast.literal_eval(printed)


def test_manage_py_starts_a_book_only_command_without_the_apps_that_serve_people():
    assert startup.BOOK_ONLY_COMMANDS == {"export_risk"}

    assert started_by_manage_py("export_risk") == (BOOK_APPS, [])


@pytest.mark.parametrize("command", ["recompute_scores", "import_data", "check"])
def test_manage_py_starts_every_other_command_with_every_app(command):
    apps, _ = started_by_manage_py(command)

    assert set(BOOK_APPS) < set(apps)
    assert {"django.contrib.admin", "rest_framework", "django_celery_beat", "axes", "csp"} <= set(apps)
