"""One settings module, driven by the environment (see .env.example for every variable)."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present (GRIDCITY_ENV_FILE names another, or none when empty);
# real environment variables always win.
_env_file = env.str("GRIDCITY_ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file:
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-do-not-deploy")
else:
    # Fails loudly at start-up rather than signing sessions with a guessable key.
    SECRET_KEY = env("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# ---------------------------------------------------------------- applications
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "leaflet",
    "django_celery_beat",
    "gridcity",
    "grids",
    "departments",
    "cases",
    "reports",
    "open311",
    "axes",
]

MIDDLEWARE = [
    "gridcity.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridcity.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridcity.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gridcity.urls"
WSGI_APPLICATION = "gridcity.wsgi.application"
ASGI_APPLICATION = "gridcity.asgi.application"

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

# ---------------------------------------------------------------- data stores
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default="postgis://gridcity:gridcity@127.0.0.1:5432/gridcity"
    ),
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=5
)
# PostgreSQL's JIT compiles any statement whose estimated cost passes jit_above_cost before it
# runs it: for the reports' wide FILTER aggregates over millions of facts and for vector tiles
# that took 0.1–15 s against milliseconds of execution (bench/RESULTS.md). The platform's
# statements are short and repeated, so JIT never pays; it is off for every connection.
DATABASES["default"]["OPTIONS"]["options"] = env("DATABASE_SESSION_OPTIONS", default="-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_URL = env("CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/1")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
            # A cache outage must slow the platform down, never stop case intake.
            "IGNORE_EXCEPTIONS": True,
        },
        "KEY_PREFIX": "gridcity",
    }
}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Sessions live in PostgreSQL so any web process can serve any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# ---------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused (429) until the cool-off has passed; a good login clears the
# count. Axes must come first: it refuses before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("GRIDCITY_LOGIN_FAILURE_LIMIT", default=5)
# In hours (a float: 0.25 is a quarter of an hour).
AXES_COOLOFF_TIME = env.float("GRIDCITY_LOGIN_COOLOFF_MINUTES", default=15.0) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = _("登录失败次数过多，该账号在本机暂时被锁定，请稍后再试。")
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # lockouts are still logged; not a banner on every command

# ---------------------------------------------------------------- i18n
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- static & media
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end libraries are installed from the npm registry at set-up time and served from
# node_modules under a stable prefix; nothing is copied into the repository.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS += [
    (f"vendor/{name}", NODE_MODULES / path)
    for name, path in {
        "leaflet": "leaflet/dist",
        "leaflet.markercluster": "leaflet.markercluster/dist",
        "echarts": "echarts/dist",
        "htmx": "htmx.org/dist",
        "idb": "idb/build",
    }.items()
    if (NODE_MODULES / path).is_dir()
]
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
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# ---------------------------------------------------------------- security
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = HTTPS and env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    # Only trust the forwarded scheme when a proxy we control sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # Login throttling counts the client's address as the (one) proxy saw it; without a proxy
    # only the socket's address counts, so a forged X-Forwarded-For cannot dodge the lock.
    AXES_IPWARE_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# ---------------------------------------------------------------- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridcity.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GridCity API",
    "DESCRIPTION": "Grid-based urban management: city model, cases, evaluation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page map every endpoint: for signed-in users only. Open311's
    # discovery (/open311/discovery.json) is the citizens' public description.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have a "source", "kind" or "status"; each enum gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "CaseSourceEnum": "cases.workflow.Source.choices",
        "CaseStatusEnum": "cases.workflow.Status.choices",
        # Nested choice classes are named through module-level aliases (importable by path).
        "CategoryKindEnum": "grids.models.CategoryKind",
        "DepartmentKindEnum": "departments.models.DepartmentKind",
    },
}

# ---------------------------------------------------------------- map
MAP_TILE_URL = env("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="")
MAP_CENTER = (
    env.float("MAP_CENTER_LAT", default=36.067),
    env.float("MAP_CENTER_LON", default=120.383),
)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": MAP_CENTER,
    "DEFAULT_ZOOM": 13,
    # No tile URL means no base map: geometries still draw on a plain background.
    "TILES": [(_("底图"), MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})]
    if MAP_TILE_URL
    else [],
    "NO_GLOBALS": False,
}

# ---------------------------------------------------------------- Celery
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task is acknowledged only after it ran, and re-delivered if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Must exceed the longest task (CELERY_TASK_TIME_LIMIT) and the longest retry countdown (notices:
# 600 s) so no task is handed to a second worker early, yet stay short: a task whose worker host
# died silently comes back after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900}
CELERY_WORKER_SEND_TASK_EVENTS = False
# Worker log lines go through LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "record-beat-heartbeat": {
        "task": "gridcity.tasks.record_heartbeat",
        "schedule": crontab(minute="*"),
        "kwargs": {"source": "beat"},
    },
}
# The outbox (gridcity.outbox): work the broker could not take is re-sent by beat; rows younger
# than the grace period may still be on their way from their own commit. Sent rows are kept
# for KEEP_DAYS for tracing.
CELERY_BEAT_SCHEDULE["relay-outbox"] = {
    "task": "gridcity.tasks.relay_outbox",
    "schedule": env.float("GRIDCITY_OUTBOX_RELAY_SECONDS", default=30.0),
}
GRIDCITY_OUTBOX_GRACE_SECONDS = env.float("GRIDCITY_OUTBOX_GRACE_SECONDS", default=20.0)
GRIDCITY_OUTBOX_KEEP_DAYS = env.int("GRIDCITY_OUTBOX_KEEP_DAYS", default=7)
GRIDCITY_BEAT_STALE_AFTER_SECONDS = env.int("GRIDCITY_BEAT_STALE_AFTER_SECONDS", default=300)
GRIDCITY_HEALTH_TIMEOUT = env.float("GRIDCITY_HEALTH_TIMEOUT", default=1.0)

# ---------------------------------------------------------------- email
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# The file backend (django.core.mail.backends.filebased.EmailBackend, the local demo's choice in
# .env.example) writes each message to a file here; a relative path is under the project.
EMAIL_FILE_PATH = str(BASE_DIR / env("EMAIL_FILE_PATH", default="var/mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="gridcity@localhost")

# ---------------------------------------------------------------- logging
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "gridcity.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# Debian 12 ships GDAL 3.6, before GDAL's network/file blocking (3.9). Spatial data enters only
# through staff-run import commands that validate every feature, so the warning is silenced here
# rather than on every command's output; deployments on GDAL >= 3.9 get the protection anyway.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# ---- departments settings
# Warn administrators this many weeks before a year whose holiday schedule is still unknown.
GRIDCITY_CALENDAR_WARN_WEEKS = env.int("GRIDCITY_CALENDAR_WARN_WEEKS", default=8)
# The city's SMS gateway: notices to people who chose SMS are POSTed here as JSON; empty = off.
GRIDCITY_SMS_WEBHOOK_URL = env("GRIDCITY_SMS_WEBHOOK_URL", default="")
GRIDCITY_NOTIFY_HTTP_TIMEOUT = env.float("GRIDCITY_NOTIFY_HTTP_TIMEOUT", default=5.0)
# Delivery retries wait 2, 4, 8 … seconds (capped at 10 minutes), at most this many times.
GRIDCITY_NOTIFY_RETRY_BACKOFF = env.int("GRIDCITY_NOTIFY_RETRY_BACKOFF", default=2)
GRIDCITY_NOTIFY_MAX_RETRIES = env.int("GRIDCITY_NOTIFY_MAX_RETRIES", default=8)
CELERY_BEAT_SCHEDULE["warn-unknown-holiday-schedule"] = {
    "task": "departments.tasks.warn_unknown_holiday_schedule",
    "schedule": crontab(hour=8, minute=0),
}
# ---- end departments settings

# ---- cases settings
# Traffic lights: an open step is escalated to the supervisors at this multiple of its limit.
GRIDCITY_ESCALATE_AT = env.float("GRIDCITY_ESCALATE_AT", default=1.5)
# A new report is a probable duplicate of an open case of the same category within this many
# metres and hours (or of an open case about the same component).
GRIDCITY_DUPLICATE_RADIUS_M = env.float("GRIDCITY_DUPLICATE_RADIUS_M", default=50.0)
GRIDCITY_DUPLICATE_WINDOW_HOURS = env.float("GRIDCITY_DUPLICATE_WINDOW_HOURS", default=72.0)
# Photos: bytes and pixels accepted per photo; EXIF positions farther than this are flagged.
GRIDCITY_PHOTO_MAX_BYTES = env.int("GRIDCITY_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
GRIDCITY_PHOTO_MAX_PIXELS = env.int("GRIDCITY_PHOTO_MAX_PIXELS", default=40_000_000)
GRIDCITY_PHOTO_FAR_M = env.float("GRIDCITY_PHOTO_FAR_M", default=200.0)
# Sources whose reports must carry at least one photo.
GRIDCITY_REPORT_PHOTO_REQUIRED_SOURCES = env.list(
    "GRIDCITY_REPORT_PHOTO_REQUIRED_SOURCES", default=["inspector"]
)
CELERY_BEAT_SCHEDULE["sweep-case-timers"] = {
    "task": "cases.tasks.sweep_case_timers",
    "schedule": crontab(minute="*"),
}
# ---- end cases settings

# ---- grids settings
# Vector tiles (grids.tiles): below GRID_MIN_ZOOM grids give way to community outlines, below
# COMPONENT_MIN_ZOOM components are drawn as clusters of CLUSTER_PIXELS (of a 512-pixel tile);
# MAX_FEATURES caps any one tile layer.
GRIDCITY_TILE_GRID_MIN_ZOOM = env.int("GRIDCITY_TILE_GRID_MIN_ZOOM", default=12)
GRIDCITY_TILE_COMPONENT_MIN_ZOOM = env.int("GRIDCITY_TILE_COMPONENT_MIN_ZOOM", default=16)
GRIDCITY_TILE_CLUSTER_PIXELS = env.int("GRIDCITY_TILE_CLUSTER_PIXELS", default=32)
GRIDCITY_TILE_MAX_FEATURES = env.int("GRIDCITY_TILE_MAX_FEATURES", default=20000)
# ---- end grids settings

# ---- ui settings
# ---- end ui settings

# ---- reports settings
# Which cases count in a period, stated on every report:
#   "event": each count by when its step happened (accepted in the period, filed in it…);
#            due-to-close = closed in the period + deadline passed in it and still open at its end.
#   "reported": the cases reported in the period, as they stand now.
GRIDCITY_REPORTS_PERIOD_CONVENTION = env("GRIDCITY_REPORTS_PERIOD_CONVENTION", default="event")
# Some cities take suspended (挂账) cases out of the due-to-close and due-to-handle denominators.
GRIDCITY_REPORTS_EXCLUDE_SUSPENDED = env.bool("GRIDCITY_REPORTS_EXCLUDE_SUSPENDED", default=True)
# A unit is ranked only with at least this many cases in its score's sample.
GRIDCITY_REPORTS_MIN_SAMPLE = env.int("GRIDCITY_REPORTS_MIN_SAMPLE", default=30)
# Rendered component vector tiles are cached under the data version (grids.tiles).
GRIDCITY_TILE_CACHE_SECONDS = env.int("GRIDCITY_TILE_CACHE_SECONDS", default=86_400)
# How many periods the trend charts show.
GRIDCITY_REPORTS_TREND_PERIODS = env.int("GRIDCITY_REPORTS_TREND_PERIODS", default=8)
# Exported files, under MEDIA_ROOT, served only to their owner.
GRIDCITY_REPORTS_EXPORT_DIR = env("GRIDCITY_REPORTS_EXPORT_DIR", default="reports/exports")
# Subscribed reports of the last complete week (Mondays) and month (the 1st).
CELERY_BEAT_SCHEDULE["send-weekly-reports"] = {
    "task": "reports.tasks.send_scheduled_reports",
    "schedule": crontab(hour=7, minute=30, day_of_week=1),
    "kwargs": {"frequency": "week"},
}
CELERY_BEAT_SCHEDULE["send-monthly-reports"] = {
    "task": "reports.tasks.send_scheduled_reports",
    "schedule": crontab(hour=7, minute=45, day_of_month=1),
    "kwargs": {"frequency": "month"},
}
# The record of changes behind the kept counts of past periods, one row per day (nightly).
CELERY_BEAT_SCHEDULE["compact-fact-changes"] = {
    "task": "reports.tasks.compact_fact_changes",
    "schedule": crontab(hour=3, minute=20),
}
# ---- end reports settings

# ---- open311 settings
# Service discovery: who runs the endpoint, where clients ask for a key, and its type.
GRIDCITY_OPEN311_CONTACT = env("GRIDCITY_OPEN311_CONTACT", default="")
GRIDCITY_OPEN311_KEY_SERVICE = env("GRIDCITY_OPEN311_KEY_SERVICE", default="")
GRIDCITY_OPEN311_ENDPOINT_TYPE = env("GRIDCITY_OPEN311_ENDPOINT_TYPE", default="production")
# POST requests per client key: at most REQUESTS within each window of SECONDS.
GRIDCITY_OPEN311_RATE_LIMIT_REQUESTS = env.int("GRIDCITY_OPEN311_RATE_LIMIT_REQUESTS", default=60)
GRIDCITY_OPEN311_RATE_LIMIT_SECONDS = env.int("GRIDCITY_OPEN311_RATE_LIMIT_SECONDS", default=60)
# GET requests: the longest start_date..end_date window, and the page sizes.
GRIDCITY_OPEN311_WINDOW_DAYS = env.int("GRIDCITY_OPEN311_WINDOW_DAYS", default=90)
GRIDCITY_OPEN311_PAGE_SIZE = env.int("GRIDCITY_OPEN311_PAGE_SIZE", default=50)
GRIDCITY_OPEN311_MAX_PAGE_SIZE = env.int("GRIDCITY_OPEN311_MAX_PAGE_SIZE", default=200)
# Case sources whose cases (of published services) the public GET endpoints show. Hotline and
# desk reports are left out by default: operators type callers' words, names and numbers included.
GRIDCITY_OPEN311_PUBLIC_SOURCES = env.list(
    "GRIDCITY_OPEN311_PUBLIC_SOURCES", default=["open311", "inspector", "video"]
)
# ---- end open311 settings
