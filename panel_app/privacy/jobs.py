"""Periodic retention job: erase personal data RETENTION_DAYS after each event."""

from __future__ import annotations

import logging

from flask import current_app

from panel_app.extensions import db
from panel_app.models import utcnow
from panel_app.privacy import services
from panel_app.queue import crontab, queue

log = logging.getLogger(__name__)

#: Upper bound of batches per run, so a first run on a large backlog still ends.
MAX_BATCHES = 200


@queue.periodic_task(crontab(minute="23", hour="*"))
def erase_expired_personal_data() -> int:
    """Anonymise registrations of events past the retention period; returns how many."""
    days = int(current_app.config.get("RETENTION_DAYS") or 0)
    if days <= 0:
        return 0
    total = 0
    for _ in range(MAX_BATCHES):
        now = utcnow()
        report = services.erase_expired(db.session, now=now, retention_days=days)
        db.session.commit()  # one batch per transaction
        total += report.registrations
        if report.registrations == 0:
            break
    removed = services.erase_old_outbox_files(current_app.config["MAIL_OUTBOX_PATH"], now=utcnow(), retention_days=days)
    if total or removed:
        log.info("retention: erased %d registrations and %d outbox files older than %d days", total, removed, days)
    return total
