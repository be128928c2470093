"""Typed errors raised by the Zoom client, so callers decide on retry vs. give up by type."""

from __future__ import annotations

from datetime import datetime

#: Zoom's `code` for "Meeting is not found or has expired" (webinars likewise).
MEETING_NOT_FOUND_CODE = 3001


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
    """Timeouts, connection failures, 5xx answers and unreadable answers (e.g. a proxy's HTML
    page) that outlasted the client's own retries."""

    retryable = True


class ZoomRateLimited(ZoomError):
    """429. `retry_at` is when to try again.

    `scope` says who must wait: "account" (Zoom's daily quota for the whole account: every
    call waits), "item" (a limit on one resource, e.g. three adds a day for one registrant:
    only that row waits) or "second" (the per-second limit persisted through our backoff).
    """

    retryable = True

    def __init__(self, message: str, *, retry_at: datetime | None = None, scope: str = "second", **kwargs):
        super().__init__(message, **kwargs)
        self.retry_at = retry_at
        self.scope = scope

    @property
    def daily(self) -> bool:
        """True for the limits that reset at the next UTC midnight (account or item)."""
        return self.scope in ("account", "item")


class ZoomNotFound(ZoomError):
    """404: the meeting, webinar, report or registrant does not exist at Zoom (yet)."""



class ZoomRequestRejected(ZoomError):
    """Another 4xx: Zoom rejected what we sent (validation, registration closed...)."""


def registrant_gone(exc: ZoomError) -> bool:
    """Whether Zoom answered that it does not know this registrant id (rather than the meeting).

    "Get a meeting registrant" answers 404 "Registrant not found"; "Delete a meeting registrant"
    answers 400 code 300 "The value that you entered for the Registrant ID field is invalid"
    (error tables of those pages, https://developers.zoom.us/docs/api/meetings/). A missing
    meeting (3001), "Registration has not been enabled for this meeting" or a proxy's page is
    something else: the row fails visibly instead of adding the person again.
    """
    text = exc.message.casefold()
    if isinstance(exc, ZoomNotFound):
        return exc.code != MEETING_NOT_FOUND_CODE and "registrant" in text
    if isinstance(exc, ZoomRequestRejected):
        return "registrant id" in text
    return False
