"""Queue jobs for Zoom: thin wrappers that load ids, call services and commit.

Enqueued after commit by the signal receivers and the webhook view; the periodic
reconcile jobs pick up whatever a lost job or a crashed worker left pending.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from panel_app.extensions import db
from panel_app.models import utcnow
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.queue import crontab, queue
from panel_app.zoom import sync
from panel_app.zoom.client import build_client, zoom_enabled

log = logging.getLogger(__name__)

#: A delivery is retried by the sweep this many times before it is left for an operator.
MAX_WEBHOOK_ATTEMPTS = 10


def make_client():
    """A Zoom client from the current app's config (None when Zoom sync is off)."""
    if not zoom_enabled(current_app.config):
        return None
    return build_client(current_app.config, db.engine)


@queue.task()
def sync_registration_job(registration_id: int) -> str:
    """Push one registration to Zoom (add, approve, cancel, deny, fetch its join link)."""
    client = make_client()
    if client is None:
        return "disabled"
    try:
        return sync.sync_registration(db.session, client, registration_id)
    finally:
        client.close()


@queue.periodic_task(crontab(minute="*"))
def reconcile_zoom_job() -> int:
    """Every minute: queue every pending row whose next attempt (or expired lease) has come."""
    if not zoom_enabled(current_app.config):
        return 0
    ids = sync.due_registration_ids(db.session, utcnow())
    for registration_id in ids:
        sync_registration_job.enqueue(registration_id)
    return len(ids)


@queue.task()
def process_webhook_job(delivery_id: int) -> None:
    """Apply one stored webhook delivery (registrant changes, attendance)."""
    from panel_app.zoom import webhook_events

    webhook_events.process_delivery(db.session, delivery_id, now=utcnow())


@queue.periodic_task(crontab(minute="*"))
def sweep_webhooks_job() -> int:
    """Every minute: process deliveries whose job was lost or failed (older than a minute)."""
    cutoff = utcnow() - timedelta(minutes=1)
    ids = list(db.session.scalars(
        sa.select(ZoomWebhookDelivery.id)
        .where(ZoomWebhookDelivery.processed_at.is_(None), ZoomWebhookDelivery.received_at <= cutoff,
               ZoomWebhookDelivery.attempts < MAX_WEBHOOK_ATTEMPTS)
        .order_by(ZoomWebhookDelivery.id).limit(500)
    ))
    for delivery_id in ids:
        process_webhook_job.enqueue(delivery_id)
    return len(ids)


@queue.task(retries=3, retry_delay=600)
def import_attendance_job(event_id: int) -> None:
    """Read Zoom's participants report for an event and merge it (retried: reports lag the meeting)."""
    from panel_app.attendance import importer
    from panel_app.models import Event

    client = make_client()
    if client is None:
        return
    event = db.session.get(Event, event_id)
    if event is None or not event.zoom_id:
        return
    try:
        importer.import_attendance(db.session, client, event, now=utcnow())
        db.session.commit()
    finally:
        client.close()
