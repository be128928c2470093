"""Queue jobs for Zoom: thin wrappers that load ids, call services and commit.

Enqueued after commit by the signal listeners (`receivers.py`) and the webhook view; the
periodic jobs pick up whatever a lost job or a crashed worker left pending, and the report
imports that have come due. Jobs import services; services never import jobs.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from panel_app.attendance import importer
from panel_app.extensions import db
from panel_app.models import Event, utcnow
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.queue import crontab, queue
from panel_app.zoom import sync, webhook_events
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
    """Push one registration to Zoom (add, approve, cancel, deny, delete, fetch its join link)."""
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
    webhook_events.process_delivery(db.session, delivery_id, now=utcnow(),
                                    secret_key=current_app.config["SECRET_KEY"])


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


@queue.task()
def import_attendance_job(event_id: int) -> str:
    """One attempt at reading Zoom's participants report for an event (state in `AttendanceImport`)."""
    client = make_client()
    if client is None:
        return "disabled"
    try:
        now = utcnow()
        if not importer.claim_import(db.session, event_id, now):
            return "skipped"
        event = db.session.get(Event, event_id)
        if event is None or not event.zoom_id:
            return "skipped"
        report = importer.run_import(db.session, client, event, now=now)
        return "done" if report is not None and report.complete else "retry"
    finally:
        client.close()


@queue.periodic_task(crontab(minute="*"))
def sweep_attendance_imports_job() -> int:
    """Every minute: queue the report imports that have come due (and schedule the ones that
    Zoom's `meeting.ended` notification never asked for)."""
    if not zoom_enabled(current_app.config):
        return 0
    now = utcnow()
    importer.schedule_missing_imports(db.session, now)
    db.session.commit()
    ids = importer.due_imports(db.session, now)
    for event_id in ids:
        import_attendance_job.enqueue(event_id)
    return len(ids)
