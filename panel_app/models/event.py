"""The panel event: when it happens, who may come, how people register."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base, UTCDateTime, random_key, utcnow


class ApprovalMode(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, e.g. "parliamentary-solidarity"; unique and stable once published.
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who may attend, shown on the event page (free text, may be long).
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    #: Per-language overrides: {"fr": {"title": ..., "description": ..., "audience": ...}}.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: IANA zone name the event is announced in; labels (CEST/CET) are derived per date.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Zurich")
    #: Interpretation channels offered, as language codes ("en", "fr", "es").
    languages: Mapped[list] = mapped_column(sa.JSON, default=lambda: ["en"])

    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_mode: Mapped[str] = mapped_column(sa.String(16), default=ApprovalMode.AUTO)
    #: Closed audience: affiliation types and roles that may register (empty: any). A
    #: registration outside them goes to approval with the reason shown to the organiser.
    eligible_affiliations: Mapped[list] = mapped_column(sa.JSON, default=list)
    eligible_roles: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Registrations from an organisation not in the directory go to approval.
    directory_only: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: Registration only through a parliament's own link (models.directory.EventInvitation).
    invitation_only: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(16), default=EventStatus.DRAFT)

    zoom_meeting_id: Mapped[str | None] = mapped_column(sa.String(32))
    zoom_webinar_id: Mapped[str | None] = mapped_column(sa.String(32))
    #: General join link, given to registrants when Zoom sync is off.
    join_url: Mapped[str | None] = mapped_column(sa.String(1000))
    organiser_name: Mapped[str | None] = mapped_column(sa.String(200))
    organiser_email: Mapped[str | None] = mapped_column(sa.String(320))

    #: iCalendar SEQUENCE; bumped whenever time, place or status changes.
    calendar_sequence: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Local part of the public event.ics UID (`<key>@<host>`); random, never changes.
    calendar_uid: Mapped[str | None] = mapped_column(sa.String(100), default=random_key)
    #: Bumped by every seat allocation; the UPDATE doubles as the lock that serialises
    #: capacity decisions across processes on SQLite and PostgreSQL alike.
    seats_version: Mapped[int] = mapped_column(sa.Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registrations = relationship("Registration", back_populates="event", lazy="raise_on_sql")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def zoom_kind(self) -> str | None:
        """'webinars' or 'meetings' (Zoom API path segment), or None when not linked to Zoom."""
        if self.zoom_webinar_id:
            return "webinars"
        if self.zoom_meeting_id:
            return "meetings"
        return None

    @property
    def zoom_id(self) -> str | None:
        return self.zoom_webinar_id or self.zoom_meeting_id

    def localized(self, field: str, locale: str | None) -> str:
        """The field in `locale` when a translation exists, else the default text."""
        if locale:
            value = (self.translations or {}).get(locale, {}).get(field)
            if value:
                return value
        return getattr(self, field) or ""
