"""Parliaments and organisations offered in the registration form (loaded from CSV)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    #: The name in other languages ({"fr": "Parlement du Sénégal"}), offered on pages in that language.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: ISO 3166-1 alpha-2, empty for international bodies.
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    affiliation_type: Mapped[str] = mapped_column(sa.String(32))
    #: Former members stay for history but are no longer offered.
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    #: Geopolitical group or region the organisation reports under (e.g. "Africa", "Twelve Plus").
    region: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")

    contacts = relationship("Contact", back_populates="organisation", order_by="Contact.id",
                            cascade="all, delete-orphan")
