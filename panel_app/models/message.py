"""Emails an organiser sends to a filtered group of registrants.

Each recipient's copy is a `Notification` (kind "group_message") delivered by the one mail
pipeline (`panel_app.mail`), with its retry rules and Message-ID; `state`, `finished_at`
and `recipient_count` summarise those rows for the console and are written only by
`panel_app.mail.groups`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class MessageState(enum.StrEnum):
    PENDING = "pending"  # some copies are still to be sent
    SENT = "sent"  # every copy went out (or had no address left to go to)
    FAILED = "failed"  # every copy is settled and at least one was given up


class GroupMessage(Base):
    __tablename__ = "group_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(sa.String(320), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    #: The list filters that chose the recipients, as the organiser set them.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    recipient_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Summary of the copies' notification rows (see MessageState).
    state: Mapped[str] = mapped_column(sa.String(16), default=MessageState.PENDING)
    #: The key of the form that sent it: a form posted twice (double click, retry, back and
    #: resend) finds the message already there and sends nothing more.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
