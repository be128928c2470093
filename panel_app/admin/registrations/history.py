"""One person's history for the console: their emails with each one's state, and what was done."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from panel_app.audit.services import history_for_registration
from panel_app.models import AuditEntry, Notification, Registration


@dataclass(frozen=True)
class PersonHistory:
    emails: list[Notification]
    entries: list[AuditEntry]


def person_history(session: Session, registration: Registration, *, limit: int = 200) -> PersonHistory:
    """Every message queued for the registration (oldest first) and the audit entries about it."""
    emails = list(session.scalars(
        sa.select(Notification).where(Notification.registration_id == registration.id)
        .options(selectinload(Notification.group_message))
        .order_by(Notification.created_at, Notification.id).limit(limit)
    ).unique())
    return PersonHistory(emails=emails, entries=history_for_registration(session, registration.id, limit=limit))
