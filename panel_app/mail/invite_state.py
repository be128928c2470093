"""The invite state on the registration row: this module is its only writer.

`Registration.invite_*` mirror the latest invite-carrying notification (an invite, an
update or a withdrawal: `CALENDAR_KINDS`), so the console can filter, show and export it
without reading the notification rows. The rows stay the source of truth; the mail services
report each step of a row's life here (queued, sent, failed, skipped), for every kind, and
this module decides what the registration shows; the mail listeners report registrations
created and personal data erased.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import CALENDAR_KINDS, Notification, NotificationState, Registration, SyncState


def _mirrored(notification: Notification) -> bool:
    """Whether the row's life shows on a registration: calendar kinds only; a letter to a
    directory contact (no registration) has no invite state."""
    return notification.registration_id is not None and notification.kind in CALENDAR_KINDS


def queued(registration: Registration, kind: str, now: datetime) -> None:
    """A message of `kind` is queued (or a waiting invite will carry a change) and due now."""
    if kind not in CALENDAR_KINDS:
        return
    registration.invite_state = SyncState.PENDING
    registration.invite_attempts = 0
    registration.invite_next_attempt_at = now
    registration.invite_last_error = None


def no_invite(registration: Registration) -> None:
    """Nothing to send yet (pending approval, waiting list) or at all (imported from Zoom,
    which sent its own confirmation)."""
    registration.invite_state = SyncState.NONE
    registration.invite_attempts = 0
    registration.invite_next_attempt_at = None
    registration.invite_last_error = None


def sent(notification: Notification, *, attempts: int, sequence: int | None) -> None:
    if not _mirrored(notification):
        return
    registration = notification.registration
    registration.invite_state = SyncState.DONE
    registration.invite_attempts = attempts
    registration.invite_next_attempt_at = None
    registration.invite_last_error = None
    if sequence is not None:
        registration.invite_sequence = sequence


def failed_attempt(notification: Notification, *, attempts: int, error: str, next_attempt_at: datetime | None) -> None:
    """An attempt failed; `next_attempt_at` None means the message was given up."""
    if not _mirrored(notification):
        return
    registration = notification.registration
    registration.invite_state = SyncState.PENDING if next_attempt_at else SyncState.FAILED
    registration.invite_attempts = attempts
    registration.invite_last_error = error
    registration.invite_next_attempt_at = next_attempt_at


def skipped(session: Session, notification: Notification) -> None:
    """A calendar message turned out irrelevant at send time: back to what was sent before,
    unless another calendar message is still on its way."""
    if not _mirrored(notification):
        return
    registration = notification.registration
    others = session.scalar(
        sa.select(sa.func.count()).where(
            Notification.registration_id == registration.id,
            Notification.id != notification.id,
            Notification.kind.in_([str(k) for k in CALENDAR_KINDS]),
            Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING]),
        )
    )
    if not others and registration.invite_state == SyncState.PENDING:
        registration.invite_state = SyncState.DONE if registration.invite_sequence is not None else SyncState.NONE
        registration.invite_next_attempt_at = None


def address_erased(registration: Registration) -> None:
    """The person's data is being erased: no address is left to write to, and an SMTP
    error often quotes the address."""
    registration.invite_last_error = None
    if registration.invite_state == SyncState.PENDING:
        registration.invite_state = SyncState.NONE
        registration.invite_next_attempt_at = None
