"""Speakers and moderators of an event, shown on its public page."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class SpeakerRole(enum.StrEnum):
    MODERATOR = "moderator"
    SPEAKER = "speaker"


class EventSpeaker(Base):
    __tablename__ = "event_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default=SpeakerRole.SPEAKER)
    #: Order on the page (moderators first, then by this number).
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Function or title in the default language ("Speaker of the National Assembly of ...").
    function: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The function per language ({"fr": "Présidente de ..."}); empty ones fall back to `function`.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Optional photo (PNG or JPEG), served at an address made of its digest.
    photo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    photo_type: Mapped[str] = mapped_column(sa.String(32), default="")
    photo_digest: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.CheckConstraint("role IN ('moderator', 'speaker')", name="known_role"),)

    def localized_function(self, locale: str | None) -> str:
        return ((self.translations or {}).get(locale or "") or self.function or "").strip()

    @property
    def photo_path(self) -> str | None:
        if not self.photo_digest:
            return None
        extension = "jpg" if self.photo_type == "image/jpeg" else "png"
        return f"/speakers/photo-{self.photo_digest[:32]}.{extension}"
