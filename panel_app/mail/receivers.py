"""Registration signals → queued messages. Connected when this module is imported
(from `panel_app.tasks`). Receivers run inside the registration's transaction: they only
add notification rows; delivery starts after the commit.
"""

from __future__ import annotations

from flask import has_app_context

from panel_app.extensions import db
from panel_app.mail.services import queue_message
from panel_app.models import NotificationKind, RegistrationStatus, SyncState, utcnow
from panel_app.registration import signals

S = RegistrationStatus
K = NotificationKind

#: (previous status, new status) → message.
_TRANSITIONS = {
    (S.PENDING, S.CONFIRMED): K.APPROVED,
    (S.WAITLISTED, S.CONFIRMED): K.PROMOTED,
    (S.PENDING, S.WAITLISTED): K.WAITLISTED,
    (S.PENDING, S.DECLINED): K.DECLINED,
    (S.WAITLISTED, S.DECLINED): K.DECLINED,
}
_ON_CREATE = {S.CONFIRMED: K.CONFIRMED, S.PENDING: K.PENDING, S.WAITLISTED: K.WAITLISTED}


def _session(registration):
    from sqlalchemy.orm import object_session

    return object_session(registration) or db.session


@signals.registration_created.connect
def on_registration_created(registration, **_):
    """Confirmation with invite, or the "pending approval" / "waitlisted" notice."""
    if not has_app_context():
        return
    kind = _ON_CREATE.get(registration.status)
    if kind is None:
        return
    session = _session(registration)
    if kind != K.CONFIRMED:
        registration.invite_state = SyncState.NONE  # no invite until a seat is confirmed
        registration.invite_next_attempt_at = None
    queue_message(session, registration, kind, now=utcnow())


@signals.registration_status_changed.connect
def on_status_changed(registration, previous=None, actor=None, **_):
    """Approval / promotion → invite; cancellation → METHOD:CANCEL; declined → notice."""
    if not has_app_context():
        return
    new = registration.status
    if new == S.CANCELLED:
        kind = K.CANCELLED
    else:
        kind = _TRANSITIONS.get((previous, new))
        if kind is None and new == S.CONFIRMED:
            kind = K.APPROVED
    if kind is not None:
        queue_message(_session(registration), registration, kind, now=utcnow())


@signals.registration_languages_changed.connect
def on_languages_changed(registration, changed=(), **_):
    """New channel or email language: the confirmed registrant's invite is sent again."""
    if not has_app_context() or registration.status != S.CONFIRMED:
        return
    from panel_app.mail.services import request_invite

    if registration.event.status != "cancelled":
        request_invite(_session(registration), registration, now=utcnow())


@signals.duplicate_registration_attempted.connect
def on_duplicate(registration, **_):
    """Same email registered again: send the details and private link to that address."""
    if not has_app_context():
        return
    queue_message(_session(registration), registration, K.DETAILS, now=utcnow())
