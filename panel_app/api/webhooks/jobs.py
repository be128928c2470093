"""Webhook jobs: thin wrappers around `delivery` (the state is on the rows).

Retries are not Huey's: each attempt's outcome and the next attempt time are on the delivery
row, and the sweep every minute sends whatever is due, so a receiver that is down, a lost job
or a crashed worker only delays deliveries.
"""

from __future__ import annotations

import panel_app.api.webhooks.receivers  # noqa: F401  (connects the signal listeners)
from panel_app.api.webhooks import delivery, services, signals
from panel_app.extensions import db
from panel_app.models import utcnow
from panel_app.queue import crontab, queue


@queue.task()
def deliver_message(message_key: str | None):
    """Send the due deliveries of one message (enqueued after the commit that created it)."""
    return delivery.deliver_due(db.session, now_fn=utcnow, message_key=message_key).delivered


@signals.deliveries_due.connect
def _enqueue(message_key, **_):
    deliver_message.enqueue(message_key)


@queue.periodic_task(crontab(minute="*"))
def sweep_webhooks():
    """Every minute: send every delivery due (retries after backoff, expired leases, lost jobs)."""
    return delivery.deliver_due(db.session, now_fn=utcnow).delivered


@queue.periodic_task(crontab(minute="17"))
def purge_webhook_messages():
    """Hourly: forget messages settled more than 30 days ago."""
    removed = services.purge_settled(db.session, now=utcnow())
    db.session.commit()
    return removed
