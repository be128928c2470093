"""Flask's signed-cookie sessions, with the signing serializer built once per key.

Flask builds a new serializer (and its JSON tagger binding) for every request, only to
open and save one cookie; on the public pages that is a measurable share of the request.
The serializer holds no per-request state, so one per (secret key, fallbacks) is shared.
"""

from __future__ import annotations

import threading

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
