"""Letters to directory contacts: one `Notification` per contact (see `bulk.py`).

A letter's copies are ordinary notification rows (kind "outreach", `contact_id` set,
`registration_id` NULL) pointing at the `Outreach` for its texts, so they get the same
claims, retries, Message-ID and per-recipient ordering as every other email (see
`delivery.due_ids`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from panel_app.mail import bulk
from panel_app.mail.bulk import Progress
from panel_app.models import NotificationKind, Outreach

LETTERS = bulk.BulkKind(parent=Outreach, parent_column="outreach_id", recipient_column="contact_id",
                        kind=NotificationKind.OUTREACH)

__all__ = ["Progress", "outreach_progress", "queue_outreach", "refresh_states", "refresh_unfinished"]


def queue_outreach(session: Session, outreach: Outreach, contact_ids: Iterable[int], *, now: datetime) -> int:
    """Queue `outreach` to each contact id, once each; returns its recipients."""
    return bulk.queue_copies(session, LETTERS, outreach, contact_ids, now=now)


def outreach_progress(session: Session, outreach_ids: Iterable[int]) -> dict[int, Progress]:
    """Figures per letter (letters without copies get an empty Progress)."""
    return bulk.progress(session, LETTERS, outreach_ids)


def refresh_unfinished(session: Session, *, now: datetime) -> None:
    """Settle letters still marked pending whose copies are all settled (for the sweep)."""
    bulk.refresh_unfinished(session, LETTERS, now=now)


def refresh_states(session: Session, outreach_ids: Iterable[int], *, now: datetime) -> None:
    """Bring each letter's state (and when it finished) in line with its copies."""
    bulk.refresh_states(session, LETTERS, outreach_ids, now=now)
