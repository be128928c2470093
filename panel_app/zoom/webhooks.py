"""`POST /webhooks/zoom`: verify, record, answer fast; processing happens in a job.

Reference: https://developers.zoom.us/docs/api/webhooks/ ("Verify webhook events",
"Validate your webhook endpoint"). Order matters: the signature is checked before the body
is even parsed, for every event including `endpoint.url_validation`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request

from panel_app.core.after_commit import after_commit
from panel_app.extensions import csrf, db
from panel_app.models import utcnow
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.zoom.webhook_events import HANDLED_EVENTS

log = logging.getLogger(__name__)
bp = Blueprint("zoom_webhooks", __name__)

#: Older (or newer) request timestamps are refused, so a captured request cannot be replayed.
MAX_CLOCK_SKEW_SECONDS = 300


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
        sent_at = int(timestamp)
        timestamp.encode("ascii")
    except (ValueError, UnicodeEncodeError):
        return "bad timestamp"
    if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        return "stale timestamp"
    if not hmac.compare_digest(expected_signature(secret, timestamp, body).encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


@bp.post("/webhooks/zoom")
@csrf.exempt
def receive():
    """Zoom's event notifications (see module docstring)."""
    body = request.get_data(cache=False)
    problem = verify(current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN"),
                     request.headers.get("x-zm-request-timestamp"), request.headers.get("x-zm-signature"),
                     body, time.time())
    if problem:
        log.warning("zoom webhook refused: %s", problem)
        return jsonify(error="invalid signature"), 401
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return jsonify(error="malformed JSON"), 400
    if not isinstance(message, dict) or not isinstance(message.get("event"), str) \
            or not isinstance(message.get("payload", {}), dict):
        return jsonify(error="not a Zoom event"), 400
    event = message["event"]
    payload = message.get("payload") or {}

    if event == "endpoint.url_validation":
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not plain:
            return jsonify(error="plainToken missing"), 400
        secret = current_app.config["ZOOM_WEBHOOK_SECRET_TOKEN"]
        encrypted = hmac.new(secret.encode("utf-8"), plain.encode("utf-8"), hashlib.sha256).hexdigest()
        return jsonify(plainToken=plain, encryptedToken=encrypted)

    if event not in HANDLED_EVENTS:
        return jsonify(status="ignored"), 200

    # Redeliveries carry the same body (Zoom retries with a new request timestamp only).
    key = hashlib.sha256(event.encode("utf-8") + b"\n" + body).hexdigest()
    existing = db.session.scalar(sa.select(ZoomWebhookDelivery.id).where(ZoomWebhookDelivery.dedupe_key == key))
    if existing is not None:
        return jsonify(status="duplicate"), 200
    delivery = ZoomWebhookDelivery(dedupe_key=key, event=event, payload=message, received_at=utcnow())
    db.session.add(delivery)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same delivery raced in on another worker
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    from panel_app.zoom.jobs import process_webhook_job

    after_commit(db.session, process_webhook_job.enqueue, delivery.id)
    db.session.commit()
    return jsonify(status="accepted"), 200
