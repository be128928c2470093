"""Record of personal-data erasures (accountability without keeping the data itself)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class ErasureRecord(Base):
    """One erasure: when, why, by whom, how many registrations. Holds no personal data."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "retention" (periodic job), "registrant" (from their private page) or "admin".
    reason: Mapped[str] = mapped_column(sa.String(16))
    #: The console user who asked for it (admin erasures only).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    registrations: Mapped[int] = mapped_column(sa.Integer, default=0)
