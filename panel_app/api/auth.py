"""Who is calling: `Authorization: Bearer <token>` on every API request, scope, rate limit.

The Bearer scheme and its WWW-Authenticate challenge follow "The OAuth 2.0 Authorization
Framework: Bearer Token Usage", RFC 6750 sections 2.1 and 3:
https://www.rfc-editor.org/rfc/rfc6750
Reads need a token of either scope; anything else needs scope "write". The rate limit
(API_RATE_LIMIT, e.g. "600 per minute") counts per token, in Redis when REDIS_URL is set,
so it holds across every web process; requests without a token count per client address.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from panel_app.api import tokens
from panel_app.api.problems import Problem
from panel_app.extensions import db, limiter
from panel_app.models import ApiToken, utcnow

READ_METHODS = ("GET", "HEAD", "OPTIONS")
REALM = 'Bearer realm="api"'


def presented_token() -> str | None:
    """The token in the Authorization header, or None when there is no Bearer credential."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> dict:
    parts = [REALM]
    if error:
        parts.append(f'error="{error}"')
    if scope:
        parts.append(f'scope="{scope}"')
    if description:
        parts.append(f'error_description="{description}"')
    return {"WWW-Authenticate": ", ".join(parts)}


_REFUSALS = {
    "unknown": ("unknown token", lambda: _("This token is not known: check it was copied whole.")),
    "expired": ("token expired", lambda: _("This token has expired: ask an administrator for a new one.")),
    "revoked": ("token revoked", lambda: _("This token was revoked: ask an administrator for a new one.")),
}


def authenticate_request() -> None:
    """Blueprint `before_request`: find the token, check its scope, note its use.

    Raises a 401 or 403 problem. The token row is kept on `g.api_token` for the views (the
    audit log names it as the actor of every write).
    """
    if request.method == "OPTIONS":
        return
    presented = presented_token()
    if presented is None:
        raise Problem(401, "unauthenticated", _("Send an API token: Authorization: Bearer <token>."),
                      headers=_challenge())
    now = utcnow()
    try:
        token = tokens.authenticate(db.session, presented, now=now)
    except tokens.TokenRefused as exc:
        description, detail = _REFUSALS[exc.reason]
        raise Problem(401, "unauthenticated", detail(), headers=_challenge("invalid_token", description),
                      extra={"reason": exc.reason}) from None
    if request.method not in READ_METHODS and not token.can_write:
        raise Problem(403, "insufficient-scope", _("This token may only read: writing needs a read and write token."),
                      headers=_challenge("insufficient_scope", scope="write"))
    if tokens.note_use(db.session, token, now=now):
        db.session.commit()  # its own small transaction, at most once a minute per token
    g.api_token = token


def current_token() -> ApiToken:
    return g.api_token


def rate_limit_key() -> str:
    """Rate-limit counter of this request: the token (by hash prefix) or the client address."""
    presented = presented_token()
    if presented and len(presented) <= tokens.MAX_TOKEN_LENGTH:
        return "api-token:" + tokens.hash_token(presented)[:32]
    return "api-addr:" + (get_remote_address() or "")


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def limit_blueprint(blueprint) -> None:
    """Apply API_RATE_LIMIT per token to every route of `blueprint` (once per process)."""
    limiter.limit(_api_limit, key_func=rate_limit_key)(blueprint)
