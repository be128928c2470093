"""`POST /webhooks/zoom`: verify, record, answer fast; processing happens in a job.

Reference: "Using webhooks" (https://developers.zoom.us/docs/api/webhooks/): "Verify webhook
events" (x-zm-signature = v0=HMAC-SHA256(secret, "v0:{x-zm-request-timestamp}:{body}")) and
"Validate your webhook endpoint" (endpoint.url_validation). Order matters: the signature is
checked before the body is even parsed, for every event including `endpoint.url_validation`.

Zoom counts a delivery as failed unless the answer is a 2xx within three seconds, retries it
three times (after 5, 20 and 60 minutes) and then drops it ("Resolving webhook delays",
https://developers.zoom.us/blog/webhook-delays/). Zoom sends from few addresses, so at the
start of a large session hundreds of `participant_joined` arrive within seconds from one
address: verified notifications are never rate limited; the per-address limit
(`RATELIMIT_WEBHOOK`) counts only requests that fail verification. A verified notification
costs one HMAC, one JSON parse, one INSERT (redeliveries are dropped by the unique key, no
read first) and one enqueue after the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from flask import Blueprint, current_app, jsonify, request
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import TooManyRequests

from panel_app.extensions import csrf, db, limiter
from panel_app.models import utcnow
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.zoom.jobs import process_webhook_job
from panel_app.zoom.webhook_events import HANDLED_EVENTS

log = logging.getLogger(__name__)
bp = Blueprint("zoom_webhooks", __name__)

#: Older (or newer) request timestamps are refused, so a captured request cannot be replayed.
MAX_CLOCK_SKEW_SECONDS = 300
#: Zoom's payloads are a few levels deep; anything much deeper is not Zoom.
MAX_JSON_DEPTH = 32


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str | None:
    """None when the request is authentic, else the reason it is not."""
    if not secret:
        return "webhook secret not configured"
    if not timestamp or not signature:
        return "missing signature headers"
    try:
        timestamp.encode("ascii")
        sent_at = int(timestamp)
    except (ValueError, UnicodeEncodeError):
        return "bad timestamp"
    if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        return "stale timestamp"
    expected = expected_signature(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, PostgreSQL does not


def parse_message(body: bytes) -> dict | None:
    """The notification as a dict, or None when it is not plain JSON that every database can store
    (NaN/Infinity, lone surrogates, NUL characters, absurd nesting)."""
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    stack = [(message, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return None
        if isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, depth))
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                return None
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
                return None
    return message


def _refuse(problem: str):
    """401, or 429 once this address has failed verification too often."""
    log.warning("zoom webhook refused: %s", problem)
    config = current_app.config
    if config.get("RATELIMIT_ENABLED", True):
        try:
            item = parse_limit(config["RATELIMIT_WEBHOOK"])
            allowed = limiter.limiter.hit(item, "zoom-webhook-unverified", config.get("RATELIMIT_KEY_PREFIX") or "",
                                          get_remote_address())
        except Exception:  # noqa: BLE001 - limits fail open (like the other limits), the refusal stands
            log.exception("rate-limit storage unavailable for the Zoom webhook")
        else:
            if not allowed:
                raise TooManyRequests()  # the app's JSON error answer for /webhooks/
    return jsonify(error="invalid signature"), 401


def store_delivery(session, event: str, message: dict, body: bytes) -> int | None:
    """Record a verified notification once; None when it was already recorded (a redelivery)."""
    # Redeliveries carry the same body (Zoom retries with a new request timestamp only).
    key = hashlib.sha256(event.encode("utf-8") + b"\n" + body).hexdigest()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(ZoomWebhookDelivery)
                 .values(dedupe_key=key, event=event, payload=message, received_at=utcnow(), attempts=0)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"])
                 .returning(ZoomWebhookDelivery.id))
    return session.execute(statement).scalar()


@bp.post("/webhooks/zoom")
@csrf.exempt
def receive():
    """Zoom's event notifications (see module docstring)."""
    body = request.get_data(cache=False)
    problem = verify(current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN"),
                     request.headers.get("x-zm-request-timestamp"), request.headers.get("x-zm-signature"),
                     body, time.time())
    if problem:
        return _refuse(problem)
    message = parse_message(body)
    if message is None:
        return jsonify(error="malformed JSON"), 400
    event, payload = message.get("event"), message.get("payload", {})
    if not isinstance(event, str) or not isinstance(payload, dict):
        return jsonify(error="not a Zoom event"), 400

    if event == "endpoint.url_validation":
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not plain:
            return jsonify(error="plainToken missing"), 400
        secret = current_app.config["ZOOM_WEBHOOK_SECRET_TOKEN"]
        encrypted = hmac.new(secret.encode("utf-8"), plain.encode("utf-8"), hashlib.sha256).hexdigest()
        return jsonify(plainToken=plain, encryptedToken=encrypted)

    if event not in HANDLED_EVENTS:
        return jsonify(status="ignored"), 200
    delivery_id = store_delivery(db.session, event, message, body)
    db.session.commit()
    if delivery_id is None:
        return jsonify(status="duplicate"), 200
    try:
        process_webhook_job.enqueue(delivery_id)
    except Exception:  # noqa: BLE001 - stored: the sweep processes it within a minute or two
        log.exception("zoom webhook delivery %s stored but not queued", delivery_id)
    return jsonify(status="accepted"), 200
