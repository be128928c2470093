"""Interpreters of an event: who interprets between which two of its languages.

Organisers enter them in the console; the Zoom set-up pushes them to the meeting's or
webinar's language interpretation settings (panel_app/zoom/setup.py owns that push).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class EventInterpreter(Base):
    __tablename__ = "event_interpreters"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: As entered (domain normalised); Zoom identifies an interpreter by this address.
    email: Mapped[str] = mapped_column(sa.String(320))
    #: Case-folded email: one entry per person and event (Zoom lists each interpreter once).
    email_normalized: Mapped[str] = mapped_column(sa.String(320))
    #: Optional, for organisers only (Zoom's interpreter entry has no name).
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The two languages interpreted between, as the event's language codes ("en", "fr", "es");
    #: kept in a stable order (`language_a` < `language_b`), since Zoom's channels work both ways.
    language_a: Mapped[str] = mapped_column(sa.String(8))
    language_b: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "email_normalized"),
        sa.CheckConstraint("language_a <> language_b", name="two_languages"),
    )

    @property
    def languages(self) -> tuple[str, str]:
        return self.language_a, self.language_b
