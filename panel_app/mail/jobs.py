"""Mail jobs: thin wrappers around `mail.services` (deliver, commit).

Retries are not Huey's: each attempt's outcome and the next attempt time are on the
notification row, and the reconcile sweep every minute sends whatever is due, so a lost
job, a crashed worker or an SMTP outage only delays mail.
"""

from __future__ import annotations

import time

import panel_app.mail.receivers  # noqa: F401  (connects the registration and privacy receivers)
from panel_app.extensions import db
from panel_app.mail import services, signals
from panel_app.models import utcnow
from panel_app.queue import crontab, queue

#: A sweep stops starting new batches after this long, so runs never pile up.
SWEEP_SECONDS = 50


def _deliver(registration_id: int | None):
    started = time.monotonic()
    total = services.DeliveryReport()
    while time.monotonic() - started < SWEEP_SECONDS:
        report = services.deliver_until_done(db.session, now_fn=utcnow, registration_id=registration_id, max_batches=1)
        total.add(report)
        if not (report.sent or report.skipped):
            break
    return total


@queue.task()
def deliver_registration_mail(registration_id: int):
    """Send the due messages of one registrant (enqueued after the transaction that queued them)."""
    return _deliver(registration_id).sent


@queue.task()
def deliver_all():
    """Send every due message (enqueued after bulk changes: event update, reminders, group messages)."""
    return _deliver(None).sent


@signals.delivery_due.connect
def _enqueue_delivery(registration_id, **_):
    """After a commit that queued mail: start its delivery."""
    if registration_id is None:
        deliver_all.enqueue()
    else:
        deliver_registration_mail.enqueue(registration_id)


@queue.periodic_task(crontab(minute="*"))
def reconcile_mail():
    """Every minute: send anything due (retries after backoff, expired leases, lost jobs),
    then settle group messages whose copies are all settled."""
    sent = _deliver(None).sent
    services.refresh_unfinished(db.session, now=utcnow())
    db.session.commit()
    return sent


@queue.periodic_task(crontab(minute="*/5"))
def send_reminders():
    """Every five minutes: queue the reminders now due, then send them."""
    queued = services.schedule_reminders(db.session, now=utcnow())
    db.session.commit()
    if queued:
        _deliver(None)
    return queued
