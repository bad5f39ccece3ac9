"""Settings, read from the environment.

With nothing set the project runs on SQLite with Celery tasks executed
in-process, so a new user needs no server. Production sets at least
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import os
import re
import urllib.parse
from pathlib import Path

import dj_database_url
import dj_email_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- service URLs: a malformed one stops start-up with one line, not a traceback ---
DATABASE_FORMS = "postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH"
REDIS_FORMS = "redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... (TLS), DB a number"
EMAIL_FORMS = (
    "smtp://USER:PASSWORD@HOST:PORT[/?tls=True|ssl=True], submission://..., console://, "
    "file:///PATH, memory://, dummy://"
)


class ConfigurationError(SystemExit):
    """Raised while the settings load: the process stops and prints only
    the message (a SystemExit), so the operator sees one line saying which
    variable is wrong, how, and what it accepts."""

    def __init__(self, name: str, problem: str, forms: str):
        super().__init__(f"Configuration error: {name}: {problem}. Accepted: {forms}.")


def _shown(value: str) -> str:
    """``value`` as a message may quote it: any password masked."""
    return repr(re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", value))


def _url_parts(name: str, value: str, schemes, forms: str) -> urllib.parse.SplitResult:
    """``value`` split, with a scheme among ``schemes`` and a readable
    port; else ConfigurationError naming ``name``."""
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as error:
        raise ConfigurationError(name, f"cannot read {_shown(value)} as a URL ({error})", forms) from None
    if parts.scheme not in schemes:
        scheme = f"unknown scheme {parts.scheme + '://'!r}" if parts.scheme else "no scheme"
        raise ConfigurationError(name, f"{scheme} in {_shown(value)}", forms)
    return parts


def database_config(value: str, **options) -> dict:
    parts = _url_parts("DATABASE_URL", value, ("postgres", "postgresql", "pgsql", "sqlite"), DATABASE_FORMS)
    if parts.scheme != "sqlite" and not (parts.hostname and parts.path.strip("/")):
        raise ConfigurationError("DATABASE_URL", f"no host or database name in {_shown(value)}", DATABASE_FORMS)
    try:
        return dj_database_url.parse(value, **options)
    except (ValueError, dj_database_url.UnknownSchemeError) as error:
        raise ConfigurationError("DATABASE_URL", f"cannot read {_shown(value)} ({error})", DATABASE_FORMS) from None


def redis_url(value: str) -> str:
    """``value`` checked (empty: no Redis, tasks run in-process)."""
    if not value:
        return ""
    parts = _url_parts("REDIS_URL", value, ("redis", "rediss"), REDIS_FORMS)
    if not parts.hostname:
        raise ConfigurationError("REDIS_URL", f"no host in {_shown(value)}", REDIS_FORMS)
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ConfigurationError("REDIS_URL", f"the database {database!r} is not a number", REDIS_FORMS)
    return value


def email_config(value: str) -> dict:
    parts = _url_parts("EMAIL_URL", value, tuple(dj_email_url.SCHEMES), EMAIL_FORMS)
    if parts.scheme in ("smtp", "smtps", "submission", "submit") and not parts.hostname and parts.netloc:
        raise ConfigurationError("EMAIL_URL", f"no host in {_shown(value)}", EMAIL_FORMS)
    try:
        return dj_email_url.parse(value)
    except ValueError as error:  # e.g. ?timeout=soon
        raise ConfigurationError("EMAIL_URL", f"cannot read {_shown(value)} ({error})", EMAIL_FORMS) from None


DEBUG = env_bool("DEBUG", True)
# The embedded key is only good for a laptop demo; `check --deploy` flags it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-demo-key-change-me-in-production-0123456789"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "cases",
    "api",
    "web",
    "reminders",
    "imports",
    "workdays",
    "reports",
    "notifications",
    "dispatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after the HTTPS rules: every answer under /api/ is JSON,
    # and an oversized body is refused before anything reads it.
    "api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The project's 403/404/500 pages with DEBUG on too (the demo).
    "web.middleware.ErrorPagesMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

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
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": database_config(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A ping before reusing a connection in each request: one round trip
        # per request, traded for no failed request after a database restart.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out account before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock the account (not the whole IP) for a cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if not DEBUG:
    # Production serves collected static files itself (no CDN, no separate
    # server needed); in development runserver serves them from the apps.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Evidence uploads.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# E-mail: EMAIL_URL such as smtp://user:pass@host:587/?tls=True; console by default.
_email = email_config(os.environ.get("EMAIL_URL") or "console://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no REDIS_URL, tasks run in-process so no broker is needed.
REDIS_URL = redis_url(os.environ.get("REDIS_URL", "").strip())
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down is reported within seconds (the caller leaves the
# work queued in the database for the sweeps), not after minutes of retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Redis hands a message a worker took but never acknowledged (it died) to
# another worker after this many seconds. It must outlast the longest task
# and the longest countdown a task is given, or Redis delivers those again
# while they are still running or waiting (checked by `manage.py check`,
# tracker/checks.py). Stranded digests and imports do not wait for it: the
# sweeps hand them on sooner.
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache only holds what can be done without (import
            # progress): with Redis down, give up within a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token semantics, reading only the columns the permission
        # boundary needs (api/authentication.py).
        "api.authentication.LeanTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "api.v1.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The one error shape for every DRF view, the schema's included.
    "EXCEPTION_HANDLER": "api.v1.views.base.error_response",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Inspection rectification tracker API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the review levels wherever they appear (review_stage, a
    # review's level, the chain).
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "cases.constants.Level",
        "StatusEnum": "cases.constants.Status",
        "RoundStatusEnum": "dispatch.api_views.REPORT_STATUSES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The error answers every operation can give, documented once.
        "api.schema.document_errors",
        "api.schema.link_rows",
    ],
}

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    # /healthz is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Beat folds the statistics' delta rows (cases/statistics.py) this often.
TALLY_COMPACT_SECONDS = float(os.environ.get("TALLY_COMPACT_SECONDS", "300"))

# Working days ahead of a deadline that count as "due soon" (China's
# holidays and make-up working days counted; cases.querysets.due_soon_horizon).
DUE_SOON_DAYS = 7

# Axes locks by account, not by address: a city bureau's staff share one
# office IP, and locking it would shut the whole bureau out because one
# person mistyped. W006 warns about exactly that choice.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# SQLite (the demo, the README's tests) has no covering indexes: the review
# queues' arrival index (cases 0019) is a plain partial index there, which is
# all a demo needs. W040 says so on every command.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# The daily end of publicity periods (cases/publicity.py), in Asia/Shanghai
# time: early, so that the acceptor finds the cases ready in the morning.
PUBLICITY_END_HOUR = int(os.environ.get("PUBLICITY_END_HOUR", "0"))
PUBLICITY_END_MINUTE = int(os.environ.get("PUBLICITY_END_MINUTE", "30"))

# --- reminders (issue 4) ---
# The daily digest run, in Asia/Shanghai time (CELERY_TIMEZONE).
REMINDER_HOUR = int(os.environ.get("REMINDER_HOUR", "9"))
REMINDER_MINUTE = int(os.environ.get("REMINDER_MINUTE", "0"))
# Overdue for more than this many days: escalated in the province digest.
ESCALATION_DAYS = int(os.environ.get("ESCALATION_DAYS", "30"))
# Awaiting acceptance for more than this many days: in the supervisors' queue.
ACCEPTANCE_QUEUE_DAYS = int(os.environ.get("ACCEPTANCE_QUEUE_DAYS", "7"))
# Cases listed per section of a digest; the counts are always complete.
REMINDER_LIST_LIMIT = int(os.environ.get("REMINDER_LIST_LIMIT", "200"))
# Delivery attempts per digest before it is recorded as failed, and the
# first retry's delay (doubled on each further retry).
REMINDER_MAX_ATTEMPTS = int(os.environ.get("REMINDER_MAX_ATTEMPTS", "5"))
REMINDER_RETRY_SECONDS = int(os.environ.get("REMINDER_RETRY_SECONDS", "60"))
# A digest claimed for sending this long ago by a worker that never
# finished is taken over by the sweep (see reminders.services).
REMINDER_STALE_CLAIM_MINUTES = float(os.environ.get("REMINDER_STALE_CLAIM_MINUTES", "15"))
# Beat runs the sweep this often: it hands on digests left queued (the
# broker was down), stale claims and lost retries.
REMINDER_SWEEP_SECONDS = float(os.environ.get("REMINDER_SWEEP_SECONDS", "60"))

# A server worker above this resident size after a request returns the
# memory it freed to the system (tracker/memory.py; 0 trims after every
# request).
MEMORY_TRIM_ABOVE_MB = int(os.environ.get("MEMORY_TRIM_ABOVE_MB", "160"))
# Digests per task: claimed in one statement, their case lists read in one
# query, sent over one mail-server connection.
REMINDER_BATCH_SIZE = int(os.environ.get("REMINDER_BATCH_SIZE", "50"))

# --- channels (issue 16): robots, SMS, the notification centre ---
# A DingTalk or WeCom robot refuses more than about 20 messages a minute;
# messages to one robot are spaced to stay under this.
ROBOT_MESSAGES_PER_MINUTE = float(os.environ.get("ROBOT_MESSAGES_PER_MINUTE", "20"))
# A robot or the SMS service that answers "too fast" gets nothing for this long.
ROBOT_RATE_LIMIT_WAIT_SECONDS = float(os.environ.get("ROBOT_RATE_LIMIT_WAIT_SECONDS", "60"))
# SMS through Alibaba Cloud (dysmsapi): the account's AccessKey, the
# approved sign name and the approved template of each message kind.
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
ALIYUN_SMS_TEMPLATE_DIGEST = os.environ.get("ALIYUN_SMS_TEMPLATE_DIGEST", "")
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
ALIYUN_SMS_PROTOCOL = os.environ.get("ALIYUN_SMS_PROTOCOL", "HTTPS")

# --- imports (issue 6) ---
# Limits on one spreadsheet import, stated in the error when exceeded.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
# Checked in the worker before any cell is read (an .xlsx is a zip: a small
# file can unpack to gigabytes): the unpacked size of the workbook, the
# columns of a sheet, and the characters of one cell (Excel's own limit).
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(30 * 1024 * 1024)))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "60"))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "32767"))
# Files above this size (about a thousand rows) go to a Celery worker and
# the page shows their progress; smaller ones are done within the request.
IMPORT_INLINE_MAX_BYTES = int(os.environ.get("IMPORT_INLINE_MAX_BYTES", str(256 * 1024)))
# An import running longer is stopped and marked failed (nothing applied).
IMPORT_TIME_LIMIT_SECONDS = int(os.environ.get("IMPORT_TIME_LIMIT_SECONDS", str(15 * 60)))
# Beat runs the import sweep this often: queued jobs whose task never
# reached a worker are handed on, jobs whose worker died are marked failed.
IMPORT_SWEEP_SECONDS = float(os.environ.get("IMPORT_SWEEP_SECONDS", "60"))

# --- web (issue 5) ---
# The pages live in the "web" URL namespace.
LOGIN_URL = "web:login"
LOGOUT_REDIRECT_URL = "web:login"
# A locked-out account sees the login page again, saying why and for how long.
AXES_LOCKOUT_CALLABLE = "web.views.auth.locked_out"

# --- reports (issue 15) ---
# The office that issues the progress report (通报), as printed on it.
REPORT_ISSUER = os.environ.get("REPORT_ISSUER", "江西省生态环境保护督察整改工作领导小组办公室")
# Overdue cases listed in the Word notice (most overdue first); the Excel
# workbook lists all of them.
REPORT_NOTICE_OVERDUE_ROWS = int(os.environ.get("REPORT_NOTICE_OVERDUE_ROWS", "100"))
# --- urging (催办) and receipts (签收), issue 16 ---
# Office hours on working days, in which an urging's receipt deadline runs.
URGING_OFFICE_HOURS = os.environ.get("URGING_OFFICE_HOURS", "09:00-17:00")
# Working hours an urging may wait for its receipt before it is escalated,
# for campaigns that set none (Admin → Notifications → receipt deadlines).
URGING_RECEIPT_WORKING_HOURS = int(os.environ.get("URGING_RECEIPT_WORKING_HOURS", "8"))
ALIYUN_SMS_TEMPLATE_URGING = os.environ.get("ALIYUN_SMS_TEMPLATE_URGING", "")
# How often beat looks for recurring dispatch rounds to open.
DISPATCH_SCHEDULE_SECONDS = float(os.environ.get("DISPATCH_SCHEDULE_SECONDS", "900"))
# How often beat looks for urgings to escalate.
URGING_ESCALATION_SECONDS = float(os.environ.get("URGING_ESCALATION_SECONDS", "300"))
