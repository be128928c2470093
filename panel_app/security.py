"""App-wide hardening: security headers, proxy awareness and rate limits on sensitive endpoints.

Applied centrally from `create_app`, after the blueprints are registered:

* every response carries a strict Content-Security-Policy (no inline script or style:
  templates keep JS and CSS in `static/`, and `tests/security` scans the templates so a
  page can never be broken by the policy), plus the usual companion headers;
* behind a load balancer, `PROXY_FIX_X_FOR`/`..._X_PROTO` tell Werkzeug how many proxies to
  trust, so rate limits see the visitor's address and URLs use the public scheme;
* rate limits: views that need one say so with `@rate_limit("RATELIMIT_<NAME>")`, the
  limit read from config by that name (login, registration, erasure). The limiter stores
  counters in Redis when `REDIS_URL` is set, else in an SQLite file in the instance folder,
  so limits hold across every web process. (The Zoom webhook counts only requests that fail
  verification, in `zoom/webhooks.py`: Zoom's own notifications are never limited.)
* request guards: a chunked body larger than `MAX_CONTENT_LENGTH` gets 413 like any other
  (Werkzeug would cut it silently), text that no database can store (NUL, UTF-16
  surrogate halves) never reaches one (a 400 page instead, whatever path it came by), and
  a form post whose Origin or Referer names another site is refused.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.http import parse_set_header
from werkzeug.middleware.proxy_fix import ProxyFix

from panel_app.core.errors import RefusedInput, UnstorableInput
from panel_app.extensions import db, limiter

#: No 'unsafe-inline' anywhere: injected markup cannot run script or restyle the page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ]
)

#: The browser features a registration site never needs.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"

#: Paths whose pages are personal (private token in the URL, or the organiser console):
#: never stored by browsers or shared caches.
PRIVATE_PREFIXES = ("/registrations/", "/admin", "/privacy/", "/follow-up/")


@functools.cache
def _limit_from_config(setting: str) -> Callable[[], str]:
    """A provider reading `setting` (e.g. "RATELIMIT_LOGIN") from the current app's config.

    One provider per setting for the whole process: Flask-Limiter deduplicates equal limits,
    so building several apps in one process (tests) never double-counts a request.
    """

    def provider() -> str:
        return current_app.config[setting]

    provider.__name__ = f"limit_{setting.lower()}"
    return provider


def rate_limit(setting: str, *, methods: tuple[str, ...] = ("POST",)):
    """View decorator: limit requests per client address to the value of config `setting`.

    The one way views get a rate limit: the limit is read from config when a request comes,
    so a deployment changes it by environment variable. `methods` are the ones counted
    (reading a form stays free while its submissions are limited).
    """
    return limiter.limit(_limit_from_config(setting), methods=list(methods))


#: Paths that check their own input and answer in their own format (Zoom's signed JSON).
OWN_INPUT_RULES = ("/webhooks/",)
#: What no text sent to the database may carry: NUL (PostgreSQL text cannot hold it) and
#: UTF-16 surrogate halves (no UTF-8 form).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def init_app(app: Flask) -> None:
    """Install proxy handling, request guards and security headers on `app` (views carry their own rate limits)."""
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config)
    _install_proxy_fix(app)
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", refuse_unstorable_parameters)
    app.before_request(refuse_cross_site_posts)
    app.after_request(security_headers)


class ChunkedBodyLimit:
    """WSGI middleware: a chunked request body counts against `MAX_CONTENT_LENGTH` too.

    Without a Content-Length, Werkzeug reads a chunked body only up to MAX_CONTENT_LENGTH
    and quietly drops the rest, so an oversized form would arrive cut instead of getting
    413. This reads such a body up to one byte past the limit and hands the app a body of
    known length: the whole body when it fits, or one that Werkzeug answers with 413 exactly
    as it answers an oversized Content-Length (Werkzeug docs, `get_input_stream`:
    https://werkzeug.palletsprojects.com/en/stable/wsgi/#werkzeug.wsgi.get_input_stream).
    """

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        limit = self.config.get("MAX_CONTENT_LENGTH")
        chunked = "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING"))
        if limit is not None and chunked:  # a Content-Length beside it means nothing (RFC 9112, 6.3)
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            # From here on the body is a plain one of known length (the server has removed
            # the chunk framing); Werkzeug ignores Content-Length while Transfer-Encoding says chunked.
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    parts, left = [], size
    while left > 0:
        part = stream.read(min(left, 65536))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _unstorable(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if depth < 3 and isinstance(value, (list, tuple)):
        return any(_unstorable(item, depth + 1) for item in value)
    if depth < 3 and isinstance(value, dict):
        return any(_unstorable(item, depth + 1) for item in value.values())
    return False


def refuse_unstorable_parameters(conn, cursor, statement, parameters, context, executemany) -> None:
    """SQLAlchemy `before_cursor_execute` hook: no statement is sent with a NUL or a surrogate
    half in its parameters; `UnstorableInput` (a 400 page) is raised instead.

    Forms check their own fields and answer with their own messages first; this is the
    backstop for every other way text reaches the database (an address, a query parameter,
    a field a form does not check), on SQLite exactly as on PostgreSQL, which would refuse
    the NUL with an error (a 500) and cannot encode the surrogate at all.
    """
    if _unstorable(parameters):
        raise UnstorableInput()


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def refuse_cross_site_posts() -> None:
    """A form post whose Origin or Referer header names another site is refused (400).

    Flask-WTF's own HTTPS check (WTF_CSRF_SSL_STRICT) also demands a Referer, which the
    private pages' `no-referrer` policy withholds (and then browsers send `Origin: null`:
    Fetch standard, "Origin header": https://fetch.spec.whatwg.org/#origin-header). So a
    missing or null origin is left to the CSRF token, and a foreign one is refused here.
    """
    if request.method not in _BODY_METHODS or request.path.startswith(OWN_INPUT_RULES):
        return
    # This site as the request reached it, and as the public knows it (a proxy in front may
    # present another scheme or host when PROXY_FIX_* is not set).
    ours = {_origin(request.host_url), _origin(current_app.config["BASE_URL"])}
    origin = request.headers.get("Origin")
    referrer = request.headers.get("Referer")
    foreign = (origin and origin != "null" and _origin(origin) not in ours) or (
        referrer and _origin(referrer) not in ours | {None})
    if foreign:
        raise RefusedInput(_("This form was sent from another site, so it was not accepted. Open the page on "
                             "this site and send the form from there."))


def _install_proxy_fix(app: Flask) -> None:
    hops = {name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0)
            for name in ("for", "proto", "host", "prefix")}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"], x_host=hops["host"], x_prefix=hops["prefix"]
        )


#: Headers every response gets unless the view set its own value first.
_DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
#: Public pages tell this site where a visitor came from; private pages (a private token in
#: the URL, or the console) tell no one, this site included.
PUBLIC_REFERRER_POLICY = "same-origin"
PRIVATE_REFERRER_POLICY = "no-referrer"


def security_headers(response: Response) -> Response:
    """Add the security headers to every response (views may set stricter ones first)."""
    headers = response.headers
    # One pass over the existing names instead of a setdefault per header: Werkzeug's
    # Headers lookups are linear scans, and this hook runs on every response.
    present = {name.lower() for name, _ in headers.items()}
    missing = [(name, value) for name, value in _DEFAULT_HEADERS if name.lower() not in present]
    config = current_app.config
    https = config["BASE_URL"].startswith("https://")
    if https and config.get("HSTS_MAX_AGE") and "strict-transport-security" not in present:
        missing.append(("Strict-Transport-Security", f"max-age={int(config['HSTS_MAX_AGE'])}"))
    private = request.path.startswith(PRIVATE_PREFIXES)
    if private and "cache-control" not in present:
        missing.append(("Cache-Control", "no-store"))
    if private:
        headers["Referrer-Policy"] = PRIVATE_REFERRER_POLICY  # never weaker, whatever a view set
    elif "referrer-policy" not in present:
        missing.append(("Referrer-Policy", PUBLIC_REFERRER_POLICY))
    headers.extend(missing)
    return response
