"""Mail's part of erasing a person's data (listener of `privacy.signals.personal_data_erasing`).

Once the address is gone nothing can be sent to it: messages still waiting are skipped, and
stored SMTP errors, which often quote the address, are blanked.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail import groups, invite_state
from panel_app.models import Notification, NotificationState, Registration


def address_erased(session: Session, registration: Registration, *, now: datetime) -> None:
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
