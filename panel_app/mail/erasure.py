"""Mail's part of erasing a person's data (listener of `privacy.signals.personal_data_erasing`).

Once the address is gone nothing can be sent to it: messages still waiting are skipped, and
stored SMTP errors, which often quote the address, are blanked. Copies of the messages
already written to the local outbox folder (no MAIL_SERVER) are deleted after the commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.core.after_commit import after_commit
from panel_app.mail import groups, invite_state
from panel_app.mail.sender import erase_outbox_messages
from panel_app.models import Notification, NotificationState, Registration


def address_erased(session: Session, registration: Registration, *, now: datetime,
                   outbox: str | None = None) -> None:
    """`outbox`: the outbox folder whose copies of the person's messages go after the commit."""
    if outbox:
        keys = {key for key in session.scalars(sa.select(Notification.message_key)
                                               .where(Notification.registration_id == registration.id)) if key}
        if keys:
            after_commit(session, erase_outbox_messages, outbox, keys)
    waiting = Notification.state == NotificationState.PENDING
    group_ids = set(session.scalars(
        sa.select(Notification.group_message_id)
        .where(Notification.registration_id == registration.id, waiting, Notification.group_message_id.is_not(None))
    ))
    session.execute(
        sa.update(Notification)
        .where(Notification.registration_id == registration.id, waiting)
        .values(state=NotificationState.SKIPPED)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(Notification)
        .where(Notification.registration_id == registration.id, Notification.last_error.is_not(None))
        .values(last_error=None)
        .execution_options(synchronize_session=False)
    )
    invite_state.address_erased(registration)
    if group_ids:
        groups.refresh_states(session, group_ids, now=now)
    session.flush()
