"""App-wide hardening: security headers, proxy awareness and rate limits on sensitive endpoints.

Applied centrally from `create_app`, after the blueprints are registered:

* every response carries a strict Content-Security-Policy (no inline script or style:
  templates keep JS and CSS in `static/`, and `tests/security` scans the templates so a
  page can never be broken by the policy), plus the usual companion headers;
* behind a load balancer, `PROXY_FIX_X_FOR`/`..._X_PROTO` tell Werkzeug how many proxies to
  trust, so rate limits see the visitor's address and URLs use the public scheme;
* rate limits: views that need one say so with `@rate_limit("RATELIMIT_<NAME>")`, the
  limit read from config by that name (login, registration, erasure). The limiter stores
  counters in Redis when `REDIS_URL` is set, so limits hold across every web process. (The
  Zoom webhook counts only requests that fail verification, in `zoom/webhooks.py`: Zoom's own
  notifications are never limited.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from panel_app.extensions import limiter

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
PRIVATE_PREFIXES = ("/registrations/", "/admin", "/privacy/")


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


def init_app(app: Flask) -> None:
    """Install proxy handling and security headers on `app` (views carry their own rate limits)."""
    _install_proxy_fix(app)
    app.after_request(security_headers)


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
    # same-origin, not no-referrer: Flask-WTF's strict HTTPS CSRF check needs the Referer of
    # same-site form posts, while private links never leak to other sites (Zoom, calendars).
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


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
    if request.path.startswith(PRIVATE_PREFIXES) and "cache-control" not in present:
        missing.append(("Cache-Control", "no-store"))
    headers.extend(missing)
    return response
