"""The base of the commands that work on the book's data (import, score, export).

Django runs its system checks before every command, and the checks load the site's addresses and with them every
page's module (the score accuracy page brings scikit-learn): seconds before a command starts its work. These
commands skip them (`manage.py check` and `migrate` still run them): they use the models and the services, never
the pages."""

from django.core.management.base import BaseCommand


class DataCommand(BaseCommand):
    requires_system_checks: list[str] = []
