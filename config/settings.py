"""Settings: the one place that reads the environment (django-environ).

Safe defaults serve the SQLite demo; production sets the variables documented in
README ("Production") and `manage.py check --deploy` must stay clean.
"""

import datetime
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "insecure-dev-only-key")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "audit",
    "families",
    "settlements",
    "channel_api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from gunicorn (hashed names, compressed, cached for a year).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside XFrameOptionsMiddleware, so it sees which framing policy a response got.
    "config.middleware.FramingAwareCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.HostileInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite file under var/ is the embedded demo default; PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two concurrent demo writers queue up
    # instead of failing with "database is locked" when one upgrades a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and a statement a connection has run twice kept
        # prepared (psycopg): PostgreSQL stops parsing and planning the same few statements
        # of every request (a channel apply: 4.1 -> 2.9 ms of its CPU). Turn off behind a
        # pooler in transaction mode that cannot carry prepared statements (pgbouncer < 1.21).
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2})
# Parallel local runs (several developers on one PostgreSQL) may pick their own test DB.
if env.str("TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME")}

# Optional read replica (PostgreSQL streaming replica): audit-log, export and report reads
# only, chosen by accounts.db_router; every write and every rule check stays on "default".
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    # Test runs point the alias at the default test database instead of a second one.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["accounts.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time: Chinese first, China time for calendar rules ----------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
# locale/: the project's strings (scripts/messages.py); locale_vendor/: Chinese for
# library strings that ship without it (Django 5.2's new admin strings, django-axes).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
FORMAT_MODULE_PATH = ["config.formats"]  # times to the second (config/formats/zh_Hans)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Scans of ID documents and kinship proofs: a private directory that no URL serves.
# Downloads go through a view that checks permission and region.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private-media")
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
MEDIA_URL = None
# STATIC_MANIFEST=1 (production, `make serve`): hashed and compressed names, served
# by whitenoise with far-future caching; needs `collectstatic` before start.
_STATICFILES_BACKEND = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if env.bool("STATIC_MANIFEST", default=False)
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    # Scans on S3-compatible object storage (django-storages, extra "s3"): a private
    # bucket, no public ACL, never overwritten; downloads still go through the view.
    _MEDIA_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("S3_SECRET_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default="scans"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
        },
    }
elif MEDIA_STORAGE == "local":
    _MEDIA_BACKEND = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("MEDIA_STORAGE must be 'local' or 's3'.")
STORAGES = {
    "default": _MEDIA_BACKEND,
    "staticfiles": {"BACKEND": _STATICFILES_BACKEND},
}
SCAN_MAX_BYTES = env.int("SCAN_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Scans are personal data: readable by the service account only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Sessions: counter PCs are shared ----------------------------------------------------
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age is an idle timeout, renewed by each request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True

# --- Security headers (production values via environment) ---------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4). Scripts only from this origin: the admin has no
# inline scripts; the one inline handler (the print buttons' `window.print()`) is allowed
# by its hash. Inline styles stay allowed (the counter pages' <style> block and style
# attributes; CSS cannot run script). Framing: nobody ('none'), except responses that
# opted into SAMEORIGIN (the scan view, embedded by the review page): see
# config.middleware.FramingAwareCSPMiddleware.
_PRINT_HANDLER_HASH = "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='"  # window.print()
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-hashes'", _PRINT_HANDLER_HASH],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Background tasks (django-tasks, the backport of django.tasks) ----------------------
# The ORM backend of django-tasks-db: jobs wait in the database (SQLite in the demo,
# PostgreSQL in production) and `manage.py db_worker` runs them, on as many hosts as
# wanted (scripts/worker.sh resumes jobs a killed worker left, then starts the worker).
# TASKS_BACKEND=immediate runs a task inside the request (tests, debugging).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[env.str("TASKS_BACKEND", default="database")],
                     "QUEUES": ["default"]}}
# Batch jobs from the browser (批量处理): a job that would end more links than this needs
# a second supervisor's confirmation (four-eyes).
BATCH_FOUR_EYES_THRESHOLD = env.int("BATCH_FOUR_EYES_THRESHOLD", default=1000)
# Seconds without progress after which a running job on SQLite counts as abandoned
# (PostgreSQL knows exactly: the runner's advisory lock dies with its connection).
BATCH_JOB_STALE_SECONDS = env.int("BATCH_JOB_STALE_SECONDS", default=120)
# Database connections one batch job uses at once (PostgreSQL; 1 on SQLite).
BATCH_JOB_WORKERS = env.int("BATCH_JOB_WORKERS", default=2)
# Links per transaction, and seconds to pause after each (to leave the database to the
# counters during office hours): as batch_unbind's --chunk-size / --pause.
BATCH_JOB_CHUNK_SIZE = env.int("BATCH_JOB_CHUNK_SIZE", default=10_000)
BATCH_JOB_PAUSE = env.float("BATCH_JOB_PAUSE", default=0.0)

# --- Audit / history -------------------------------------------------------------------
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Login lockout (django-axes): by username, never by IP alone (a hall shares one IP) ---
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# axes.W006 asks for IP in the lockout key; a whole service hall shares one address, so
# IP-only or IP-including lockouts would lock out every counter at once.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LOGIN_URL = "admin:login"

# --- Channel API (/api/channels/v1/, channel_api): signed JSON, no sessions, no CSRF ------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "channel_api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "医保服务大厅 渠道接口 / Channel API",
    "DESCRIPTION": "亲情账户与家庭共济的渠道接口(签名、幂等)。"
                   "Signed, idempotent API for channel partners: see docs/channel-api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/channels/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelConsentMethodEnum": "channel_api.serializers.CHANNEL_CONSENT",
        "FaceConsentMethodEnum": "channel_api.serializers.FACE_ONLY",
    },
}
# A channel's face verification must be this recent when it applies (minutes).
CHANNEL_FACE_MAX_AGE = datetime.timedelta(minutes=env.int("CHANNEL_FACE_MAX_AGE_MINUTES",
                                                          default=30))
CHANNEL_CLOCK_SKEW = datetime.timedelta(minutes=5)
# Seconds a process keeps a channel and its active keys (channel_api.authentication): a
# change in the admin takes effect at once in the process that made it, in the others
# within this time (0: read them for every request).
CHANNEL_CACHE_SECONDS = env.float("CHANNEL_CACHE_SECONDS", default=5.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
