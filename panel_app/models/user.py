"""Organiser accounts for the console, and the sign-in throttle's bookkeeping."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from panel_app.models.base import Base, UTCDateTime, utcnow


class UserRole(enum.StrEnum):
    ADMIN = "admin"  # users and everything else
    ORGANISER = "organiser"  # events and registrations
    VIEWER = "viewer"  # read and export


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default=UserRole.ORGANISER)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of every console session cookie of this account (Flask-Login's alternative token,
    #: `get_id`): a new value ends all of them at once. Changed on sign-out, password change
    #: and deactivation.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()  # a password reset must lock out whoever had the old one

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued for this account so far."""
        self.session_token = new_session_token()

    @validates("active")
    def _disabling_ends_sessions(self, _key: str, active: bool) -> bool:
        if not active:
            self.end_sessions()
        return active

    def get_id(self) -> str:
        """Flask-Login's session identifier: the id with the current session token, so a
        cookie from before a sign-out or password change no longer loads the account
        (Flask-Login docs, "Alternative Tokens":
        https://flask-login.readthedocs.io/en/latest/#alternative-tokens)."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return bool(self.active)

    def can(self, role: str) -> bool:
        """True when this user's role includes the powers of `role`."""
        order = [UserRole.VIEWER, UserRole.ORGANISER, UserRole.ADMIN]
        return order.index(UserRole(self.role)) >= order.index(UserRole(role))


class LoginThrottle(Base):
    """Failed sign-ins for one email address (an account or not) from one client address,
    and (with `address` "*") from every address together. Rules: `panel_app/admin/throttle.py`.

    The email is kept only as a keyed hash, so attempts with addresses that have no account
    store no address either.
    """

    __tablename__ = "login_throttles"

    #: HMAC-SHA256 (SECRET_KEY) of the normalised email that was tried.
    account_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: The client's address, or "*" for the row counting every address together.
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    #: Start of the counting period: the first failure (pair rows), or of the hour (the "*" row).
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
