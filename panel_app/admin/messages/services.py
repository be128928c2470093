"""Group messages: who a message goes to, recording it with one row per recipient.

Functions take a session and plain values, flush, and leave the commit to the view; each
copy is a notification row the one mail pipeline delivers after the commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.admin.registrations.services import filtered
from panel_app.audit.services import record
from panel_app.mail import services as mail_services
from panel_app.models import ACTIVE_STATUSES, Event, GroupMessage, Registration, User


def recipients_statement(event: Event, filters: RegistrationFilters) -> sa.Select:
    """Who a group message goes to: the filtered list, minus people who left the event
    unless the organiser filtered on such a status on purpose."""
    stmt = filtered(
        sa.select(Registration.id, Registration.email, Registration.first_name, Registration.last_name),
        event.id,
        filters,
    )
    if not filters.status:
        stmt = stmt.where(Registration.status.in_([s.value for s in ACTIVE_STATUSES]))
    return stmt.order_by(Registration.id)


def count_recipients(session: Session, event: Event, filters: RegistrationFilters) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(recipients_statement(event, filters).subquery())) or 0


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def message_for_submission(session: Session, submission_key: str) -> GroupMessage | None:
    return session.scalar(sa.select(GroupMessage).where(GroupMessage.submission_key == submission_key))


def create_group_message(
    session: Session, event: Event, filters: RegistrationFilters, *, subject: str, body: str,
    now: datetime, user: User, ip: str | None = None, submission_key: str | None = None,
) -> tuple[GroupMessage, bool]:
    """Record a message and queue one copy per recipient; the caller commits, then mail goes out.
    Returns (message, created).

    Recipients are fixed now, so people who register later do not get an old message; each
    copy is a notification row (one per message and registration), so nobody gets it twice.
    A form posted again (double click, a retried request, back and resend) carries the same
    `submission_key` and gets the message it already created (`created` False), also when
    both posts arrive at once: the key is unique, and the loser of the race finds the winner's.
    """
    if submission_key:
        existing = message_for_submission(session, submission_key)
        if existing is not None:
            return existing, False
    message = GroupMessage(
        event_id=event.id, created_by_id=user.id, created_by=user.email, subject=subject, body=body,
        filters=filters.selection(), created_at=now, submission_key=submission_key,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except sa.exc.IntegrityError:
        existing = message_for_submission(session, submission_key) if submission_key else None
        if existing is None:
            raise
        return existing, False
    recipient_ids = [r.id for r in session.execute(recipients_statement(event, filters))]
    count = mail_services.queue_group_message(session, message, recipient_ids, now=now)
    record(
        session, "message.create", actor=user, event_id=event.id,
        details={"message_id": message.id, "subject": subject, "recipients": count, "filters": filters.selection()},
        ip=ip, now=now,
    )
    session.flush()
    return message, True


def messages_for(session: Session, event: Event) -> list[GroupMessage]:
    return list(session.scalars(
        sa.select(GroupMessage).where(GroupMessage.event_id == event.id)
        .order_by(GroupMessage.created_at.desc()).limit(100)
    ))
