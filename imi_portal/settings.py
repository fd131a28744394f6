"""IMI Portal settings: one module, everything from the environment.

Local defaults (DEBUG=1) run on SQLite with Celery tasks executed in-process. With DEBUG off
every secret must come from the environment and the production hardening below switches on.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env(
        "SECRET_KEY", default="django-insecure-local-development-key-never-in-production"
    )
else:
    # No default: a production instance without a secret must not start.
    SECRET_KEY = env("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 or more characters.")

# The evidence vault's wrapping key (see hotline.vault.cipher): 32 random bytes, URL-safe base64,
# e.g. python -c "import secrets; print(secrets.token_urlsafe(32))". Kept apart from the
# database and the files: whoever steals those without it reads no evidence. While a new key
# is rolled out, the old one goes in EVIDENCE_KEY_FALLBACKS until `evidence_rekey` is done.
if DEBUG:
    EVIDENCE_KEY = env("EVIDENCE_KEY", default="bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ldmlkZW5jZS0")
else:
    # No default: a production instance without its own key must not start.
    EVIDENCE_KEY = env("EVIDENCE_KEY")
EVIDENCE_KEY_FALLBACKS = env.list("EVIDENCE_KEY_FALLBACKS", default=[])
EVIDENCE_DEV_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ldmlkZW5jZS0"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "imi_portal.apps.AdminConfig",  # the admin behind the two-step staff login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "phonenumber_field",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "incidents",
    "hotline",
    "demo",  # `manage.py load_demo`: the demo data, through the apps' services
    # Last, as its documentation asks: its backend wraps the others.
    "axes",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything reads it.
    "imi_portal.middleware.RequestBodyLimitMiddleware",
    "imi_portal.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that a failed save after the work is committed is not a 500.
    "imi_portal.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag and Last-Modified answered with 304 Not Modified (feeds, lists, articles).
    "django.middleware.http.ConditionalGetMiddleware",
    "imi_portal.middleware.SameOriginFormPostMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The admin in the language each staff member chose (after the user is known).
    "hotline.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so that it sees a view's database error first: the site's 503 page.
    "imi_portal.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "imi_portal.urls"
WSGI_APPLICATION = "imi_portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "imi_portal.context_processors.site",
            ],
            # {% site_part %}: the parts of every page that are the same in a language.
            "libraries": {"site_parts": "imi_portal.site_parts"},
        },
    },
]

# --- Data -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("PGBOUNCER", default=False):
        # Behind PgBouncer in transaction mode a connection is PostgreSQL's only for one
        # transaction: no server-side cursors (QuerySet.iterator) and no prepared statements
        # that psycopg would expect to find again on the next one.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, with a local fallback while it is unreachable (imi_portal.cache): rate
            # limits, lockouts and the API throttle never turn an outage into an error page.
            "BACKEND": "imi_portal.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="imi"),
            "FAILOVER_RETRY_SECONDS": env.float("CACHE_FAILOVER_RETRY_SECONDS", default=5.0),
            "OPTIONS": {
                # A Redis that accepts connections and never answers costs at most this.
                "socket_connect_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                # No silent retries: the fallback answers at once instead.
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }
    # Whole public pages and computed statistics (incidents.public_cache): by default on the
    # same Redis; in production on one that may evict them (compose: the `cache` service,
    # allkeys-lru), so pages never crowd out rate limits, lockouts or queued tasks.
    CACHES["pages"] = {
        **CACHES["default"],
        "LOCATION": env("REDIS_CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + "-pages",
    }
else:
    # One process, locally: rate limits and login lockouts (django-axes) live in its memory.
    # That is why axes warns (axes.W001); production runs several workers and needs REDIS_URL,
    # so the warning is silenced for local mode only and `check --deploy` keeps it.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
    }
    if DEBUG:
        SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# A full-text search lists at most this many of the newest matches, best match first.
SEARCH_MAX_RESULTS = env.int("SEARCH_MAX_RESULTS", default=1000)
# On PostgreSQL (IncidentQuerySet.search_hits): of a word with more matches than
# SEARCH_MAX_RESULTS, the newest SEARCH_RANKED are listed, looked for in the newest
# SEARCH_SCAN_ROWS incidents first. The newest SEARCH_RANKED matches are ranked, best first;
# the others follow, newest first.
SEARCH_SCAN_ROWS = env.int("SEARCH_SCAN_ROWS", default=3000)
SEARCH_RANKED = env.int("SEARCH_RANKED", default=200)

# Anonymous public pages (home, list, article, statistics, feeds) are kept whole in the
# cache above, keyed by a content version the incident services bump on every change
# (incidents.public_cache). The expiry only bounds a change missed while Redis was down.
PUBLIC_PAGE_CACHE = env.bool("PUBLIC_PAGE_CACHE", default=True)
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=300)
# ...and for this long in nginx's micro-cache (deploy/nginx; X-Accel-Expires): a burst of
# readers costs gunicorn one request a second per page. 0: nginx keeps nothing.
PUBLIC_PAGE_EDGE_SECONDS = env.int("PUBLIC_PAGE_EDGE_SECONDS", default=1)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL) or None
# Nothing configured: run tasks in-process so the local site needs no worker.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_TIMEZONE = "Europe/Kyiv"
# A broker outage must never turn a submission into an error page: fail fast, and let the
# outbox sweeper queue the row again later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged task (its worker died) goes back to the queue after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    # A broker that accepts connections and never answers holds a form post this long at
    # most, once: hotline.services.outbox then leaves rows to the sweeper for a while. (Above the
    # worker's 1 s BRPOP wait, which uses the same connection settings.)
    "socket_connect_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=2.0),
    "socket_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=2.0),
    # One connection attempt when publishing, not kombu's default of retrying for seconds
    # (2 s, then 4 s): with the broker down a form post would otherwise hang ~6 s per row.
    # The worker's own consumer reconnects with its own retry settings.
    "max_retries": 0,
}
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "hotline.tasks.sweep_outbox", "schedule": 60.0},
    # A complaint is "published" exactly while its incident is public (scheduled ones too).
    # Evidence held for a complaint form that was never sent: gone within the hour.
    "delete-expired-held-files": {
        "task": "hotline.tasks.delete_expired_held_files",
        "schedule": 600.0,
    },
    # Large uploads abandoned halfway (EVIDENCE_UPLOAD_EXPIRE_HOURS): rows and segments.
    "delete-abandoned-uploads": {
        "task": "hotline.tasks.delete_abandoned_uploads",
        "schedule": 1800.0,
    },
    # Scheduled articles that went live: listed in both languages and counted.
    "refresh-due-incidents": {"task": "incidents.tasks.refresh_due_incidents", "schedule": 60.0},
    # The counts rebuilt from the incidents once a night, whatever happened during the day.
    "rebuild-incident-counts": {
        "task": "incidents.tasks.rebuild_incident_counts",
        "schedule": crontab(hour=4, minute=7),
    },
    "sync-published-complaints": {
        "task": "hotline.tasks.sync_published_complaints",
        "schedule": 60.0,
    },
    "escalate-overdue": {"task": "hotline.tasks.escalate_overdue", "schedule": 60.0},
    "erase-personal-data": {
        "task": "hotline.tasks.erase_personal_data",
        "schedule": crontab(hour=3, minute=17),
    },
    # Cited pages to copy: new ones the wake-up missed, retries whose time came, re-checks.
    "archive-sources": {"task": "hotline.tasks.archive_sources", "schedule": 300.0},
    # What a worker killed in the middle of a page's body left in the vault (no copy names it).
    "delete-stray-source-files": {
        "task": "hotline.tasks.delete_stray_source_files",
        "schedule": crontab(hour=3, minute=47),
    },
}

# The largest request body read at all (the complaint form: 5 × 10 MB files plus text, and a
# margin). nginx in front refuses larger ones first (deploy/nginx, client_max_body_size).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=52 * 1024 * 1024)

# The proxy in front (nginx): its X-Forwarded-For is the client's address. Empty: nobody's
# is trusted. gunicorn trusts X-Forwarded-Proto from the same addresses (FORWARDED_ALLOW_IPS).
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])

# Who may read which part of the site is down on /health/ (asking the web server directly).
HEALTH_INTERNAL_NETWORKS = env.list("HEALTH_INTERNAL_NETWORKS", default=["127.0.0.0/8", "::1/128"])

# Run by incidents.services before an incident may become public; the hotline's consent rule
# lives in the hotline, and only this wiring names it.
INCIDENT_PUBLICATION_CHECKS = ["hotline.services.consent.check_incident_publication"]
# Who may publish an article held for naming a protected person (with a reason, audited).
PUBLICATION_CONFIRM_PERMISSION = "hotline.publish_naming_protected"

# --- The source archive: a copy of every cited page (hotline/services/sources.py) ----------
# Called with the incidents whose sources were written, once the writer's transaction commits.
SOURCE_ADDED_HOOKS = ["hotline.services.sources.queue_archive"]
# Fetch as soon as a source is added (and every five minutes, by beat). Off by default when
# Celery runs in-process (no broker): a page save must not wait for someone else's server.
SOURCE_ARCHIVE_AUTO = env.bool("SOURCE_ARCHIVE_AUTO", default=not CELERY_TASK_ALWAYS_EAGER)
# Private networks the fetcher may reach anyway ("10.1.2.0/24", "192.168.1.5:8080",
# "[fd00::5]:443"): an intranet mirror, a test's server. Empty: public addresses only.
SOURCE_ARCHIVE_ALLOW_PRIVATE = env.list("SOURCE_ARCHIVE_ALLOW_PRIVATE", default=[])
SOURCE_ARCHIVE_MAX_BYTES = env.int("SOURCE_ARCHIVE_MAX_MB", default=50) * 1024 * 1024
SOURCE_ARCHIVE_CONNECT_TIMEOUT = 10.0
SOURCE_ARCHIVE_READ_TIMEOUT = 30.0
SOURCE_ARCHIVE_DEADLINE = 120.0  # seconds for one whole fetch, redirects included
SOURCE_ARCHIVE_MAX_REDIRECTS = 5
# Failed fetches are tried again after 5 min, 10, 20 … (at most a day) up to this many
# times; a page copied is fetched again after SOURCE_ARCHIVE_RECHECK_DAYS.
SOURCE_ARCHIVE_MAX_ATTEMPTS = 8
SOURCE_ARCHIVE_RETRY_BASE_SECONDS = 300
SOURCE_ARCHIVE_RETRY_MAX_SECONDS = 24 * 60 * 60
SOURCE_ARCHIVE_RECHECK_DAYS = env.int("SOURCE_ARCHIVE_RECHECK_DAYS", default=30)

# --- Auth -------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "admin:index"
# Staff need a second factor (TOTP app or backup code) for the admin whenever DEBUG is off;
# TWO_FACTOR_REQUIRED=0 relaxes that on a developer's machine only.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=not DEBUG)
if not DEBUG and not TWO_FACTOR_REQUIRED:
    raise ImproperlyConfigured("TWO_FACTOR_REQUIRED cannot be switched off in production.")
# The QR code is drawn here, as SVG: the secret never leaves for a QR service.
TWO_FACTOR_QR_FACTORY = "qrcode.image.svg.SvgPathImage"
# No "remember this browser": every sign-in asks for the code.
TWO_FACTOR_REMEMBER_COOKIE_AGE = None
# The admin never shows a device's secret or anyone's backup codes, not even to superusers:
# a superuser removes a lost device, the owner enrols a new one.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end when the browser closes and after two idle hours at most: every request
# of a session that holds something moves its expiry on (empty sessions are never saved).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True

# Failed staff logins: five in a row for one account from one client lock that pair out for
# an hour. Counted in the cache only (Redis in production), under hashed keys, so no address
# is written to the database and none outlives the cool-off.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_STR_CALLABLE = "imi_portal.logs.axes_client_str"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time -----------------------------------------------------------------
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", _("Ukrainian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Kyiv"
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        # whitenoise's, writing the error pages for nginx too (imi_portal.error_pages).
        else "imi_portal.error_pages.SiteStaticStorage"
    },
}
# Locally, serve static files straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Evidence never lives under MEDIA_ROOT: it has no URL and is served only to staff.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private_media")
# The archive import's feed fetch (incidents/archive/fetch.py): at most this many bytes, and
# never a private or loopback address unless allowed (the tests' local server).
ARCHIVE_FETCH_MAX_BYTES = 500 * 1024 * 1024
ARCHIVE_FETCH_ALLOW_PRIVATE = False
# Uploads stay in memory, so that no evidence touches the disk before it is encrypted (no
# temporary files). The whole request is capped here: a complaint's 5 files of 10 MB and its
# text; a bigger body is read and dropped, and the form answers 413 (hotline.views).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 51 * 1024 * 1024

# Large evidence files (hotline.uploads, the tus protocol): sent in pieces of at most
# EVIDENCE_UPLOAD_CHUNK_BYTES (each encrypted as it arrives), up to EVIDENCE_UPLOAD_MAX_BYTES
# a file and EVIDENCE_CASE_QUOTA_BYTES for one case (its evidence plus what the session is
# still sending or holds). An upload left untouched for EVIDENCE_UPLOAD_EXPIRE_HOURS is
# deleted by a periodic job.
EVIDENCE_UPLOAD_MAX_BYTES = env.int("EVIDENCE_UPLOAD_MAX_BYTES", default=2 * 1024**3)
EVIDENCE_CASE_QUOTA_BYTES = env.int("EVIDENCE_CASE_QUOTA_BYTES", default=5 * 1024**3)
EVIDENCE_UPLOAD_CHUNK_BYTES = env.int("EVIDENCE_UPLOAD_CHUNK_BYTES", default=5 * 1024 * 1024)
EVIDENCE_UPLOAD_EXPIRE_HOURS = env.int("EVIDENCE_UPLOAD_EXPIRE_HOURS", default=24)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- The public API (/api/) -------------------------------------------------------------
# Read-only and public: no authentication at all, so every client is throttled as anonymous
# and no password can be tried through it.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["incidents.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_ANON_RATE", default="120/min")},
    # Clients are told apart by REMOTE_ADDR, as the hotline's rate limits do; set this to the
    # number of trusted proxies in front of the site to read X-Forwarded-For instead.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": None,
    # The API answers JSON for every error, an outage included (503), never an HTML page.
    "EXCEPTION_HANDLER": "incidents.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IMI Portal API",
    "DESCRIPTION": (
        "Read-only access to the published incidents of the barometer of violations of "
        "journalists' rights, filtered as on the site's incident list."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from this site's own static files: the docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would otherwise fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

PHONENUMBER_DEFAULT_REGION = "UA"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Mail -------------------------------------------------------------------------------
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    )
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="IMI Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- The portal ------------------------------------------------------------------------
HOTLINE_PHONE = env("HOTLINE_PHONE", default="+380504477063")
DONATE_URL = env("DONATE_URL", default="")
# Where "Leave this site quickly" on the hotline's pages goes: a neutral page (the Ukrainian
# weather service's), in place of the hotline page in the browser's history.
QUICK_EXIT_URL = env("QUICK_EXIT_URL", default="https://meteo.gov.ua/")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# "address" or "address|en": who is told of every new submission, in which language.
STAFF_NOTIFY_EMAILS = env.list("STAFF_NOTIFY_EMAILS", default=[])
STAFF_NOTIFY_LANGUAGE = env("STAFF_NOTIFY_LANGUAGE", default="uk")
# Who hears when an item is overdue; empty means the same people as above.
ESCALATION_EMAILS = env.list("ESCALATION_EMAILS", default=[])
NOTIFY_WEBHOOK_URL = env("NOTIFY_WEBHOOK_URL", default="")
NOTIFY_WEBHOOK_SECRET = env("NOTIFY_WEBHOOK_SECRET", default="")
if NOTIFY_WEBHOOK_URL and not NOTIFY_WEBHOOK_SECRET:
    raise ImproperlyConfigured("NOTIFY_WEBHOOK_URL needs NOTIFY_WEBHOOK_SECRET to sign with.")
NOTIFY_TIMEOUT_SECONDS = env.int("NOTIFY_TIMEOUT_SECONDS", default=10)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=30)
NOTIFY_RETRY_MAX_SECONDS = env.int("NOTIFY_RETRY_MAX_SECONDS", default=15 * 60)
NOTIFY_SWEEP_AFTER_SECONDS = env.int("NOTIFY_SWEEP_AFTER_SECONDS", default=60)
# Delivery counts as stuck (for `manage.py outbox_status`) past this age or any failure.
NOTIFY_STUCK_AFTER_SECONDS = env.int("NOTIFY_STUCK_AFTER_SECONDS", default=10 * 60)
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN", default="imi-portal.local")
# The timers of the duty desk (hotline.services.triage.due_at): past them an open item is overdue,
# sorts first and is escalated once per state through the outbox.
# A new callback request, or one an operator took: the first call within this time.
CALLBACK_ESCALATION_MINUTES = env.int("CALLBACK_ESCALATION_MINUTES", default=30)
# A second callback request for a number whose request of the last minutes still waits for
# its first call is the same request (Back, then Send again): no second row, no second alert.
CALLBACK_REPEAT_MINUTES = env.int("CALLBACK_REPEAT_MINUTES", default=10)
# After "no answer" or "busy" without a time from the operator: try again within this time.
CALLBACK_RETRY_MINUTES = env.int("CALLBACK_RETRY_MINUTES", default=60)
# A new complaint: someone looks at it (takes it to review) within this time.
COMPLAINT_ESCALATION_HOURS = env.int("COMPLAINT_ESCALATION_HOURS", default=4)
# A new complaint whose reporter (or the person they report for) is not safe now: a first look
# within this time, the shortest timer of the desk (hotline.checks says so if it is not).
COMPLAINT_URGENT_MINUTES = env.int("COMPLAINT_URGENT_MINUTES", default=15)
# A complaint under review or verification: verified (or not taken up) within this time.
COMPLAINT_VERIFICATION_DAYS = env.int("COMPLAINT_VERIFICATION_DAYS", default=5)
INCIDENTS_PER_PAGE = env.int("INCIDENTS_PER_PAGE", default=20)
# A list filtered in a way the count tables cannot answer is counted up to this many.
INCIDENTS_COUNT_MAX = env.int("INCIDENTS_COUNT_MAX", default=5000)
# Per client address (hashed, in the cache): form posts and tracking-code lookups.
RATE_LIMIT_CALLBACK = env("RATE_LIMIT_CALLBACK", default="10/h")
RATE_LIMIT_COMPLAINT = env("RATE_LIMIT_COMPLAINT", default="5/h")
RATE_LIMIT_TRACK = env("RATE_LIMIT_TRACK", default="20/h")
# Wrong tracking codes beginning with the same four symbols, from all addresses together (a
# guesser with many addresses); the right code always opens its case (hotline.views.TrackView).
RATE_LIMIT_TRACK_PREFIX = env("RATE_LIMIT_TRACK_PREFIX", default="60/h")
# Every try of a code of the first, 12-symbol kind (60 bits), per address: stricter.
RATE_LIMIT_TRACK_OLD = env("RATE_LIMIT_TRACK_OLD", default="10/h")
# Replies in one case inbox (a flood of replies would bury the staff's notifications).
RATE_LIMIT_REPLY = env("RATE_LIMIT_REPLY", default="30/h")
# The case inbox ends after this many minutes without a request.
CASE_INBOX_IDLE_MINUTES = env.int("CASE_INBOX_IDLE_MINUTES", default=15)
# Refused (invalid) form posts count apart, toward a much higher limit: only accepted
# submissions count toward RATE_LIMIT_CALLBACK / RATE_LIMIT_COMPLAINT.
RATE_LIMIT_REFUSED = env("RATE_LIMIT_REFUSED", default="60/h")

# Retention: personal data of finished items is erased after these many days (the item stays,
# with its date, category, region and status, for the statistics). A daily Celery beat job
# does it; `manage.py erase_personal_data --dry-run` shows what is due.
RETENTION_CALLBACK_DAYS = env.int("RETENTION_CALLBACK_DAYS", default=30)
RETENTION_COMPLAINT_DAYS = env.int("RETENTION_COMPLAINT_DAYS", default=365)

# --- Security ---------------------------------------------------------------------------
# No page ever tells another (or this) site where the reader came from. Browsers then send
# "Origin: null" with form posts; SameOriginFormPostMiddleware vouches for those the browser
# itself marks same-origin (Sec-Fetch-Site), and CSRF tokens are checked as always.
SECURE_REFERRER_POLICY = "no-referrer"
# Everything from this host only: no inline script or style, no plug-ins, no framing, forms
# post here only. data: images are Bootstrap's own inline SVG icons in its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        # The quick exit's form (without JavaScript) is answered with a redirect there.
        "form-action": [SELF, "{0.scheme}://{0.netloc}".format(urlsplit(QUICK_EXIT_URL))],
        "frame-ancestors": [NONE],
    },
}
# No page of ours needs a device or a tracker: the browser may not grant them to any page, or
# to anything a page might frame.
PERMISSIONS_POLICY = dict.fromkeys(
    [
        "accelerometer",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ],
    [],
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Who may frame the barometer's charts for other sites (/stats/embed/<chart>/, and those
# alone): any site by default, as partners cite them; a list of origins narrows it.
EMBED_FRAME_ANCESTORS = env.list("EMBED_FRAME_ANCESTORS", default=["*"])
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script of ours reads the token from the cookie (forms carry it in a hidden field), so no
# script may read the cookie at all.
CSRF_COOKIE_HTTPONLY = True
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Error reports never carry form contents, cookies or personal data (see imi_portal.logs).
DEFAULT_EXCEPTION_REPORTER_FILTER = "imi_portal.logs.NoPersonalDataReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "imi_portal.logs.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failed logins and lockouts are warnings; axes' start-up banner is not news.
        "axes": {"level": "WARNING"},
    },
}
