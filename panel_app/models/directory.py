"""The directory's people and the organisation's letters to them (issue 14).

`Organisation` (models/organisation.py) is a parliament or organisation; a `Contact` is a
person there who receives the organisation's letters (the Speaker's office, the secretary of
the IPU group), in their own language. Contacts are never deleted by a re-import, only made
inactive, so what was sent to whom stays explainable.

An `EventInvitation` is one parliament's own registration link for one event: it pre-fills the
organisation and affiliation, and is the only way in for an invitation-only event. An
`Outreach` is one letter an organiser sends to a set of contacts (the invitation, a reminder to
parliaments not yet represented, the follow-up questionnaire and its reminder); each contact's
copy is a `Notification` row delivered by the one mail pipeline. A `FollowUpReport` holds what
one parliament answered after one event.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base, UTCDateTime, utcnow


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: As given; `email_normalized` (case-folded) keeps one contact per address and organisation.
    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320))
    #: Their function, e.g. "Secretary General of the National Assembly".
    function: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The language letters to them are written in (one of the app's languages).
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    #: Contacts missing from a later import, or switched off by hand, receive nothing more.
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation = relationship("Organisation", back_populates="contacts")

    __table_args__ = (sa.UniqueConstraint("organisation_id", "email_normalized"),)


class EventInvitation(Base):
    """One parliament's registration link for one event (`/events/<slug>/register?invitation=<token>`)."""

    __tablename__ = "event_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    #: Random, URL-safe; it only opens the form (it is not a secret about a person).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation")

    __table_args__ = (sa.UniqueConstraint("event_id", "organisation_id"),)


class OutreachKind(enum.StrEnum):
    INVITATION = "invitation"  # the letter announcing the event, with the parliament's own link
    COVERAGE_REMINDER = "coverage_reminder"  # to parliaments with nobody registered yet
    FOLLOW_UP = "follow_up"  # after the event: the questionnaire on actions taken
    FOLLOW_UP_REMINDER = "follow_up_reminder"  # the one reminder to those who have not answered


class Outreach(Base):
    """One letter from the organisation to a set of directory contacts, written once per language."""

    __tablename__ = "outreaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: {"en": {"subject": ..., "body": ...}, "fr": {...}}: the letter with its placeholders.
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: The filters that chose the contacts, as the organiser set them.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    recipient_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Summary of the copies' notification rows ("pending", "sent", "failed", as group messages).
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(sa.String(320), default="")
    #: The key of the form that sent it: posted twice, it sends one letter.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpReport(Base):
    """What one parliament reports having done after one event, through its private link."""

    __tablename__ = "follow_up_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    #: SHA-256 of the private link's token; the token itself is derived from `token_nonce` and
    #: SECRET_KEY when a letter needs it (as registrations' private links, see directory.links).
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_nonce: Mapped[str] = mapped_column(sa.String(64))
    #: {"<action code>": {"taken": true, "text": "..."}} for each action on the questionnaire.
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Who filled it in (name and function, as typed) and in which language.
    submitted_by: Mapped[str] = mapped_column(sa.String(300), default="")
    submitted_function: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    language: Mapped[str | None] = mapped_column(sa.String(8))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: First time the parliament sent its answers; `answered_at` the latest (they may edit them).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation = relationship("Organisation")

    __table_args__ = (sa.UniqueConstraint("event_id", "organisation_id"),)
