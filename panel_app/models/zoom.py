"""Zoom integration state shared by every process: the OAuth token cache and webhook deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class ZoomApiState(Base):
    """One row per Zoom account/app: the cached access token and any account-wide pause.

    Kept in the database so that every web and worker process shares one token (Zoom
    invalidates earlier tokens when a new one is requested) and one view of the daily limit.
    """

    __tablename__ = "zoom_api_state"

    #: Stable key derived from account id + client id, so switching apps never reuses a token.
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when Zoom answers with a daily limit: nothing is sent before this instant.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Bumped by every refresh; the UPDATE doubles as the cross-process refresh lock.
    version: Mapped[int] = mapped_column(sa.Integer, default=0)


class ZoomWebhookDelivery(Base):
    """A verified webhook notification, stored before it is processed (dedupes redeliveries)."""

    __tablename__ = "zoom_webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 over the event name and the raw body: Zoom redelivers the same body.
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    event: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
