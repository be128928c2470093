"""The last check of an event's Zoom meeting or webinar settings (see panel_app/zoom/setup.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class ZoomSetupCheck(Base):
    __tablename__ = "zoom_setup_checks"

    #: One row per event: the latest check replaces the previous one.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What was checked ("meetings" or "webinars" and the id): a later change of the event's
    #: link makes this check stale rather than wrong.
    zoom_kind: Mapped[str] = mapped_column(sa.String(16))
    zoom_id: Mapped[str] = mapped_column(sa.String(32))
    #: Findings that need attention (errors and warnings; notices are not counted).
    problems: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Every finding as plain values: [{"code", "severity", "fixable", "have", "want"}].
    findings: Mapped[list] = mapped_column(sa.JSON, default=list)
