#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import gc
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'healthcs.settings')
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    from healthcs import startup
    from healthcs.commands import quiet_start

    startup.announce(sys.argv)  # before Django reads the settings: a book-only command loads fewer apps
    quiet_start(sys.argv)  # a data command loads with the garbage collector off (healthcs.commands)
    execute_from_command_line(sys.argv)
    # The command has finished and written what it writes. Python's shutdown would now walk every object of Django,
    # pandas and the app in its last garbage collections (a third of a second of a short command such as
    # export_risk); frozen, they are left to the operating system, which frees the whole process at once.
    gc.freeze()


if __name__ == '__main__':
    main()
