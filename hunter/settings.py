"""Hunter settings: every value comes from the environment through hunter.env helpers.

Two ways to run, one code path: with DATABASE_URL and REDIS_URL the app uses PostgreSQL and
Redis; without them it runs embedded (SQLite and a filesystem Celery broker under var/) so a
first-time user needs nothing but Python. The README lists every variable.
"""

from __future__ import annotations

import datetime

import dj_database_url
import orjson
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hunter import paths
from hunter.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_nameservers,
    env_networks,
    env_rate,
    env_str,
    redis_db_url,
)

BASE_DIR = paths.BASE_DIR
VAR_DIR = paths.var_dir()

HUNTER_ENV = env_choice("HUNTER_ENV", "development", ("development", "production"))
IS_PRODUCTION = HUNTER_ENV == "production"
DEBUG = env_bool("DEBUG", False)

# Development only: production refuses to start with it (checked below).
DEV_SECRET_KEY = "django-insecure-hunter-development-key-not-for-production-use-0000"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if IS_PRODUCTION else DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", () if IS_PRODUCTION else ("localhost", "127.0.0.1"))

if IS_PRODUCTION:
    if (
        len(SECRET_KEY) < 50
        or SECRET_KEY == DEV_SECRET_KEY
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            "HUNTER_ENV=production needs SECRET_KEY: a random value of at least 50 characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("HUNTER_ENV=production needs ALLOWED_HOSTS (comma list).")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when HUNTER_ENV=production.")
    # Embedded SQLite and the filesystem broker serve one machine; production is many processes.
    for _required in ("DATABASE_URL", "REDIS_URL"):
        if not env_str(_required):
            raise ImproperlyConfigured(
                f"HUNTER_ENV=production needs {_required}: embedded mode is for one machine."
            )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_celery_beat",
    "django_celery_results",
    "django_ratelimit",
    "django_admin_inline_paginator_plus",
    "hunter",
    "hunter.api",
    "leads",
    "scanning",
]

MIDDLEWARE = [
    "hunter.middleware.RequestIdMiddleware",
    "hunter.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, so preflight requests are answered before any redirect.
    "corsheaders.middleware.CorsMiddleware",
    "hunter.api.middleware.LegacyDeprecationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "hunter.urls"
WSGI_APPLICATION = "hunter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
DB_STATEMENT_TIMEOUT_MS = env_int("HUNTER_DB_STATEMENT_TIMEOUT_MS", 30_000, minimum=0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "hunter.sqlite3"),
            # The web server, the worker and beat share the file: wait for locks, don't fail.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, rate limits -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
HUNTER_BROKER_VISIBILITY_TIMEOUT = env_int("HUNTER_BROKER_VISIBILITY_TIMEOUT", 120, minimum=10)
# Seconds a broker connect or reply may take: a frozen Redis fails a publish instead of hanging.
HUNTER_BROKER_SOCKET_TIMEOUT = env_float(
    "HUNTER_BROKER_SOCKET_TIMEOUT", 2.0, minimum=0.1, maximum=60
)
# A dead Redis must fail fast: connect/read timeout of each call, and the circuit breaker of
# each Redis client (opens after this many failures in a row, tries again after this long).
HUNTER_REDIS_TIMEOUT = env_float("HUNTER_REDIS_TIMEOUT", 1.0, minimum=0.05, maximum=30)
HUNTER_REDIS_BREAKER_FAILURES = env_int("HUNTER_REDIS_BREAKER_FAILURES", 5, minimum=1)
HUNTER_REDIS_BREAKER_RESET_SECONDS = env_float(
    "HUNTER_REDIS_BREAKER_RESET_SECONDS", 60.0, minimum=0.01, maximum=3600
)


def _resilient_cache(url: str, *, fallback: str, breaker: str) -> dict[str, object]:
    return {
        "BACKEND": "hunter.cache.ResilientRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "hunter",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": HUNTER_REDIS_TIMEOUT,
            "SOCKET_TIMEOUT": HUNTER_REDIS_TIMEOUT,
            "FALLBACK": fallback,
            "BREAKER_NAME": breaker,
        },
    }


if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", redis_db_url(REDIS_URL, 1))
    HUNTER_RATELIMIT_REDIS_URL = env_str("HUNTER_RATELIMIT_REDIS_URL", redis_db_url(REDIS_URL, 2))
    CACHES = {
        # Data caches: while Redis is away reads miss and writes are skipped.
        "default": _resilient_cache(REDIS_URL, fallback="miss", breaker="cache"),
        # Sign-in and upload limits: while Redis is away they count in process memory.
        "ratelimit": _resilient_cache(
            HUNTER_RATELIMIT_REDIS_URL, fallback="local", breaker="form_limits"
        ),
    }
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A task whose worker died is handed to another worker after this many seconds...
        "visibility_timeout": HUNTER_BROKER_VISIBILITY_TIMEOUT,
        # ...at the next sweep of unacknowledged messages by an idle worker. kombu sweeps every
        # interval x throttle seconds (10 x 10 = 100 s by default, which came on top of the
        # timeout); a sweep every tenth of the timeout keeps the whole wait near 1.1 x it.
        "unacked_restore_interval": max(1, HUNTER_BROKER_VISIBILITY_TIMEOUT // 10),
        "unacked_restore_throttle": 1,
        # A stopped or frozen (SIGSTOP) Redis must not hang a publish: fail within seconds.
        "socket_timeout": HUNTER_BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": HUNTER_BROKER_SOCKET_TIMEOUT,
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ratelimit",
        },
    }
    BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
    HUNTER_RATELIMIT_REDIS_URL = env_str("HUNTER_RATELIMIT_REDIS_URL")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Broadcast messages (worker pings, remote control) too; kombu's default is ./control.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# Each process's own copy of recently read shared-cache entries (leads.caching.cached).
CACHES["process"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "process",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# Sign-in and upload forms: POSTs allowed per client address and per user (django-ratelimit).
RATELIMIT_USE_CACHE = "ratelimit"
HUNTER_FORM_POST_RATE = env_rate("HUNTER_FORM_POST_RATE", "10/m")
SILENCED_SYSTEM_CHECKS = [
    # Our backend is django-redis behind a circuit breaker, which django-ratelimit can't know.
    "django_ratelimit.W001",
    # Embedded mode counts per process in memory: one machine, an accepted weakening.
    *([] if REDIS_URL else ["django_ratelimit.E003"]),
]

# Data caches (scanning.caching): on/off and lifetimes in seconds. A derived entry never
# outlives its inputs: DNS is capped at HUNTER_CACHE_MAX_TTL, scores and providers at DNS.
HUNTER_CACHE_ENABLED = env_bool("HUNTER_CACHE_ENABLED", True)
HUNTER_CACHE_MAX_TTL = env_int("HUNTER_CACHE_MAX_TTL", 3600, minimum=1)
HUNTER_CACHE_DNS_TTL = env_int("HUNTER_CACHE_DNS_TTL", 3600, minimum=1)
HUNTER_CACHE_REGISTRATION_TTL = env_int("HUNTER_CACHE_REGISTRATION_TTL", 86_400, minimum=1)
HUNTER_CACHE_REGISTRATION_FAILURE_TTL = env_int(
    "HUNTER_CACHE_REGISTRATION_FAILURE_TTL", 900, minimum=1
)
HUNTER_CACHE_PROVIDER_TTL = env_int("HUNTER_CACHE_PROVIDER_TTL", 3600, minimum=1)
HUNTER_CACHE_SCORE_TTL = env_int("HUNTER_CACHE_SCORE_TTL", 3600, minimum=1)

# Metrics (/healthz/metrics): every process writes its counters under this directory, and only
# these client addresses may read them.
# prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is first imported, after this line.
HUNTER_METRICS_DIR = paths.use_metrics_dir()
HUNTER_METRICS_ALLOWED_NETWORKS = env_networks("HUNTER_METRICS_ALLOWED_IPS", ("127.0.0.1", "::1"))

# --- Celery -------------------------------------------------------------------------------------
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("HUNTER_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("HUNTER_TASK_SOFT_TIME_LIMIT", 870, minimum=5)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("HUNTER_WORKER_MAX_TASKS_PER_CHILD", 50, minimum=1)
CELERY_WORKER_CONCURRENCY = env_int("HUNTER_WORKER_CONCURRENCY", 2, minimum=1, maximum=64)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# kombu keeps retrying a connect for this long before a publish fails: no longer than one try.
CELERY_BROKER_CONNECTION_TIMEOUT = HUNTER_BROKER_SOCKET_TIMEOUT
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Recovery of jobs, chunks and imports whose message or process was lost (scanning.services.
# recovery): how often beat runs it, and how long work may sit without progress before it acts.
HUNTER_JOB_RECOVERY_INTERVAL = env_int("HUNTER_JOB_RECOVERY_INTERVAL", 60, minimum=5, maximum=3600)
HUNTER_JOB_STALL_SECONDS = env_int("HUNTER_JOB_STALL_SECONDS", 300, minimum=10, maximum=86_400)
# DatabaseScheduler copies these into django-celery-beat's rows, so admin shows and edits them.
CELERY_BEAT_SCHEDULE = {
    "daily-rescan": {
        "task": "scanning.daily_rescan",
        "schedule": 86_400.0,
        # django-celery-beat's name for Celery's "expires": a missed run is dropped after 1 h.
        "options": {"expire_seconds": 3_600},
    },
    "process-pending-alerts": {
        "task": "leads.process_pending_alerts",
        "schedule": 300.0,
        # A run that waited longer than a minute is dropped: the next one is due soon anyway.
        "options": {"expire_seconds": 60},
    },
    "recover-stalled-jobs": {
        "task": "scanning.recover_stalled_jobs",
        "schedule": float(HUNTER_JOB_RECOVERY_INTERVAL),
        # Late runs are worthless: the next one looks at the same rows.
        "options": {"expire_seconds": HUNTER_JOB_RECOVERY_INTERVAL},
    },
    "send-alert-digest": {
        "task": "leads.send_alert_digest",
        "schedule": 86_400.0,
        "options": {"expire_seconds": 3_600},
    },
}

# --- Scanning -----------------------------------------------------------------------------------
HUNTER_DNS_NAMESERVERS = env_nameservers("HUNTER_DNS_NAMESERVERS")
HUNTER_DNS_TIMEOUT = env_float("HUNTER_DNS_TIMEOUT", 5.0, minimum=0.05, maximum=60)
HUNTER_DNS_CONCURRENCY = env_int("HUNTER_DNS_CONCURRENCY", 200, minimum=1, maximum=5000)
HUNTER_REGISTRATION_ENABLED = env_bool("HUNTER_REGISTRATION_ENABLED", True)
HUNTER_RDAP_TIMEOUT = env_float("HUNTER_RDAP_TIMEOUT", 3.0, minimum=0.05, maximum=60)
HUNTER_WHOIS_TIMEOUT = env_float("HUNTER_WHOIS_TIMEOUT", 5.0, minimum=0.05, maximum=60)
HUNTER_RDAP_BASE_URL = env_str("HUNTER_RDAP_BASE_URL")
HUNTER_RDAP_BOOTSTRAP_URL = env_str(
    "HUNTER_RDAP_BOOTSTRAP_URL", "https://data.iana.org/rdap/dns.json"
)
HUNTER_REGISTRATION_CONCURRENCY = env_int(
    "HUNTER_REGISTRATION_CONCURRENCY", 10, minimum=1, maximum=200
)
HUNTER_WHOIS_SERVER = env_str("HUNTER_WHOIS_SERVER")
# Upload limits for CSV/Excel imports: bigger files are refused, longer ones stop at the limit.
HUNTER_UPLOAD_MAX_BYTES = env_int(
    "HUNTER_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024, maximum=1024**3
)
HUNTER_UPLOAD_MAX_ROWS = env_int("HUNTER_UPLOAD_MAX_ROWS", 100_000, minimum=1, maximum=10_000_000)
# Bulk scan jobs (scanning.services.jobs): chunk size, retries, database timeouts, rate limits.
HUNTER_SCAN_CHUNK_SIZE = env_int("HUNTER_SCAN_CHUNK_SIZE", 50, minimum=1, maximum=1000)
HUNTER_SCAN_CHUNK_MAX_ATTEMPTS = env_int("HUNTER_SCAN_CHUNK_MAX_ATTEMPTS", 3, minimum=1, maximum=10)
# Higher than the error bound: a worker killed under a chunk is usually not the chunk's fault.
HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS = env_int(
    "HUNTER_SCAN_CHUNK_MAX_LOST_WORKERS", 10, minimum=1, maximum=100
)
HUNTER_SCAN_RETRY_BACKOFF = env_float("HUNTER_SCAN_RETRY_BACKOFF", 1.0, minimum=0, maximum=60)
HUNTER_SCAN_RETRY_BACKOFF_MAX = env_float("HUNTER_SCAN_RETRY_BACKOFF_MAX", 4.0, minimum=0)
HUNTER_DB_LOCK_TIMEOUT_MS = env_int("HUNTER_DB_LOCK_TIMEOUT_MS", 5_000, minimum=0)
# Production with Redis shares its limits across every worker; development asks loopback
# servers, where a limit only slows tests down.
HUNTER_RATE_LIMITER = env_choice(
    "HUNTER_RATE_LIMITER",
    "redis" if REDIS_URL and IS_PRODUCTION else "none",
    ("none", "local", "redis"),
)
HUNTER_DNS_RATE = env_float("HUNTER_DNS_RATE", 10.0, minimum=0.01)
HUNTER_REGISTRATION_RATE = env_float("HUNTER_REGISTRATION_RATE", 5.0, minimum=0.01)
HUNTER_REGISTRY_SERVER_RATE = env_float("HUNTER_REGISTRY_SERVER_RATE", 2.0, minimum=0.01)
# Auto-tags and expiry alerts: the migration-ready tag threshold and the expire-soon window.
HUNTER_MIGRATION_READY_SCORE = env_int("HUNTER_MIGRATION_READY_SCORE", 60, minimum=0, maximum=100)
HUNTER_EXPIRE_SOON_DAYS = env_int("HUNTER_EXPIRE_SOON_DAYS", 30, minimum=1, maximum=365)
# Sales summary (leads.sales): multiplies every lead's opportunity potential (capped at 100).
HUNTER_SALES_ENGINE_OPPORTUNITY_FACTOR = env_float(
    "HUNTER_SALES_ENGINE_OPPORTUNITY_FACTOR", 1.0, minimum=0.0, maximum=2.0
)
# Alert delivery (leads.services.alerts): batch size, retries of failed deliveries, timeouts.
HUNTER_ALERT_BATCH_SIZE = env_int("HUNTER_ALERT_BATCH_SIZE", 50, minimum=1, maximum=1000)
HUNTER_ALERT_MAX_ATTEMPTS = env_int("HUNTER_ALERT_MAX_ATTEMPTS", 5, minimum=1, maximum=20)
HUNTER_ALERT_RETRY_DELAY = env_int("HUNTER_ALERT_RETRY_DELAY", 300, minimum=1, maximum=86_400)
HUNTER_ALERT_WEBHOOK_TIMEOUT = env_float(
    "HUNTER_ALERT_WEBHOOK_TIMEOUT", 10.0, minimum=0.05, maximum=60
)
# Alert webhooks and Slack URLs never reach loopback, private or link-local addresses (the
# metadata service, the database port) unless this list names the host or its network.
HUNTER_ALERT_URL_ALLOWLIST = env_list("HUNTER_ALERT_URL_ALLOWLIST")

# --- E-mail (alert notifications) ---------------------------------------------------------------
# Development prints mails to the console; production talks SMTP unless told otherwise.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65_535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Without a timeout a dead SMTP server would hang the alert task until its time limit.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hunter@localhost")

# --- People, language, pages --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "tr", ("tr", "en"))
LANGUAGES = [("tr", _("Turkish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Istanbul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The key first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hunter.api.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hunter.api.permissions.KeyOrSession"],
    "DEFAULT_THROTTLE_CLASSES": ["hunter.api.throttling.APIKeyRateThrottle"],
    "DEFAULT_VERSIONING_CLASS": "hunter.api.versioning.TreeVersioning",
    # orjson (see the class). UTC as "Z" and integer keys as strings keep the bytes old
    # clients read from DRF's own renderer.
    "DEFAULT_RENDERER_CLASSES": ["hunter.api.renderers.JSONRenderer"],
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z, orjson.OPT_NON_STR_KEYS),
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "hunter.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is the export's own parameter (csv/xlsx), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
# The API version the schema, / and /support announce.
HUNTER_API_VERSION = "1.0.0"
SPECTACULAR_SETTINGS = {
    "TITLE": "Hunter API",
    "DESCRIPTION": (
        "Lead discovery for Microsoft 365 partners. Every path is served under /api/v1/ and, "
        "deprecated, at the same path without the prefix. Authenticate with an API key "
        "(X-API-Key header or 'Authorization: Api-Key <key>') or a signed-in session. "
        "A 503 with Retry-After means the database did not answer and nothing was changed: "
        "send the same request again after that many seconds."
    ),
    "VERSION": HUNTER_API_VERSION,
    "SERVE_PERMISSIONS": ["hunter.api.permissions.KeyOrSession"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The sales summary's risk level and urgency use the same three words.
    "ENUM_NAME_OVERRIDES": {"LevelEnum": "leads.api.sales.LEVELS"},
}
# Legacy (unversioned) API paths: announced deprecated on this date, removed after the sunset.
HUNTER_API_LEGACY_DEPRECATED_ON = datetime.date(2025, 11, 16)
HUNTER_API_LEGACY_SUNSET_ON = datetime.date(2027, 6, 30)
# Dashboard "high priority": Migration leads scoring at least this much.
HUNTER_HIGH_PRIORITY_SCORE = env_int("HUNTER_HIGH_PRIORITY_SCORE", 70, minimum=0, maximum=100)
# Seconds a single-domain scan or rescan request waits for the workers before answering 202.
HUNTER_API_SCAN_WAIT_SECONDS = env_float(
    "HUNTER_API_SCAN_WAIT_SECONDS", 20.0, minimum=0, maximum=120
)
# Browser integrators: origins allowed to call the API cross-site (none by default).
CORS_ALLOWED_ORIGINS = env_list("HUNTER_CORS_ALLOWED_ORIGINS")
# Who integrators should write to, as GET /support shows it (empty = not shown, null).
HUNTER_SUPPORT_CONTACT = env_str("HUNTER_SUPPORT_CONTACT")
CORS_URLS_REGEX = r"^/(api/v1/)?(leads|dashboard|jobs|alerts|scan|ingest|email)(/.*)?$"
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-api-key")

# --- Security (production) ----------------------------------------------------------------------
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_SSL_REDIRECT = env_bool("HUNTER_SSL_REDIRECT", IS_PRODUCTION)
SECURE_HSTS_SECONDS = env_int("HUNTER_HSTS_SECONDS", 31_536_000 if IS_PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Logging and errors -------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
SENTRY_DSN = env_str("SENTRY_DSN")
HUNTER_HEALTH_CHECK_TIMEOUT = env_float("HUNTER_HEALTH_CHECK_TIMEOUT", 2.0, minimum=0.1, maximum=30)
LOGGING_CONFIG = None  # hunter.logging configures stdlib logging and structlog once, below.

from hunter.logging import configure_logging  # noqa: E402

configure_logging(json_output=IS_PRODUCTION, level=LOG_LEVEL)

if SENTRY_DSN:
    from hunter.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=HUNTER_ENV)
