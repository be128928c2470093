"""Flask's signed-cookie sessions (the signing serializer built once per key), and the
lifetimes of a console sign-in.

Flask builds a new serializer (and its JSON tagger binding) for every request, only to
open and save one cookie; on the public pages that is a measurable share of the request.
The serializer holds no per-request state, so one per (secret key, fallbacks) is shared.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask.sessions import SecureCookieSessionInterface


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Same cookies, same keys, same behaviour; the serializer is reused across requests."""

    def __init__(self):
        self._serializers: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            with self._lock:
                self._serializers[key] = serializer
        return serializer


# --- Console sign-in lifetimes ------------------------------------------------------------
# A signed-in console session lasts at most SESSION_MAX_HOURS from sign-in and ends after
# SESSION_IDLE_MINUTES without a request. Both instants live in the signed cookie (the
# browser cannot change them); the account's session token (User.get_id) ends every session
# of an account at once. Defaults follow NIST SP 800-63B, 4.2.3 (AAL2: re-authenticate at
# least every 12 hours, and after 30 minutes of inactivity):
# https://pages.nist.gov/800-63-3/sp800-63b.html#aal2reauth

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
#: The last-seen instant is rewritten at most this often (seconds), so most console
#: requests do not re-send the cookie; the idle limit is exact to within this much.
TOUCH_EVERY = 60


def start_console_session(session, now: datetime) -> None:
    """Record the sign-in instant in a freshly cleared session."""
    stamp = int(now.timestamp())
    session[SIGNED_IN_AT] = stamp
    session[SEEN_AT] = stamp


def console_session_is_current(session, now: datetime, *, idle: timedelta, longest: timedelta) -> bool:
    """True while the session is within both lifetimes; refreshes the last-seen instant."""
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return False  # a session from before lifetimes were recorded: sign in again
    stamp = int(now.timestamp())
    if stamp - signed_in >= longest.total_seconds() or stamp - seen > idle.total_seconds():
        return False
    if stamp - seen >= TOUCH_EVERY:
        session[SEEN_AT] = stamp
    return True
