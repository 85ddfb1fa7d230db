"""How manage.py starts the data commands (healthcs.commands): the garbage collector is off while Django, the app and
pandas load, and back on, with what was loaded frozen, once the command's work begins. Other commands start as
Python starts them. (tests/scoring/test_recompute.py runs export_risk as a manage.py process of its own.)"""

import gc
import io

import pytest
from django.core.management import call_command, get_commands, load_command_class

from healthcs.commands import DATA_COMMANDS, DataCommand, quiet_start


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
