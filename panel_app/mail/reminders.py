"""Reminders before an event: each offset once per registration and start time."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel_app.mail.queueing import queue_message, schedule_delivery
from panel_app.models import Event, EventStatus, Notification, NotificationKind, Registration, RegistrationStatus


def reminder_offsets(config) -> list[int]:
    """Configured reminder offsets in hours, largest first (REMINDER_OFFSETS_HOURS)."""
    raw = str(config.get("REMINDER_OFFSETS_HOURS") or "")
    hours = set()
    for piece in raw.split(","):
        piece = piece.strip()
        if piece:
            value = int(piece)
            if value <= 0:
                raise ValueError("REMINDER_OFFSETS_HOURS takes positive whole hours, e.g. 24,1")
            hours.add(value)
    return sorted(hours, reverse=True)


def schedule_reminders(session: Session, *, now: datetime, config=None) -> int:
    """Queue the reminders now due (each offset once per registration and start time).

    Reminder H is due from H hours before the start until the next smaller reminder is due
    (nobody gets the 24 h and the 1 h reminder together), and is not sent to people whose
    seat was confirmed after it became due (their confirmation just told them).
    """
    config = config or current_app.config
    offsets = reminder_offsets(config)
    if not offsets:
        return 0
    horizon = now + timedelta(hours=offsets[0])
    events = session.scalars(
        sa.select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > now, Event.starts_at <= horizon)
    ).all()
    queued = 0
    for event in events:
        due = [h for h in offsets if event.starts_at - timedelta(hours=h) <= now]
        if not due:
            continue
        hours = min(due)  # the most recent window only
        window_start = event.starts_at - timedelta(hours=hours)
        key = f"reminder:{hours}h:{event.starts_at.strftime('%Y%m%dT%H%M%SZ')}"
        already = sa.select(Notification.id).where(
            Notification.registration_id == Registration.id, Notification.dedupe_key == key
        )
        registrations = session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.status_changed_at <= window_start,
                ~sa.exists(already),
            )
        ).all()
        for registration in registrations:
            queue_message(session, registration, NotificationKind.REMINDER, now=now, dedupe_key=key, deliver=False)
            queued += 1
    if queued:
        schedule_delivery(session, None)
    return queued
