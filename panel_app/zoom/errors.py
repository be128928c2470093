"""Typed errors raised by the Zoom client, so callers decide on retry vs. give up by type."""

from __future__ import annotations

from datetime import datetime


class ZoomError(Exception):
    """Any failure talking to Zoom. `retryable` says whether trying later can succeed."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        return " — ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


class ZoomNotConfigured(ZoomError):
    """Zoom credentials are missing: sync is off."""


class ZoomAuthError(ZoomError):
    """Zoom refused our credentials or token (after one refresh). Fix the configuration."""

    retryable = True  # an operator may fix the credentials; rows stay pending meanwhile


class ZoomUnavailable(ZoomError):
    """Timeouts, connection failures and 5xx answers that outlasted the client's own retries."""

    retryable = True


class ZoomRateLimited(ZoomError):
    """429. `retry_at` is when to try again; `daily` when the account's daily quota is spent."""

    retryable = True

    def __init__(self, message: str, *, retry_at: datetime | None = None, daily: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_at = retry_at
        self.daily = daily


class ZoomNotFound(ZoomError):
    """404: the meeting, webinar or registrant does not exist at Zoom."""


class ZoomRequestRejected(ZoomError):
    """Another 4xx: Zoom rejected what we sent (validation, registration closed...)."""
