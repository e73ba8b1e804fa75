"""The one settings module. Every value that differs between machines comes from the environment.

A developer checkout reads ``.env`` (made by ``make .env``) into the environment first; a
deployment sets real environment variables and has no ``.env``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from xinfang.core.env import env_bool, env_int, env_list, env_str, load_env_file

django_stubs_ext.monkeypatch()  # lets forms.ModelChoiceField[Region] etc. subscript at run time

BASE_DIR = Path(__file__).resolve().parent.parent
load_env_file(Path(os.environ.get("XF_ENV_FILE", BASE_DIR / ".env")))

PRODUCTION = env_str("XF_ENV", "dev") == "production"
DEBUG = env_bool("XF_DEBUG", default=False)
SECRET_KEY = env_str("XF_SECRET_KEY")
ALLOWED_HOSTS = env_list("XF_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
VAR_DIR = Path(env_str("XF_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite database, task queue, attachments

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "xinfang.core",
    "xinfang.accounts",
    "xinfang.audit",
    "xinfang.cases",
    "xinfang.documents",
    "xinfang.portal",
    "xinfang.api",
    "xinfang.ops",
    "xinfang.search",
    "xinfang.ledger",
    "xinfang.exports",
    "xinfang.stats",
    "xinfang.supervision",
    "xinfang.batches",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xinfang.core.middleware.RequestContextMiddleware",
    "xinfang.core.middleware.SecurityHeadersMiddleware",
    # Before the session: an overloaded process turns a request away (503) before any query.
    "xinfang.core.overload.OverloadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages, in this order: an expired session is signed out before anything
    # else; a signed-in session owes its second factor; then an expired password is changed.
    "xinfang.accounts.middleware.SessionLimitsMiddleware",
    "xinfang.accounts.middleware.SecondFactorMiddleware",
    "xinfang.accounts.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "xinfang.urls"
WSGI_APPLICATION = "xinfang.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "xinfang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xinfang.core.context_processors.navigation",
                "xinfang.stats.context_processors.navigation",
                "xinfang.search.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL 15+ through DATABASE_URL for production and scale.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xinfang.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("XF_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Durability first: WAL with synchronous=FULL survives power loss; IMMEDIATE transactions
    # take the write lock at BEGIN so two writers queue instead of failing with "locked", and
    # xinfang.core.sqlite queues them on a file lock first (no busy-handler sleeps).
    DATABASES["default"]["ENGINE"] = "xinfang.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;PRAGMA temp_store=MEMORY"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file too (one per xdist worker): an in-memory database cannot run WAL.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# models.W040: "SQLite does not support indexes with non-key columns". The one such index
# (cases.Case ``case_received_at`` with ``INCLUDE (id)``) is for PostgreSQL, whose indexes hold
# no id unless told; SQLite's hold the rowid already, so the ignored column is not missed.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Task queue -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("XF_REDIS_URL", "")
HUEY: dict[str, Any] = {
    "name": "xinfang",
    "immediate": env_bool("XF_TASKS_IMMEDIATE", default=False),
    "utc": True,
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "tasks.sqlite3")})

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {
        # Contains the username, full name or six digits of an ID number; then Django's
        # similarity test over the same attributes.
        "NAME": "xinfang.accounts.passwords.PersonalDataValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "xinfang.accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
    {"NAME": "xinfang.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"history": 5}},
]
XF_PASSWORD_MAX_AGE_DAYS = env_int("XF_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0: never expires
# Lockout: failures per account name and per source address within the lock period.
XF_LOGIN_MAX_FAILURES = env_int("XF_LOGIN_MAX_FAILURES", 5, minimum=3, maximum=5)
XF_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("XF_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=5)
XF_LOGIN_LOCK_MINUTES = env_int("XF_LOGIN_LOCK_MINUTES", 30, minimum=30)
XF_TOTP_ISSUER = env_str("XF_TOTP_ISSUER", "信访事项办理系统")
SESSION_ENGINE = "xinfang.accounts.sessions"  # DB sessions with the account id beside each row
SESSION_COOKIE_AGE = env_int("XF_SESSION_IDLE_SECONDS", 30 * 60, minimum=60, maximum=30 * 60)
# Enforced by SessionLimitsMiddleware from timestamps in the session, not by the cookie.
XF_SESSION_IDLE_ADMIN_SECONDS = env_int(
    "XF_SESSION_IDLE_ADMIN_SECONDS", 15 * 60, minimum=60, maximum=15 * 60
)
XF_SESSION_ABSOLUTE_SECONDS = env_int(
    "XF_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=600, maximum=12 * 3600
)
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout: every request pushes expiry forward
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "xinfang.core.views.csrf_failure"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("XF_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Requests and uploads -------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ATTACHMENT_DIR = Path(env_str("XF_ATTACHMENT_DIR", str(VAR_DIR / "attachments")))
ATTACHMENT_MAX_BYTES = env_int("XF_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
ATTACHMENTS_PER_CASE = env_int("XF_ATTACHMENTS_PER_CASE", 50, minimum=1)
# Ledger import (台账导入): the largest file and the most data rows one import takes.
XF_LEDGER_MAX_BYTES = env_int("XF_LEDGER_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
XF_LEDGER_MAX_ROWS = env_int("XF_LEDGER_MAX_ROWS", 200_000, minimum=10)
# Days a sealed upload is kept for the rejected-rows download (and an abandoned upload at all).
XF_LEDGER_KEEP_DAYS = env_int("XF_LEDGER_KEEP_DAYS", 7, minimum=1, maximum=90)

# Bulk export of personal data (SECURITY.md 12): hours an approval lasts, cases one export takes.
XF_EXPORT_VALID_HOURS = env_int("XF_EXPORT_VALID_HOURS", 24, minimum=1, maximum=168)
XF_EXPORT_MAX_ROWS = env_int("XF_EXPORT_MAX_ROWS", 20_000, minimum=1)

# --- Overload (SECURITY.md 29): requests one process works on at once, and how long one may
# wait for a slot before it is answered 503 "系统繁忙" (gunicorn.conf.py sizes the processes).
XF_MAX_CONCURRENT_REQUESTS = env_int("XF_MAX_CONCURRENT_REQUESTS", 4, minimum=1)
XF_OVERLOAD_WAIT_MS = env_int("XF_OVERLOAD_WAIT_MS", 2000, minimum=0)

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "xinfang" / "locale"]
TIME_ZONE = env_str("XF_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files: served by WhiteNoise from the collected folder, never from a CDN ---------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns (an error under tests) when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Front-end libraries come from the npm registry at set-up (`make vendor`: `npm ci` against
# package-lock.json's hashes) into node_modules/, which is not committed; served from here.
NODE_MODULES = Path(env_str("XF_NODE_MODULES", str(BASE_DIR / "node_modules")))
STATICFILES_DIRS = [
    (f"vendor/{package}", NODE_MODULES / package / "dist")
    for package in ("chart.js",)
    if (NODE_MODULES / package / "dist").is_dir()
]

# --- Product configuration ------------------------------------------------------------------
XF_PI_KEYS = env_str("XF_PI_KEYS")
XF_BLIND_INDEX_KEY = env_str("XF_BLIND_INDEX_KEY")
XF_AUDIT_KEY = env_str("XF_AUDIT_KEY")
XF_COLLECTIVE_THRESHOLD = env_int("XF_COLLECTIVE_THRESHOLD", 5, minimum=2)
XF_MAX_REPRESENTATIVES = env_int("XF_MAX_REPRESENTATIVES", 5, minimum=1)
XF_PAGE_SIZE = env_int("XF_PAGE_SIZE", 50, minimum=10)
# Workflow (issue 3): warning tiers, re-transfer limit, the 终结 reasons an office offers.
XF_DUE_NEAR_DAYS = env_int("XF_DUE_NEAR_DAYS", 3, minimum=0)
XF_DUE_SEVERE_DAYS = env_int("XF_DUE_SEVERE_DAYS", 15, minimum=1)
XF_DUE_SOON_DAYS = env_int("XF_DUE_SOON_DAYS", 7, minimum=1)
XF_MAX_TRANSFERS = env_int("XF_MAX_TRANSFERS", 3, minimum=1)
# 协办 units a 转送/交办 may name besides the 主办 (0: none).
XF_MAX_COOPERATING_UNITS = env_int("XF_MAX_COOPERATING_UNITS", 3, minimum=0, maximum=20)
XF_TERMINATION_REASONS = env_list(
    "XF_TERMINATION_REASONS",
    [
        "recheck_served",
        "window_lapsed",
        "settlement_performed",
        "legal_procedure_ended",
        "petitioner_gone",
        "other_legal_basis",
    ],
)
XF_RULE_JURISDICTION = env_str("XF_RULE_JURISDICTION", "national")
# Portal (网上信访, issue 5): where online petitions land, the evaluation scale and window,
# and the lock-out against guessing 查询码.
XF_PORTAL_OFFICE = env_str("XF_PORTAL_OFFICE", "")  # unit code; empty: the root petition office
XF_EVALUATION_SCALE = env_list("XF_EVALUATION_SCALE", ["满意", "基本满意", "不满意"])
XF_EVALUATION_WINDOW_DAYS = env_int("XF_EVALUATION_WINDOW_DAYS", 30, minimum=1)
XF_EVALUATION_CHANGE = env_bool("XF_EVALUATION_CHANGE", default=True)
XF_PORTAL_MAX_FAILURES_PER_CASE = env_int("XF_PORTAL_MAX_FAILURES_PER_CASE", 5, minimum=3)
XF_PORTAL_MAX_FAILURES_PER_ADDRESS = env_int("XF_PORTAL_MAX_FAILURES_PER_ADDRESS", 20, minimum=5)
XF_PORTAL_LOCK_MINUTES = env_int("XF_PORTAL_LOCK_MINUTES", 30, minimum=5)
# Statistics (issue 6): what the rates count; each formula is shown on the page (README).
XF_STATS_SATISFIED_RATINGS = env_list("XF_STATS_SATISFIED_RATINGS", ["满意", "基本满意"])
XF_STATS_EVALUATION_TARGET = env_str("XF_STATS_EVALUATION_TARGET", "organ")  # or office
XF_STATS_HANDLING_DONE = env_str("XF_STATS_HANDLING_DONE", "served")  # or replied
XF_STATS_RATES = env_list("XF_STATS_RATES", [])  # overrides: rate=numerator/denominator
# Read the statistics from the precomputed daily counts where they answer exactly (stats.models)
XF_STATS_ROLLUP = env_bool("XF_STATS_ROLLUP", default=True)
for _name, _value, _allowed in (
    ("XF_STATS_EVALUATION_TARGET", XF_STATS_EVALUATION_TARGET, ("organ", "office")),
    ("XF_STATS_HANDLING_DONE", XF_STATS_HANDLING_DONE, ("served", "replied")),
):
    if _value not in _allowed:
        raise ImproperlyConfigured(f"{_name}={_value!r}: use one of {', '.join(_allowed)}")
if not set(XF_STATS_SATISFIED_RATINGS) <= set(XF_EVALUATION_SCALE):
    raise ImproperlyConfigured("XF_STATS_SATISFIED_RATINGS must be ratings of XF_EVALUATION_SCALE")

# Supervision (督办, issue 4): the written answer's limit (条例第四十条: 30 days), the nightly
# rules and their thresholds (README "Supervision"); e-mail for notifications when a host is set.
XF_SUPERVISION_ANSWER_DAYS = env_int("XF_SUPERVISION_ANSWER_DAYS", 30, minimum=1, maximum=365)
XF_SUPERVISION_NO_FEEDBACK_DAYS = env_int("XF_SUPERVISION_NO_FEEDBACK_DAYS", 30, minimum=1)
XF_SUPERVISION_EXECUTION_DAYS = env_int("XF_SUPERVISION_EXECUTION_DAYS", 60, minimum=1)
XF_SUPERVISION_SEND_BACKS = env_int("XF_SUPERVISION_SEND_BACKS", 2, minimum=2)
XF_SUPERVISION_RULES = env_list(
    "XF_SUPERVISION_RULES", ["overdue", "no_feedback", "not_executed", "sent_back"]
)
if not set(XF_SUPERVISION_RULES) <= {"overdue", "no_feedback", "not_executed", "sent_back"}:
    raise ImproperlyConfigured(
        "XF_SUPERVISION_RULES: use overdue, no_feedback, not_executed, sent_back"
    )
EMAIL_HOST = env_str("XF_EMAIL_HOST", "")  # empty: notifications stay inside the system
EMAIL_PORT = env_int("XF_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("XF_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("XF_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("XF_EMAIL_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("XF_EMAIL_FROM", "xinfang@localhost")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"safe": {"()": "xinfang.core.logging.SafeLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["safe"]}
    },
    "root": {"handlers": ["console"], "level": env_str("XF_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
