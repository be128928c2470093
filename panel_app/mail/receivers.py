"""Registration and privacy signals → queued messages and invite state.

Connected when this module is imported (by `mail/jobs.py`, which `panel_app.tasks` loads).
Receivers run inside the sender's transaction, in the registration's own session: they only
add or update rows; delivery starts after the commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import object_session

from panel_app.mail import erasure, invite_state, queueing
from panel_app.models import NotificationKind, RegistrationStatus, utcnow
from panel_app.privacy import signals as privacy_signals
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
    # A decline undone while the event is full: the person is told they are on the waiting list.
    (S.DECLINED, S.WAITLISTED): K.WAITLISTED,
}
_ON_CREATE = {S.CONFIRMED: K.CONFIRMED, S.PENDING: K.PENDING, S.WAITLISTED: K.WAITLISTED}


@signals.registration_created.connect
def on_registration_created(registration, **_):
    """Confirmation with invite, or the "pending approval" / "waitlisted" notice."""
    kind = _ON_CREATE.get(registration.status)
    if kind is not None:
        queueing.registration_created(object_session(registration), registration, kind, now=utcnow())


@signals.registration_status_changed.connect
def on_status_changed(registration, previous=None, actor=None, **_):
    """Approval / promotion → invite; cancellation → METHOD:CANCEL; declined → notice."""
    new = registration.status
    if new == S.CANCELLED:
        kind = K.CANCELLED
    else:
        kind = _TRANSITIONS.get((previous, new))
        if kind is None and new == S.CONFIRMED:
            kind = K.APPROVED
    if kind is not None:
        queueing.queue_message(object_session(registration), registration, kind, now=utcnow())


@signals.registration_languages_changed.connect
def on_languages_changed(registration, changed=(), **_):
    """New channel or email language: the confirmed registrant's invite is sent again, saying
    what changed. The values before the change are read from the row's unflushed history
    (the signal is sent before the flush)."""
    language = _previous(registration, "language")
    email_language = _previous(registration, "email_language")
    queueing.registration_changed(object_session(registration), registration, previous_language=language,
                                  previous_email_language=email_language or language, now=utcnow())


def _previous(registration, name: str):
    """The attribute's value before the changes not yet flushed (its current value if none)."""
    history = sa.inspect(registration).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(registration, name)


@signals.duplicate_registration_attempted.connect
def on_duplicate(registration, **_):
    """Same email registered again: send the details and private link to that address."""
    queueing.queue_message(object_session(registration), registration, K.DETAILS, now=utcnow())


@signals.registration_recorded_externally.connect
def on_recorded_externally(registration, **_):
    """Someone who registered on Zoom directly: Zoom wrote to them, no invite of ours is due."""
    invite_state.no_invite(registration)


@privacy_signals.personal_data_erasing.connect
def on_personal_data_erasing(registration, session, **_):
    """The address is about to be erased: nothing waiting can be sent any more, and the outbox
    folder's copies of the person's messages go."""
    # The folder is read even when MAIL_SERVER is set now: it may hold copies from before.
    erasure.address_erased(session, registration, now=utcnow(), outbox=current_app.config.get("MAIL_OUTBOX_PATH"))
