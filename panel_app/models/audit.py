"""Audit log: who did what and when in the organiser console (and to which registration)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The account that acted, when it was a console user (kept as NULL if the account goes).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Who acted, as shown: a user's email, "registrant", "system", or the email tried at login.
    actor: Mapped[str] = mapped_column(sa.String(320), default="")
    #: Dotted verb, e.g. "login", "login.failed", "registration.approve", "export.csv".
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    #: Small JSON object with the specifics (old/new values, filters, counts).
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Client address of the request, when there was one.
    ip: Mapped[str | None] = mapped_column(sa.String(64))
