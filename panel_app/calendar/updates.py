"""Telling registrants' calendars about event changes (called by the organiser console).

Both functions run in the caller's transaction: they bump `event.calendar_sequence`, queue
one message per registrant and leave the commit to the caller; delivery starts after it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail.services import queue_message
from panel_app.models import Event, NotificationKind, Registration, RegistrationStatus

S = RegistrationStatus


def _registrations(session: Session, event: Event, statuses) -> list[Registration]:
    return session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_([str(s) for s in statuses]))
        .order_by(Registration.id)
    ).all()


def event_changed(session: Session, event: Event, *, now: datetime) -> int:
    """After the event's time, zone or join link changed: updated invite to every confirmed
    registrant, with SEQUENCE one higher (same UID, so calendars move the entry).

    Returns the number of registrants the update goes to.
    """
    event.calendar_sequence = int(event.calendar_sequence or 0) + 1
    session.flush()
    registrations = _registrations(session, event, [S.CONFIRMED])
    for registration in registrations:
        queue_message(session, registration, NotificationKind.EVENT_UPDATED, now=now)
    return len(registrations)


def event_cancelled(session: Session, event: Event, *, now: datetime) -> int:
    """After the event's status became cancelled: METHOD:CANCEL (higher SEQUENCE) to everyone
    who was sent an invite, and a cancellation notice to pending and waitlisted registrants.

    Returns the number of registrants notified.
    """
    event.calendar_sequence = int(event.calendar_sequence or 0) + 1
    session.flush()
    # Cancelled registrants already had their invite withdrawn; declined ones never had one.
    registrations = _registrations(session, event, [S.CONFIRMED, S.PENDING, S.WAITLISTED])
    for registration in registrations:
        queue_message(session, registration, NotificationKind.EVENT_CANCELLED, now=now)
    return len(registrations)
