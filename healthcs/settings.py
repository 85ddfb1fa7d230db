"""HealthCS settings, read from the environment with safe defaults.

Embedded defaults (DEBUG on, nothing else set): an embedded PostgreSQL server with its data in ``var/pgdata``
(healthcs/embedded_postgres.py), no Redis, Celery messages through a file-system queue in ``var/celery/``
(see docs/operations.md, "Background work without Redis").
Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and the e-mail
settings; ``DEBUG`` is off unless set.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from healthcs import startup

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HEALTHCS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",  # the admin modules load with the addresses (healthcs/urls.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "accounts",
    "scoring",
    "interventions",
    "expansion",
    "workspace",
]
INSTALLED_APPS = startup.installed_apps(INSTALLED_APPS)  # a book-only command starts without the people's apps

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outside everything that may answer with an error, so API errors and refusals are covered too.
    "healthcs.middleware.NoStoreMiddleware",
    "healthcs.middleware.RefuseNulBytes",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "healthcs.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside CommonMiddleware (its APPEND_SLASH redirect still sees the 404) and the user's session.
    "healthcs.middleware.FriendlyErrorsMiddleware",
    # Last, as django-axes asks: it turns lockouts raised by authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthcs.urls"
WSGI_APPLICATION = "healthcs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL only. Without DATABASE_URL (the demo, DEBUG on) an embedded server runs from var/pgdata.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://user:password@host:port/name).")
elif DEBUG:
    from healthcs.embedded_postgres import database_settings  # the demo's embedded server: loaded only here

    DATABASES = {"default": database_settings(VAR_DIR / "pgdata")}
else:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off (the embedded PostgreSQL is for the demo).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackendOneQuery",  # Django's ModelBackend, with permissions read in one query
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "email", "first_name", "last_name")}},
    # The similarity check lets "caseycasey" through for casey (the ratio is only 0.67): refuse any
    # password that contains the user name or the e-mail's local part.
    {"NAME": "accounts.passwords.UserNameInPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Idle sessions end: a logged-in user who sends no request for SESSION_IDLE_TIMEOUT_MINUTES is logged
# out (IdleSessionTimeoutMiddleware); the session cookie and row expire after the same time.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=60)
if SESSION_IDLE_TIMEOUT_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_IDLE_TIMEOUT_MINUTES must be a whole number of minutes, at least 1.")
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limit: after AXES_FAILURE_LIMIT failed attempts for one user name from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The interface is written in English only (the text reader reads German customer texts on its own): Django's
# translation machinery is off, which also spares every number and date a template prints a look-up of the
# active language. Dates and numbers are still formatted as LANGUAGE_CODE's.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Uploads: the import page accepts CSV files or one zip up to IMPORT_MAX_UPLOAD_MB in total.
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=200)
# A zip may expand to no more than the files one could upload unzipped, and no member may expand more than
# CSV text does (3-10 times; 1,000 times is a zip bomb). Both are checked on the zip's headers before reading.
IMPORT_ZIP_MAX_UNCOMPRESSED_MB = env.int("IMPORT_ZIP_MAX_UNCOMPRESSED_MB", default=IMPORT_MAX_UPLOAD_MB)
IMPORT_ZIP_MAX_RATIO = env.float("IMPORT_ZIP_MAX_RATIO", default=100.0)
# A queued web import whose message was handed to the broker this long ago, and not taken, is handed over again
# by the dispatch sweep (a broker restarted without persistence loses its messages; a second copy is harmless).
IMPORT_REDISPATCH_MINUTES = env.int("IMPORT_REDISPATCH_MINUTES", default=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail (alerts). Console backend unless an SMTP host is configured.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HealthCS <healthcs@localhost>")

# Scoring: accounts per recompute batch (each batch is one Celery task), the address links in alert
# e-mails and Slack messages point to, and the optional Slack incoming webhook for alerts.
SCORING_BATCH_SIZE = env.int("SCORING_BATCH_SIZE", default=5000)
# `recompute_scores --scores-only` scores up to this many accounts at once: there each batch (or each worker) reads
# its accounts' usage days itself, and smaller batches only add queries. A whole day's run reads them once for all
# its batches and uses SCORING_BATCH_SIZE.
SCORING_COMMAND_BATCH_SIZE = env.int("SCORING_COMMAND_BATCH_SIZE", default=25000)
# Worker processes of `recompute_scores`: one per core by default, at most 4. The database works in
# parallel with them, so more rarely helps.
SCORING_COMMAND_WORKERS = env.int("SCORING_COMMAND_WORKERS", default=min(4, os.cpu_count() or 1))
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")

# Outgoing webhooks (docs/api.md#webhooks; endpoints in admin). A delivery that meets a timeout, a refused
# connection, a 5xx or a 429 is tried again after WEBHOOK_RETRY_BASE_SECONDS, then twice as long each time (at
# most WEBHOOK_RETRY_MAX_SECONDS), up to WEBHOOK_MAX_ATTEMPTS attempts in all and never after WEBHOOK_EXPIRE_HOURS.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_EXPIRE_HOURS = env.int("WEBHOOK_EXPIRE_HOURS", default=24)
# Deliveries per task: the daily run's thousands of events go to the workers in batches of this many.
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=100)
# The ROI page and the weekly summary's ROI section (docs/operations.md#roi, workspace.roi): CSM hours per done task of
# each channel ("call=0.75,email=0.25,..."; a channel left out costs nothing), the hourly rate of CSM time and the
# programme's fixed cost per year (licences, hosting), in the book's currency. Settings, not admin: they are a
# finance decision made once per deployment, reviewed with it, and they only change reports.
ROI_TASK_HOURS = env.dict("ROI_TASK_HOURS", cast={"value": float},
                          default={"call": 0.75, "email": 0.25, "in_app": 0.1, "slack": 0.1, "task": 0.5})
ROI_HOURLY_RATE = env.float("ROI_HOURLY_RATE", default=75.0)
ROI_FIXED_COST = env.float("ROI_FIXED_COST", default=0.0)

# Text reading (docs/text-intelligence.md, scoring.texts). The built-in reader always works offline; an
# Ollama-compatible local LLM server can be set instead (ANALYSER_LLM_URL, e.g. http://127.0.0.1:11434), with the
# built-in reader as the fallback on timeout, error or malformed JSON. Competitors are kept in admin (Scoring →
# Competitors); our own product and company names are "us" to the reader ("switching from HealthCS to X" is leaving).
ANALYSER_OWN_NAMES = [name.strip() for name in env.list("ANALYSER_OWN_NAMES", default=["HealthCS"]) if name.strip()]
ANALYSER_LLM_URL = env.str("ANALYSER_LLM_URL", default="")
ANALYSER_LLM_MODEL = env.str("ANALYSER_LLM_MODEL", default="llama3.1")
ANALYSER_LLM_TIMEOUT = env.float("ANALYSER_LLM_TIMEOUT", default=20.0)
ANALYSER_LLM_RETRIES = env.int("ANALYSER_LLM_RETRIES", default=2)

# Business reviews (docs/pages.md#business-review, docs/operations.md#business-reviews). The value model: minutes
# a use of each feature saves (REVIEW_MINUTES_SAVED_PER_USE, e.g. "ehr_sync=6,scheduling=2"; other features
# REVIEW_DEFAULT_MINUTES_SAVED) × REVIEW_HOURLY_RATE (money per hour of staff time). PDFs are printed by headless
# Chromium (REVIEW_PDF_CHROMIUM; the page says so when it is missing), within REVIEW_PDF_TIMEOUT seconds; the daily
# task stores the PDFs of accounts renewing within REVIEW_RENEWAL_DAYS days.
REVIEW_HOURLY_RATE = env.float("REVIEW_HOURLY_RATE", default=60.0)
REVIEW_MINUTES_SAVED_PER_USE = {name.strip(): float(minutes) for name, minutes in
                                env.dict("REVIEW_MINUTES_SAVED_PER_USE", default={}).items()}
REVIEW_DEFAULT_MINUTES_SAVED = env.float("REVIEW_DEFAULT_MINUTES_SAVED", default=0.5)
REVIEW_PDF_CHROMIUM = env.str("REVIEW_PDF_CHROMIUM", default="/usr/bin/chromium")
REVIEW_PDF_TIMEOUT = env.float("REVIEW_PDF_TIMEOUT", default=60.0)
REVIEW_RENEWAL_DAYS = env.int("REVIEW_RENEWAL_DAYS", default=30)

# Redis is optional: it backs the Celery broker and the shared cache when REDIS_URL is set.
REDIS_URL = env.str("REDIS_URL", default="")

# Seconds to wait for Redis (broker and cache) to accept a connection and to answer: a web request fails fast
# instead of hanging on a Redis that is down or stuck (the import page then says the import is queued).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=2.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=3.0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="healthcs"),
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    # A file cache is shared by the web process and the demo worker (progress of imports).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery: Redis when REDIS_URL is set; otherwise a file-system queue that needs no server, so the
# demo's worker and beat run background and scheduled work without Redis.
# CELERY_TASK_ALWAYS_EAGER=true runs every task in-process instead (no worker at all).
CELERY_FILESYSTEM_QUEUE = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # The socket timeout stays above the workers' 1-second BRPOP polls, so only a stuck Redis trips it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                                       "socket_timeout": REDIS_SOCKET_TIMEOUT}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_QUEUE / "out"),
        "data_folder_out": str(CELERY_FILESYSTEM_QUEUE / "out"),
        "processed_folder": str(CELERY_FILESYSTEM_QUEUE / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_QUEUE / "control"),  # not the working directory
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits stay well below the Redis visibility timeout (3600 s), so a task is never
# delivered twice while it still runs.
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# Publishing (from a web request) retries once, briefly, then gives up: the caller keeps the work queued in the
# database and a sweep hands it over later, rather than holding the request for the default retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

REST_FRAMEWORK = {
    # The browser's session (with CSRF) and, for integrations, a token from admin or
    # `manage.py drf_create_token USER`, sent as "Authorization: Token <key>".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a depth and size limit (a clear 400, not a crash), forms as DRF reads them.
    "DEFAULT_PARSER_CLASSES": ["healthcs.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "healthcs.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "healthcs.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HealthCS API",
    "DESCRIPTION": "Accounts with their latest health and churn risk, and their score history. Every "
                   "endpoint needs a login (session) or a token; a CSM sees only their own accounts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No "valid" badge: Swagger UI would send the schema's address to an outside validator (and the CSP
    # blocks images from elsewhere anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Three choice sets of fields named "kind": touchpoints recorded, touchpoints logged by hand, outcomes.
    "ENUM_NAME_OVERRIDES": {"TouchpointKindEnum": "accounts.models.TouchpointKind",
                            "LoggedTouchpointKindEnum": "accounts.forms.LOGGED_KIND_CHOICES",
                            "OutcomeKindEnum": "interventions.models.OutcomeKind",
                            "InterventionStatusEnum": "interventions.models.InterventionStatus",
                            "PlanStepStatusEnum": "interventions.models.StepStatus"},
}

# Security headers; `manage.py check --deploy` is clean with DEBUG off and HTTPS settings on.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A failed CSRF check gets the friendly 403 page (Django's own explains CSRF to developers when DEBUG is on).
CSRF_FAILURE_VIEW = "healthcs.errors.csrf_failure"

# Content-Security-Policy (django-csp): this site's own scripts, styles, images and fonts only. No inline
# script or style anywhere: the htmx indicator styles live in app.css (htmx is told not to inject them),
# the API docs load their start-up script from a URL, Chart.js sizes canvases through the CSSOM (which
# style-src does not govern). `data:` images are Swagger UI's and the admin's small inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# One handler, on the root logger. Django's own "django" logger gets no handler of its own (by default
# it has a console handler when DEBUG is on, and every record was printed twice); a 4xx answer is one
# warning line without a traceback (healthcs.logs.ClientErrorsWithoutTraceback), a 5xx keeps its trace.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "healthcs.logs.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"handlers": [], "filters": ["client_errors_without_traceback"], "propagate": True},
        # django-axes announces its version and mode on every start (each command's first line); its lockouts are
        # logged by axes.handlers, which keeps the root's level.
        "axes.apps": {"level": "WARNING"},
    },
}

# Without collectstatic (demo, tests) WhiteNoise serves straight from the app and static folders.
WHITENOISE_USE_FINDERS = DEBUG or env.bool("WHITENOISE_USE_FINDERS", default=False)

for _folder in (VAR_DIR, Path(STATIC_ROOT), CELERY_FILESYSTEM_QUEUE / "out", CELERY_FILESYSTEM_QUEUE / "processed"):
    _folder.mkdir(parents=True, exist_ok=True)
