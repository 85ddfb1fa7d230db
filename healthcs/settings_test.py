"""Test settings: the production settings with a fast password hasher and no HTTPS redirect."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")

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
