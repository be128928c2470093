"""Speakers and moderators as the public event page shows them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import EventSpeaker, SpeakerRole


def event_speakers(session: Session, event_id: int) -> list[EventSpeaker]:
    """Moderators first, then speakers, each in the organisers' order."""
    moderators_first = sa.case((EventSpeaker.role == SpeakerRole.MODERATOR, 0), else_=1)
    return list(session.scalars(
        sa.select(EventSpeaker).where(EventSpeaker.event_id == event_id)
        .order_by(moderators_first, EventSpeaker.position, EventSpeaker.id)))


def photo(session: Session, digest: str) -> tuple[bytes, str] | None:
    """(bytes, content type) of the speaker photo whose address carries `digest`."""
    row = session.execute(
        sa.select(EventSpeaker.photo, EventSpeaker.photo_type)
        .where(EventSpeaker.photo_digest.startswith(digest, autoescape=True)).limit(1)).first()
    return (row[0], row[1]) if row is not None and row[0] else None
