"""Organisers' messages to a group: one `Notification` per registration (see `bulk.py`).

A group message's copies are ordinary notification rows (kind "group_message") pointing at
the `GroupMessage` for subject and text, so they get the same claims, retries, Message-ID
and per-person ordering as every other email.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from panel_app.mail import bulk
from panel_app.mail.bulk import Progress
from panel_app.models import GroupMessage, NotificationKind, Registration

GROUP_MESSAGES = bulk.BulkKind(parent=GroupMessage, parent_column="group_message_id",
                               recipient_column="registration_id", kind=NotificationKind.GROUP_MESSAGE)

__all__ = ["Progress", "group_message_progress", "queue_group_message", "refresh_states", "refresh_unfinished"]


def queue_group_message(session: Session, message: GroupMessage, registrations: Iterable[Registration | int], *,
                        now: datetime) -> int:
    """Queue `message` to each registration (Registration or id), once each; returns its recipients."""
    ids = {r if isinstance(r, int) else r.id for r in registrations}
    return bulk.queue_copies(session, GROUP_MESSAGES, message, ids, now=now)


def group_message_progress(session: Session, message_ids: Iterable[int]) -> dict[int, Progress]:
    """Figures per group message (messages without copies get an empty Progress)."""
    return bulk.progress(session, GROUP_MESSAGES, message_ids)


def refresh_unfinished(session: Session, *, now: datetime) -> None:
    """Settle group messages still marked pending whose copies are all settled (for the sweep)."""
    bulk.refresh_unfinished(session, GROUP_MESSAGES, now=now)


def refresh_states(session: Session, message_ids: Iterable[int], *, now: datetime) -> None:
    """Bring each group message's state in line with its copies."""
    bulk.refresh_states(session, GROUP_MESSAGES, message_ids, now=now)
