"""Queueing registrant mail: one `Notification` row per message, in the caller's transaction.

Delivery starts once the transaction commits: `schedule_delivery` sends the
`signals.delivery_due` signal after the commit, and the mail jobs module, which listens to
it, enqueues the delivery job. The services never import the queue, and a lost signal or
job only delays mail until the reconcile sweep.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.core.after_commit import after_commit
from panel_app.mail import invite_state, signals
from panel_app.models import (
    CALENDAR_KINDS,
    CANCEL_KINDS,
    REQUEST_KINDS,
    EventStatus,
    Notification,
    NotificationKind,
    NotificationState,
    Registration,
    RegistrationStatus,
    SyncState,
)


def schedule_delivery(session: Session, registration_id: int | None) -> None:
    """Start delivery of `registration_id`'s due mail (None: everyone's) after the commit,
    once per transaction."""
    after_commit(session, signals.delivery_due.send, registration_id, once=True)


def _touch_pending(session: Session, notification_id: int, now: datetime) -> bool:
    """Make an unsent message due now, if nobody has claimed it; True when it is still pending.

    Conditional UPDATE rather than a read: if a worker claims the row at the same time,
    exactly one of us wins (PostgreSQL re-checks the WHERE clause after the lock, SQLite
    serialises writers), so a change is never folded into a message already rendered.
    """
    result = session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.state == NotificationState.PENDING)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def queue_message(session: Session, registration: Registration, kind: str, *, now: datetime,
                  dedupe_key: str | None = None, deliver: bool = True, details: dict | None = None
                  ) -> Notification | None:
    """Queue one message to a registrant (sent after the caller commits).

    Invite-carrying kinds fold into an invite of the same registration that is still
    waiting (it is rendered at send time, so it will carry the change); returns None then.
    `details` is what the message must say beyond the current rows (see
    `registration_changed`). `deliver=False` leaves the start of delivery to the caller
    (bulk queueing).
    """
    kind = NotificationKind(kind)
    if kind in REQUEST_KINDS:
        waiting = session.execute(
            sa.select(Notification.id, Notification.kind, Notification.details).where(
                Notification.registration_id == registration.id,
                Notification.kind.in_([k.value for k in REQUEST_KINDS]),
                Notification.state == NotificationState.PENDING,
            )
        ).all()
        for row in waiting:
            if _touch_pending(session, row.id, now):
                if kind == NotificationKind.CHANGED and row.kind == NotificationKind.CHANGED:
                    _merge_changes(session, row.id, row.details, details)
                invite_state.queued(registration, kind, now)
                if deliver:
                    schedule_delivery(session, registration.id)
                return None
    if kind in REQUEST_KINDS:
        method = "REQUEST"
    else:
        method = "CANCEL" if kind in CANCEL_KINDS else None
    notification = Notification(
        registration_id=registration.id,
        kind=kind,
        calendar_method=method,
        dedupe_key=dedupe_key,
        details=details,
        state=NotificationState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(notification)
    invite_state.queued(registration, kind, now)
    session.flush()
    if deliver:
        schedule_delivery(session, registration.id)
    return notification


def _merge_changes(session: Session, notification_id: int, waiting: dict | None, new: dict | None) -> None:
    """A change notice still waiting absorbs a newer change: the fields of both, each with the
    value it had before the first change (what the reader last heard of)."""
    waiting, new = waiting or {}, new or {}
    previous = {**new.get("previous", {}), **waiting.get("previous", {})}
    merged = {"changed": sorted(set(waiting.get("changed", [])) | set(new.get("changed", []))), "previous": previous}
    session.execute(sa.update(Notification).where(Notification.id == notification_id).values(details=merged)
                    .execution_options(synchronize_session=False))


def registration_changed(session: Session, registration: Registration, *, previous_language: str,
                         previous_email_language: str, now: datetime) -> Notification | None:
    """The registrant moved to another interpretation channel or email language: their invite
    again (in the email language now in force, SEQUENCE + 1) saying what changed.

    `previous_email_language` is the language their emails were in before (the channel when
    they had not chosen one). Nothing is sent when neither the channel nor the email language
    actually changed, nor to registrants without a confirmed seat (their next message will
    be in the new language anyway).
    """
    changed = []
    if registration.language != previous_language:
        changed.append("language")
    if registration.communication_language != previous_email_language:
        changed.append("email_language")
    if (not changed or registration.status != RegistrationStatus.CONFIRMED
            or registration.event.status == EventStatus.CANCELLED):
        return None
    details = {"changed": changed,
               "previous": {"language": previous_language, "email_language": previous_email_language}}
    return queue_message(session, registration, NotificationKind.CHANGED, now=now, details=details)


def registration_created(session: Session, registration: Registration, kind: str, *, now: datetime) -> None:
    """A new or re-opened registration: its first message, and its invite state from scratch
    (pending when the message carries the invite, none until a seat is confirmed)."""
    if kind not in CALENDAR_KINDS:
        invite_state.no_invite(registration)
    queue_message(session, registration, kind, now=now)


def request_invite(session: Session, registration: Registration, *, now: datetime) -> Notification | None:
    """Send (again) the registrant's personal invite, after the caller commits.

    For the organiser console's "resend invite" and for the Zoom sync once a personal join
    link arrives. Only confirmed registrations of a live event get one (ValueError otherwise).
    The invite keeps its UID; its SEQUENCE goes up when its content changed (e.g. the
    personal link replaces the general one), else repeats with a new DTSTAMP.
    """
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValueError("only confirmed registrations receive an invite")
    if registration.event.status == EventStatus.CANCELLED:
        raise ValueError("the event is cancelled")
    return queue_message(session, registration, NotificationKind.INVITE, now=now)


def personal_link_arrived(session: Session, registration: Registration, *, now: datetime) -> Notification | None:
    """A personal join link replaced the event's general one (Zoom sync): if the invite
    already went out, send it again with the link (SEQUENCE + 1). An invite still waiting
    carries the link anyway (it is rendered at send time); nothing is sent to people
    without a confirmed seat or for a cancelled event."""
    if (registration.invite_state != SyncState.DONE or registration.status != RegistrationStatus.CONFIRMED
            or registration.event.status == EventStatus.CANCELLED):
        return None
    return request_invite(session, registration, now=now)
