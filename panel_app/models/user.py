"""Organiser accounts for the console."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from panel_app.models.base import Base, UTCDateTime, utcnow


class UserRole(enum.StrEnum):
    ADMIN = "admin"  # users and everything else
    ORGANISER = "organiser"  # events and registrations
    VIEWER = "viewer"  # read and export


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default=UserRole.ORGANISER)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return bool(self.active)

    def can(self, role: str) -> bool:
        """True when this user's role includes the powers of `role`."""
        order = [UserRole.VIEWER, UserRole.ORGANISER, UserRole.ADMIN]
        return order.index(UserRole(self.role)) >= order.index(UserRole(role))
