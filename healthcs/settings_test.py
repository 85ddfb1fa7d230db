"""Test settings: the production settings with a fast password hasher and no HTTPS redirect."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")


def _redis_of_worker(url: str, worker: str) -> str:
    """Each pytest-xdist worker (gw0, gw1, ...) its own Redis database, counted from the URL's: their
    Celery workers must not take each other's tasks, nor their caches share keys (each test process has
    its own test database too)."""
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + int(worker.removeprefix('gw'))}"


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _redis_of_worker(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])

from healthcs.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# A variable of HealthCS's own templates that does not resolve raises in every test (see the module).
from healthcs.strict_templates import RaiseOnInvalid  # noqa: E402

TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = RaiseOnInvalid()  # noqa: F405
