"""Sending webhook deliveries: claim, sign, POST, record the answer, back off. At least once.

Like the mail pipeline: a due delivery is claimed with a compare-and-set UPDATE (state and
attempt count) that also sets a lease, the claim is committed, the request is made outside
any transaction, and the outcome is recorded only if the claim still holds. So two workers,
or the job and the sweep, never send the same delivery at once, and a worker that dies
mid-request leaves a claim whose lease runs out, after which the delivery is sent again
(with the same `webhook-id`: receivers deduplicate on it, as Standard Webhooks asks).

A 2xx answer is delivered. Anything else (another status, a redirect, a timeout, a refused
connection) is a failed attempt, retried after 30 s, 1 min, 2 min ... at most 6 h apart, up
to WEBHOOK_MAX_ATTEMPTS; 410 Gone switches the endpoint off (Standard Webhooks: the
receiver asks for no more). Every attempt records the status code, the first bytes of the
answer and the time, which the console shows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel_app.api.webhooks import signing
from panel_app.api.webhooks.addresses import AddressRefused, check_url, http_session
from panel_app.core.text import error_text
from panel_app.models import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookMessage

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
#: How much of a receiver's answer is kept for the console.
RESPONSE_KEEP = 500
BATCH_SIZE = 50
USER_AGENT = "panel-app-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min ... at most 6 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _due_condition(now: datetime):
    return sa.or_(
        sa.and_(WebhookDelivery.state == DeliveryState.PENDING, WebhookDelivery.next_attempt_at <= now),
        sa.and_(WebhookDelivery.state == DeliveryState.SENDING, WebhookDelivery.lease_expires_at < now),
    )


def due_ids(session: Session, *, now: datetime, message_key: str | None = None, limit: int = BATCH_SIZE) -> list[int]:
    """Due deliveries to active endpoints, oldest first."""
    query = (sa.select(WebhookDelivery.id)
             .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
             .where(_due_condition(now), WebhookEndpoint.active.is_(True))
             .order_by(WebhookDelivery.id).limit(limit))
    if message_key is not None:
        query = query.join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id).where(
            WebhookMessage.key == message_key)
    return list(session.scalars(query))


def claim(session: Session, delivery_id: int, *, now: datetime, lease: timedelta) -> int | None:
    """Claim a due delivery; returns the claim (attempt number) or None when another has it."""
    current = session.scalar(sa.select(WebhookDelivery.attempts).where(WebhookDelivery.id == delivery_id))
    if current is None:
        return None
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == current, _due_condition(now))
        .values(state=DeliveryState.SENDING, attempts=current + 1, lease_expires_at=now + lease,
                last_attempt_at=now)
        .execution_options(synchronize_session=False))
    return current + 1 if result.rowcount == 1 else None


def _record(session: Session, delivery_id: int, token: int, values: dict) -> bool:
    """Record the outcome of attempt `token`; False when the claim no longer holds."""
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.SENDING,
               WebhookDelivery.attempts == token)
        .values(lease_expires_at=None, **values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status code and the start of the body, or an error."""

    status: int | None = None
    body: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: str, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Answer:
    """POST the body; never raises for the receiver's sake (an error is an Answer too)."""
    try:
        check_url(url, allow_private=allow_private, resolve=False)
    except AddressRefused as exc:
        return Answer(error=f"address refused: {exc.code}")
    session = http_session(allow_private=allow_private)
    try:
        response = session.post(url, data=body.encode("utf-8"), allow_redirects=False, stream=True,
                                timeout=(min(timeout, 5.0), timeout),
                                headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        try:
            start = response.raw.read(RESPONSE_KEEP * 4, decode_content=True) or b""
        finally:
            response.close()
        return Answer(status=response.status_code, body=start.decode("utf-8", "replace")[:RESPONSE_KEEP])
    except requests.RequestException as exc:
        return Answer(error=error_text(exc, limit=1000))
    except Exception as exc:  # a malformed answer must not stop the worker; retried like any failure
        return Answer(error=error_text(exc, limit=1000))
    finally:
        session.close()


@dataclass
class SweepReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_one(session: Session, delivery_id: int, *, now_fn: Callable[[], datetime],
                report: SweepReport | None = None) -> Answer | None:
    """Claim, send and record one delivery; None when it was not ours to send."""
    config = current_app.config
    report = report if report is not None else SweepReport()
    timeout = float(config.get("WEBHOOK_TIMEOUT") or 10)
    token = claim(session, delivery_id, now=now_fn(), lease=timedelta(seconds=timeout * 3 + 30))
    session.commit()
    if token is None:
        return None
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    message = delivery.message
    secret = signing.current_secret(endpoint.secret_nonce, endpoint.secret_hash, config["SECRET_KEY"])
    session.commit()  # no transaction stays open while waiting for the receiver
    if secret is None:
        answer = Answer(error="the signing secret no longer derives from SECRET_KEY: rotate it in the console")
    else:
        # The wall clock, whatever `now_fn` says: receivers compare it with theirs (replay window).
        timestamp = int(time.time())
        answer = post(endpoint.url, message.body, signing.headers(secret, message.key, timestamp, message.body),
                      timeout=timeout, allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES")))
    _settle(session, delivery_id, endpoint.id, token, answer, now=now_fn(),
            max_attempts=int(config.get("WEBHOOK_MAX_ATTEMPTS") or 15), give_up=secret is None, report=report)
    return answer


def _settle(session: Session, delivery_id: int, endpoint_id: int, token: int, answer: Answer, *, now: datetime,
            max_attempts: int, give_up: bool, report: SweepReport) -> None:
    values = {"last_status_code": answer.status, "last_response": answer.body if answer.status else None,
              "last_error": answer.error}
    gone = answer.status == 410
    if answer.delivered:
        values.update(state=DeliveryState.DELIVERED, delivered_at=now, next_attempt_at=None)
        report.delivered += 1
    elif give_up or gone or token >= max_attempts:
        values.update(state=DeliveryState.FAILED, next_attempt_at=None)
        report.failed += 1
    else:
        values.update(state=DeliveryState.PENDING, next_attempt_at=now + backoff(token))
        report.retrying += 1
    if _record(session, delivery_id, token, values) and gone:
        session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                        .values(active=False, disabled_reason="the receiver answered 410 Gone")
                        .execution_options(synchronize_session=False))
    session.commit()
    if not answer.delivered:
        log.info("webhook delivery %s attempt %s failed: %s", delivery_id, token, answer.error or answer.status)


def deliver_due(session: Session, *, now_fn: Callable[[], datetime], message_key: str | None = None,
                seconds: float = 50) -> SweepReport:
    """Send what is due (one message's deliveries, or all) for at most about `seconds`."""
    report = SweepReport()
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        ids = due_ids(session, now=now_fn(), message_key=message_key)
        session.commit()
        if not ids:
            break
        for delivery_id in ids:
            deliver_one(session, delivery_id, now_fn=now_fn, report=report)
            if time.monotonic() - started >= seconds:
                break
        if message_key is not None:
            break
    return report
