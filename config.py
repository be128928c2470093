"""Configuration, read from the environment when the app factory runs.

Every name here is part of the public contract (see README "Configuration").
A `.env` file in the working directory is loaded first when present.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int, name: str = "setting") -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError as exc:  # a typo in a deployment should say which variable is wrong
        raise RuntimeError(f"{name}: expected a whole number, got {value!r}") from exc


def _float(value: str | None, default: float, name: str = "setting") -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError as exc:
        raise RuntimeError(f"{name}: expected a number, got {value!r}") from exc


def normalise_database_url(url: str) -> str:
    """Accept plain `postgresql://` / `postgres://` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment, built from an environment mapping."""

    def __init__(self, environ: dict[str, str] | None = None):
        env = dict(os.environ if environ is None else environ)
        self.ENV_NAME = env.get("PANEL_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        instance = Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
        self.INSTANCE_PATH = str(instance)

        default_db = f"sqlite:///{instance / 'panel.sqlite3'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(env.get("DATABASE_URL") or default_db)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLITE_BUSY_TIMEOUT_MS = _int(env.get("SQLITE_BUSY_TIMEOUT_MS"), 30_000, "SQLITE_BUSY_TIMEOUT_MS")

        self.BASE_URL = (env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        #: Rate-limit counters: Redis when configured (shared by every machine), else an SQLite
        #: file in the instance folder shared by every process of this machine (never per process).
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or f"sqlite:///{instance / 'ratelimit.sqlite3'}"
        self.RATELIMIT_HEADERS_ENABLED = True

        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        # Each transport's standard port: implicit TLS 465, STARTTLS submission 587, plain 25.
        use_ssl, use_tls = _bool(env.get("MAIL_USE_SSL"), False), _bool(env.get("MAIL_USE_TLS"), False)
        default_port = 465 if use_ssl else 587 if use_tls else 25
        self.MAIL_PORT = _int(env.get("MAIL_PORT"), default_port, "MAIL_PORT")
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = _bool(env.get("MAIL_USE_TLS"), False)
        self.MAIL_USE_SSL = _bool(env.get("MAIL_USE_SSL"), False)
        self.MAIL_TIMEOUT = _int(env.get("MAIL_TIMEOUT"), 30, "MAIL_TIMEOUT")
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER") or "Panel registrations <noreply@localhost>"
        self.MAIL_OUTBOX_PATH = str(instance / "outbox")
        # Calendar invites and emails (see panel_app/mail/).
        #: Default (false): From: is MAIL_DEFAULT_SENDER's address under the organiser's name and
        #: Reply-To: the organiser, which passes DMARC whatever the organiser's domain publishes.
        #: True: From: the event's organiser (the invite's ORGANIZER) with Sender: MAIL_DEFAULT_SENDER,
        #: only for a relay allowed to send for the organiser's domain (SPF/DKIM).
        self.MAIL_FROM_ORGANISER = _bool(env.get("MAIL_FROM_ORGANISER"), False)
        #: Claims per message before it is marked failed (exponential backoff, 1 min to 1 h).
        self.MAIL_MAX_ATTEMPTS = _int(env.get("MAIL_MAX_ATTEMPTS"), 10, "MAIL_MAX_ATTEMPTS")
        #: Reminders before each event, in hours ("24,1"; empty turns reminders off).
        self.REMINDER_OFFSETS_HOURS = env.get("REMINDER_OFFSETS_HOURS", "24,1")

        self.ZOOM_ACCOUNT_ID = env.get("ZOOM_ACCOUNT_ID") or None
        self.ZOOM_CLIENT_ID = env.get("ZOOM_CLIENT_ID") or None
        self.ZOOM_CLIENT_SECRET = env.get("ZOOM_CLIENT_SECRET") or None
        self.ZOOM_WEBHOOK_SECRET_TOKEN = env.get("ZOOM_WEBHOOK_SECRET_TOKEN") or None
        self.ZOOM_API_BASE_URL = (env.get("ZOOM_API_BASE_URL") or "https://api.zoom.us/v2").rstrip("/")
        self.ZOOM_OAUTH_TOKEN_URL = env.get("ZOOM_OAUTH_TOKEN_URL") or "https://zoom.us/oauth/token"
        # Client pacing: stay just under Zoom's per-second limit for the account's plan.
        self.ZOOM_REQUESTS_PER_SECOND = _float(env.get("ZOOM_REQUESTS_PER_SECOND"), 9.5, "ZOOM_REQUESTS_PER_SECOND")
        self.ZOOM_HTTP_TIMEOUT = _float(env.get("ZOOM_HTTP_TIMEOUT"), 10.0, "ZOOM_HTTP_TIMEOUT")
        self.ZOOM_MAX_RETRIES = _int(env.get("ZOOM_MAX_RETRIES"), 4, "ZOOM_MAX_RETRIES")
        self.ZOOM_RETRY_BASE_DELAY = _float(env.get("ZOOM_RETRY_BASE_DELAY"), 0.5, "ZOOM_RETRY_BASE_DELAY")

        # Job queue: Huey on Redis when REDIS_URL is set, else a SQLite file in the instance folder.
        self.HUEY_SQLITE_PATH = str(instance / "queue.sqlite3")
        self.HUEY_IMMEDIATE = _bool(env.get("HUEY_IMMEDIATE"), False)
        #: Queue name (Redis key prefix); give each deployment sharing one Redis its own name.
        self.HUEY_NAME = env.get("HUEY_NAME") or "panel"

        # Operations and security.
        #: Prefix of rate-limit keys in Redis, so several deployments can share one Redis.
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX") or self.HUEY_NAME
        #: A Redis outage must not take the site down: limits fail open and the error is logged.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_LOGIN = env.get("RATELIMIT_LOGIN") or "10 per minute"
        #: Zoom webhook requests that FAIL verification, per address; Zoom's signed notifications are
        #: never limited (Zoom sends from few addresses, and a lost join is lost attendance).
        self.RATELIMIT_WEBHOOK = env.get("RATELIMIT_WEBHOOK") or "60 per minute"
        self.RATELIMIT_ERASE = env.get("RATELIMIT_ERASE") or "10 per minute"
        #: Registration form submissions per client address (reading the form is not limited).
        self.RATELIMIT_REGISTER = env.get("RATELIMIT_REGISTER") or "30 per minute"
        #: Follow-up questionnaire submissions per client address (reading it is not limited).
        self.RATELIMIT_FOLLOW_UP = env.get("RATELIMIT_FOLLOW_UP") or "20 per minute"
        #: Number of trusted proxies in front of the app (load balancer, nginx) for each
        #: X-Forwarded-* header; 0 = served directly, forwarded headers are ignored.
        self.PROXY_FIX_X_FOR = _int(env.get("PROXY_FIX_X_FOR"), 0, "PROXY_FIX_X_FOR")
        self.PROXY_FIX_X_PROTO = _int(env.get("PROXY_FIX_X_PROTO"), self.PROXY_FIX_X_FOR, "PROXY_FIX_X_PROTO")
        self.PROXY_FIX_X_HOST = _int(env.get("PROXY_FIX_X_HOST"), 0, "PROXY_FIX_X_HOST")
        self.PROXY_FIX_X_PREFIX = _int(env.get("PROXY_FIX_X_PREFIX"), 0, "PROXY_FIX_X_PREFIX")
        #: HSTS max-age in seconds, sent only when BASE_URL is https (0 turns it off).
        self.HSTS_MAX_AGE = _int(env.get("HSTS_MAX_AGE"), 31_536_000, "HSTS_MAX_AGE")
        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        #: "json" (one object per line, for log shippers) or "text"; json by default in production.
        self.LOG_FORMAT = (env.get("LOG_FORMAT") or ("json" if self.ENV_NAME == "production" else "text")).lower()
        #: Personal data is erased this many days after an event ends (0 = never automatically).
        self.RETENTION_DAYS = _int(env.get("RETENTION_DAYS"), 90, "RETENTION_DAYS")

        self.PRIVACY_NOTICE_VERSION = env.get("PRIVACY_NOTICE_VERSION") or "2026-11"
        self.DEFAULT_TIMEZONE = env.get("DEFAULT_TIMEZONE") or "Europe/Zurich"
        self.MAX_CONTENT_LENGTH = _int(env.get("MAX_CONTENT_LENGTH"), 1024 * 1024, "MAX_CONTENT_LENGTH")
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit
        #: Private pages send `Referrer-Policy: no-referrer`, so their form posts carry no
        #: Referer for Flask-WTF's HTTPS referrer check; panel_app/security.py refuses posts
        #: whose Origin or Referer names another site instead, and the token does the rest.
        self.WTF_CSRF_SSL_STRICT = False
        #: Console sign-ins end after this many minutes without a request...
        self.SESSION_IDLE_MINUTES = _int(env.get("SESSION_IDLE_MINUTES"), 30, "SESSION_IDLE_MINUTES")
        #: ...and this many hours after signing in, whatever happens.
        self.SESSION_MAX_HOURS = _int(env.get("SESSION_MAX_HOURS"), 12, "SESSION_MAX_HOURS")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.BASE_URL.startswith("https://")
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "panel_app" / "translations")
        from panel_app.core.languages import CODES  # here, not at the top: panel_app imports config

        self.LANGUAGES = CODES
        self.TESTING = False
        self._organisation(env, CODES)
        self._api(env)

    def _organisation(self, env: dict[str, str], codes: tuple[str, ...]) -> None:
        """Organisation identity (panel_app/organisation): the defaults the console's
        settings page (/admin/settings) overrides. See README "Organisation identity"."""
        from panel_app.organisation.colours import DEFAULT_COLOUR, check_brand_colour

        #: Name in the default language; ORGANISATION_NAME_FR / _ES give it in other languages.
        self.ORGANISATION_NAME = (env.get("ORGANISATION_NAME") or "").strip()
        self.ORGANISATION_NAMES = {code: (env.get(f"ORGANISATION_NAME_{code.upper()}") or "").strip()
                                   for code in codes}
        self.ORGANISATION_SHORT_NAME = (env.get("ORGANISATION_SHORT_NAME") or "").strip()
        self.ORGANISATION_CONTACT_EMAIL = (env.get("ORGANISATION_CONTACT_EMAIL") or "").strip()
        self.ORGANISATION_WEBSITE = (env.get("ORGANISATION_WEBSITE") or "").strip()
        #: A PNG or JPEG file (a relative path is read from the instance folder).
        self.ORGANISATION_LOGO = (env.get("ORGANISATION_LOGO") or "").strip()
        colour = (env.get("ORGANISATION_COLOUR") or DEFAULT_COLOUR).strip()
        problem = check_brand_colour(colour)
        if problem:
            raise RuntimeError(f"ORGANISATION_COLOUR: {problem}")
        self.ORGANISATION_COLOUR = colour.lower()
        #: The privacy notice's data controller (default: the organisation) and its postal address.
        self.DATA_CONTROLLER_NAME = (env.get("DATA_CONTROLLER_NAME") or "").strip()
        self.DATA_CONTROLLER_ADDRESS = (env.get("DATA_CONTROLLER_ADDRESS") or "").strip()
        #: Who runs the SMTP relay, named in the privacy notice (default: the MAIL_SERVER host).
        self.PRIVACY_MAIL_PROCESSOR = (env.get("PRIVACY_MAIL_PROCESSOR") or self.MAIL_SERVER or "").strip()
        #: At most one "your details again" email per registration in this many minutes.
        self.DETAILS_RESEND_MINUTES = _int(env.get("DETAILS_RESEND_MINUTES"), 60, "DETAILS_RESEND_MINUTES")
        #: Repeat registrations accepted per email address (any event), on top of RATELIMIT_REGISTER.
        self.RATELIMIT_REGISTER_EMAIL = env.get("RATELIMIT_REGISTER_EMAIL") or "5 per hour"

    def _api(self, env: dict[str, str]) -> None:
        """The JSON API and outgoing webhooks (panel_app/api). See README "API"."""
        #: Requests per API token (tokens are not shared between integrations).
        self.API_RATE_LIMIT = env.get("API_RATE_LIMIT") or "600 per minute"
        #: Webhook endpoints on private, loopback or link-local addresses: refused in production
        #: (an admin must not make the server call its own network), allowed elsewhere.
        self.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = _bool(env.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES"),
                                                     self.ENV_NAME != "production")
        #: Attempts per delivery before it is marked failed (backoff from 30 s to 6 h: about 2 days).
        self.WEBHOOK_MAX_ATTEMPTS = _int(env.get("WEBHOOK_MAX_ATTEMPTS"), 15, "WEBHOOK_MAX_ATTEMPTS")
        #: Seconds to wait for a receiver's answer (it should answer at once and work later).
        self.WEBHOOK_TIMEOUT = _float(env.get("WEBHOOK_TIMEOUT"), 10.0, "WEBHOOK_TIMEOUT")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def load_config(environ: dict[str, str] | None = None) -> Config:
    """Settings from `environ` (default: the process environment).

    One class serves every environment: what differs (`PANEL_ENV=production` refuses to
    start without SECRET_KEY, JSON logs by default) is decided from the values themselves.
    """
    return Config(dict(os.environ if environ is None else environ))
