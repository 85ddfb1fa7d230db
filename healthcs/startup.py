"""Which command a manage.py process runs, told to the settings before Django reads them (no Django import here).

A command that only reads the book and writes a file (export_risk) touches the project's apps with Django's users
and content types, and none of the apps that serve people: the admin, the API and its schema, sessions, messages,
static files, htmx, login lockouts, the content security policy, and the schedule's database tables
(django_celery_beat, which loads Celery with them). manage.py names its command here (`announce`), and the settings
leave those apps out of INSTALLED_APPS for it: Django's start is about a tenth of a second shorter (a quarter of
it) and 11 MiB smaller. The command skips Django's system checks (healthcs.commands.DataCommand), which would miss
the apps.

The other commands start with every app: `recompute_scores` ends its day with notices that link to pages, the
admin's among them, and an address is found only with every app's addresses loaded; `import_data` runs for seconds
to minutes, where a tenth of a second is nothing, and the pages' commands (runserver, migrate, check, ...) need them.
Web and Celery processes never call `announce`.
"""

PEOPLE_APPS = frozenset({
    "django.contrib.admin.apps.SimpleAdminConfig", "django.contrib.sessions", "django.contrib.messages",
    "django.contrib.staticfiles", "django_htmx", "rest_framework", "rest_framework.authtoken", "drf_spectacular",
    "drf_spectacular_sidecar", "django_celery_beat", "axes", "csp",
})
BOOK_ONLY_COMMANDS = frozenset({"export_risk"})

command: str | None = None  # set by manage.py before Django reads the settings


def announce(argv: list[str]) -> None:
    """manage.py: the command this process runs (its first argument), for the settings to read."""
    global command
    command = argv[1] if len(argv) > 1 else None


def installed_apps(apps: list[str]) -> list[str]:
    """The settings' INSTALLED_APPS for this process: all of them, or, for a book-only command, the book's."""
    if command in BOOK_ONLY_COMMANDS:
        return [app for app in apps if app not in PEOPLE_APPS]
    return apps
