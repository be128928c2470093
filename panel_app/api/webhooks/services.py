"""Webhook endpoints and messages: the rules the console and the signal listeners call.

Functions take a session and plain values and flush; the caller commits. `announce` writes a
message and one delivery per subscribed endpoint inside the caller's transaction (so a change
and its webhooks commit or roll back together) and schedules the delivery job after commit.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.api.webhooks import EVENT_TYPES, signals, signing
from panel_app.api.webhooks.addresses import check_url
from panel_app.audit.services import record
from panel_app.core.after_commit import after_commit
from panel_app.models import DeliveryState, User, WebhookDelivery, WebhookEndpoint, WebhookMessage

DESCRIPTION_MAX = 300
#: Settled messages (every delivery delivered or failed) are deleted after this long.
KEEP_SETTLED = timedelta(days=30)
_ENDPOINTS_CACHE = "panel_app.api.webhook_endpoints"
_PENDING = "panel_app.api.webhooks_announced"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    #: The signing secret ("whsec_..."): shown once to the administrator, never stored.
    secret: str


def _check_types(event_types) -> list[str]:
    chosen = [t for t in EVENT_TYPES if t in set(event_types or ())]
    if not chosen or len(chosen) != len(set(event_types)):
        raise ValueError("choose at least one known event type")
    return chosen


def create_endpoint(session: Session, *, url: str, event_types: list[str], description: str, user: User,
                    secret_key: str, allow_private: bool, now: datetime, ip: str | None = None) -> CreatedEndpoint:
    """Register an endpoint (raises addresses.AddressRefused or ValueError)."""
    url = check_url(url, allow_private=allow_private)
    nonce = signing.new_nonce()
    secret = signing.derive_secret(secret_key, nonce)
    endpoint = WebhookEndpoint(url=url, event_types=_check_types(event_types),
                               description=description[:DESCRIPTION_MAX], secret_nonce=nonce,
                               secret_hash=signing.secret_hash(secret), active=True,
                               created_at=now, created_by_id=user.id)
    session.add(endpoint)
    session.flush()
    record(session, "webhook.create", actor=user, details={"endpoint_id": endpoint.id, "url": url,
                                                           "event_types": endpoint.event_types}, ip=ip, now=now)
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def update_endpoint(session: Session, endpoint: WebhookEndpoint, *, event_types: list[str], description: str,
                    active: bool, user: User, now: datetime, ip: str | None = None) -> dict:
    """Change what an endpoint receives or switch it on or off; returns {field: (old, new)}.

    Deliveries waiting for a switched-off endpoint keep waiting: they go out when it is on again.
    """
    new = {"event_types": _check_types(event_types), "description": description[:DESCRIPTION_MAX],
           "active": bool(active)}
    changes = {name: (getattr(endpoint, name), value) for name, value in new.items()
               if getattr(endpoint, name) != value}
    for name, (_old, value) in changes.items():
        setattr(endpoint, name, value)
    if "active" in changes and endpoint.active:
        endpoint.disabled_reason = None
        session.flush()
        schedule_due(session)
    if changes:
        record(session, "webhook.edit", actor=user, details={"endpoint_id": endpoint.id, **{
            name: {"from": old, "to": value} for name, (old, value) in changes.items()}}, ip=ip, now=now)
    session.flush()
    return changes


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *, user: User, secret_key: str, now: datetime,
                  ip: str | None = None) -> str:
    """A new signing secret (the old one stops at once); returns it, to be shown once."""
    endpoint.secret_nonce = signing.new_nonce()
    secret = signing.derive_secret(secret_key, endpoint.secret_nonce)
    endpoint.secret_hash = signing.secret_hash(secret)
    record(session, "webhook.rotate_secret", actor=user, details={"endpoint_id": endpoint.id}, ip=ip, now=now)
    session.flush()
    schedule_due(session)
    return secret


def delete_endpoint(session: Session, endpoint: WebhookEndpoint, *, user: User, now: datetime,
                    ip: str | None = None) -> None:
    """Remove an endpoint and its deliveries (messages stay for other endpoints)."""
    record(session, "webhook.delete", actor=user, details={"endpoint_id": endpoint.id, "url": endpoint.url}, ip=ip,
           now=now)
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id),
                    execution_options={"synchronize_session": False})
    session.delete(endpoint)
    session.flush()


def endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(session: Session, endpoint: WebhookEndpoint, *, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first (with their messages, one query)."""
    return list(session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)).unique())


def delivery_counts(session: Session) -> dict[int, dict[str, int]]:
    """{endpoint id: {state: count}} (one grouped query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.state, sa.func.count())
                           .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.state))
    for endpoint_id, state, count in rows:
        counts.setdefault(endpoint_id, {})[state] = count
    return counts


def replay(session: Session, delivery: WebhookDelivery, *, user: User, now: datetime, ip: str | None = None) -> bool:
    """Send a delivery again, now, with the same `webhook-id` (receivers deduplicate on it).

    False while it is being sent. The attempt count starts again, so a replayed delivery has
    its full retry budget.
    """
    if delivery.state == DeliveryState.SENDING and delivery.lease_expires_at and delivery.lease_expires_at > now:
        return False
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_expires_at = None
    record(session, "webhook.replay", actor=user, details={"endpoint_id": delivery.endpoint_id,
                                                           "delivery_id": delivery.id,
                                                           "message": delivery.message.key}, ip=ip, now=now)
    session.flush()
    after_commit(session, _due, delivery.message.key, once=True)
    return True


# --- Announcing -------------------------------------------------------------------------

def _subscribed(session: Session) -> list[tuple[int, tuple[str, ...]]]:
    """(id, event types) of the active endpoints, read once per transaction."""
    transaction = session.get_transaction()
    cached = session.info.get(_ENDPOINTS_CACHE)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    rows = [(endpoint_id, tuple(types or ())) for endpoint_id, types in session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.active.is_(True)))]
    session.info[_ENDPOINTS_CACHE] = (transaction, rows)
    return rows


def wanted(session: Session, event_type: str) -> list[int]:
    """Ids of the active endpoints subscribed to `event_type`."""
    return [endpoint_id for endpoint_id, types in _subscribed(session) if event_type in types]


def body_for(event_type: str, data: dict, now: datetime) -> str:
    """The JSON body: {"type", "timestamp", "data"} (Standard Webhooks' payload structure)."""
    return json.dumps({"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def announce(session: Session, event_type: str, data_fn, *, now: datetime, registration_id: int | None = None,
             event_id: int | None = None) -> None:
    """Queue `event_type` for every active endpoint subscribed to it, with this transaction.

    The message is written when the transaction commits (`write_announced`, a before-commit
    hook): its `data_fn()` then describes the resource as committed (what a GET answers
    afterwards, timestamps included), a person erased in the same transaction is already
    blank, and a rollback writes nothing. The delivery job is enqueued after the commit.
    """
    session.info.setdefault(_PENDING, []).append((event_type, data_fn, now, registration_id, event_id))


def write_announced(session: Session) -> None:
    """Before commit: write the messages announced in this transaction and their deliveries."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the resources as they will be committed (onupdate timestamps included)
    for event_type, data_fn, now, registration_id, event_id in pending:
        endpoint_ids = wanted(session, event_type)
        if not endpoint_ids:
            continue
        try:
            body = body_for(event_type, data_fn(), now)
        except Exception:  # a webhook must never stop the change it announces from committing
            log.exception("webhook %s could not be built; not sent", event_type)
            continue
        message = WebhookMessage(key="msg_" + secrets.token_urlsafe(18), event_type=event_type, body=body,
                                 registration_id=registration_id, event_id=event_id, created_at=now)
        message.deliveries = [WebhookDelivery(endpoint_id=endpoint_id, state=DeliveryState.PENDING, attempts=0,
                                              next_attempt_at=now, created_at=now) for endpoint_id in endpoint_ids]
        session.add(message)
        after_commit(session, _due, message.key)


def _drop_announced(session: Session, _previous=None) -> None:
    session.info.pop(_PENDING, None)


def install(session_factory) -> None:
    """Attach the before-commit hook to a session class (done once, when the listeners connect)."""
    if not sa.event.contains(session_factory, "before_commit", write_announced):
        sa.event.listen(session_factory, "before_commit", write_announced)
        sa.event.listen(session_factory, "after_soft_rollback", _drop_announced)


def _due(message_key: str | None) -> None:
    signals.deliveries_due.send(message_key)


def schedule_due(session: Session) -> None:
    """After commit, have the job look at an endpoint's waiting deliveries (switched on again,
    new secret): the sweep would find them within a minute anyway."""
    after_commit(session, _due, None, once=True)


def erase_personal_copies(session: Session, registration_id: int) -> int:
    """A person's data is being erased: their messages keep only the registration's id, event
    and status (so a pending "cancelled" still tells the receiver), marked `erased`."""
    messages = list(session.scalars(sa.select(WebhookMessage).where(WebhookMessage.registration_id == registration_id)))
    for message in messages:
        try:
            document = json.loads(message.body)
        except ValueError:
            document = {"type": message.event_type, "data": {}}
        old = (document.get("data") or {}).get("registration") or (document.get("data") or {}).get("attendance") or {}
        stub = {"id": registration_id, "event": old.get("event"), "status": old.get("status"), "erased": True}
        document["data"] = {"registration": stub}
        message.body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    session.flush()
    return len(messages)


def purge_settled(session: Session, *, now: datetime) -> int:
    """Delete messages older than KEEP_SETTLED whose deliveries are all delivered or failed."""
    open_messages = sa.select(WebhookDelivery.message_id).where(
        WebhookDelivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
    result = session.execute(
        sa.delete(WebhookMessage).where(WebhookMessage.created_at < now - KEEP_SETTLED,
                                        WebhookMessage.id.not_in(open_messages)),
        execution_options={"synchronize_session": False})
    return result.rowcount or 0
