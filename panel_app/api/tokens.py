"""API tokens: issued by administrators for a named integration, checked on every API request.

A token is 32 random bytes (256 bits) in URL-safe base64 behind a "pat_" prefix, shown once.
Only its SHA-256 is stored. A slow password hash (bcrypt, scrypt) protects *guessable*
secrets against offline guessing; nobody can guess 256 random bits, so a fast hash is as
safe here, and it lets each request find its token with one indexed lookup instead of
spending tens of milliseconds per request on purpose (the same reasoning as GitHub's and
PyPI's tokens, and this app's private registration links).

Functions take a session and plain values and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from panel_app.audit.services import record
from panel_app.models import ApiToken, TokenScope, User

PREFIX = "pat_"
#: Longest value accepted in an Authorization header (a token is 47 characters).
MAX_TOKEN_LENGTH = 100
#: `last_used_at` is written at most this often per token: a busy integration must not turn
#: every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
NAME_MAX = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    #: The secret itself: shown once to the administrator, never stored.
    secret: str


def issue(session: Session, *, name: str, scope: str, expires_at: datetime | None, user: User, now: datetime,
          ip: str | None = None) -> IssuedToken:
    """Create a token for the integration `name`; the audit log records who issued it."""
    if scope not in {s.value for s in TokenScope}:
        raise ValueError(f"unknown scope {scope!r}")
    if expires_at is not None and expires_at <= now:
        raise ValueError("the expiry must be in the future")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name[:NAME_MAX], token_hash=hash_token(secret), prefix=secret[:10], scope=scope,
                     created_at=now, created_by_id=user.id, expires_at=expires_at)
    session.add(token)
    session.flush()
    record(session, "api_token.create", actor=user, details={"token_id": token.id, "name": token.name,
                                                             "scope": scope,
                                                             "expires_at": expires_at and expires_at.isoformat()},
           ip=ip, now=now)
    return IssuedToken(token=token, secret=secret)


def revoke(session: Session, token: ApiToken, *, user: User, now: datetime, ip: str | None = None) -> bool:
    """Stop accepting `token` from now on; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    record(session, "api_token.revoke", actor=user, details={"token_id": token.id, "name": token.name}, ip=ip,
           now=now)
    session.flush()
    return True


def all_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first (revoked and expired ones too: they explain past audit entries)."""
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


class TokenRefused(Exception):
    """Why a presented token is not accepted: "unknown", "expired" or "revoked"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def authenticate(session: Session, presented: str, *, now: datetime) -> ApiToken:
    """The usable token whose secret is `presented`; raises TokenRefused."""
    if not presented or len(presented) > MAX_TOKEN_LENGTH or not presented.startswith(PREFIX):
        raise TokenRefused("unknown")
    digest = hash_token(presented)
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing tells nothing about the secret; compare once more anyway.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenRefused("unknown")
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_at is not None and now >= token.expires_at:
        raise TokenRefused("expired")
    return token


def note_use(session: Session, token: ApiToken, *, now: datetime) -> bool:
    """Record that `token` was used, at most once per LAST_USED_PRECISION; True when written.

    A compare-and-set UPDATE, so concurrent requests of one integration write once.
    """
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return False
    result = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token.id,
               sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_PRECISION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(token, "last_used_at", now)  # known now, without a second UPDATE at commit
    return result.rowcount == 1
