"""The organisation's identity as set in the console; empty values fall back to the environment
(ORGANISATION_* settings, see config.py). One row, id 1."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow

#: The only row's id.
SETTINGS_ID = 1


class IdentitySettings(Base):
    __tablename__ = "identity_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name per language code ({"en": "Inter-Parliamentary Union", "fr": "Union interparlementaire"}).
    names: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    short_name: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(320), default="")
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    #: "#rrggbb" with a WCAG AA contrast against white, or "" for the environment's.
    colour: Mapped[str] = mapped_column(sa.String(7), default="")
    controller_name: Mapped[str] = mapped_column(sa.String(300), default="")
    controller_address: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: The uploaded logo (PNG or JPEG), kept in the database so every web node serves it.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(sa.String(32), default="")
    #: SHA-256 of `logo` (hex): its address, so browsers and mail clients may cache it for good.
    logo_digest: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Bumped by every change: public pages memoised before it are rendered again.
    version: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
