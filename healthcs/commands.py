"""The base of the commands that work on the book's data (import, score, export), and how manage.py starts them.

Django runs its system checks before every command, and the checks load the site's addresses and with them every
page's module (the score accuracy page brings scikit-learn): seconds before a command starts its work. These
commands skip them (`manage.py check` and `migrate` still run them): they use the models and the services, never
the pages.

Loading Django, the app and pandas makes about 130,000 objects that live as long as the process, and Python's
cyclic garbage collector walks them again and again while they load (about 350 collections, two of them full: a
tenth of a second of `export_risk`'s second). So manage.py starts a data command with the collector off
(`quiet_start`), and the command, once everything it needs is loaded, moves what was loaded out of the collector's
sight (`gc.freeze`) and turns the collector back on for its work. Other commands (runserver, migrate, shell, ...)
start with the collector on, as Python starts them. Garbage made while loading (some 90,000 objects in reference
cycles; `export_risk`'s peak resident set 1–2 MiB higher) stays until the process ends.
"""

import gc

from django.core.management.base import BaseCommand

# The names of the commands below (a test holds the two to each other).
DATA_COMMANDS = frozenset({"import_data", "recompute_scores", "export_risk"})


def quiet_start(argv: list[str]) -> None:
    """manage.py: for a data command, the garbage collector is off until the command's work begins."""
    if len(argv) > 1 and argv[1] in DATA_COMMANDS:
        gc.disable()


class DataCommand(BaseCommand):
    requires_system_checks: list[str] = []

    def execute(self, *args, **options):
        if not gc.isenabled():  # started by quiet_start: what was loaded lives as long as the process
            gc.freeze()
            gc.enable()
        return super().execute(*args, **options)
