"""A person's registration for one event, with the state of every side effect it needs."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base, UTCDateTime, random_key, utcnow
from panel_app.models.folding import fold


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


#: Statuses that hold (or wait for) a seat; the others have left the event.
ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class AffiliationType(enum.StrEnum):
    MEMBER_PARLIAMENT = "member_parliament"
    ASSOCIATE_MEMBER = "associate_member"
    PERMANENT_OBSERVER = "permanent_observer"


class ParticipantRole(enum.StrEnum):
    MP = "mp"
    STAFF = "staff"
    OTHER = "other"


class SyncState(enum.StrEnum):
    """State of one side effect (invite mail, Zoom registrant) recorded on the row."""

    NONE = "none"  # nothing to do (e.g. Zoom sync off)
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after the retry budget; visible to organisers


class Registration(Base):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)

    salutation: Mapped[str] = mapped_column(sa.String(50), default="")
    first_name: Mapped[str] = mapped_column(sa.String(200))
    last_name: Mapped[str] = mapped_column(sa.String(200))
    #: As typed (domain lower-cased by the validator); used to write to the person.
    email: Mapped[str] = mapped_column(sa.String(320))
    #: Case-folded form used for the one-registration-per-email rule.
    email_normalized: Mapped[str] = mapped_column(sa.String(320))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(sa.String(2))
    organisation: Mapped[str] = mapped_column(sa.String(300), default="")
    # The two ids below are plain columns, without a foreign-key constraint: on SQLite adding one
    # would make the migration copy `registrations`, and dropping it would cascade into every row
    # that points at it. Nothing dangles: directory entries are deactivated, never deleted, and an
    # invitation is deleted only with its event, which takes its registrations along.
    #: The directory entry (organisations.id) the organisation matched, or whose invitation link was used.
    organisation_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    #: The parliament's invitation link (event_invitations.id) the person registered through, if any.
    invitation_id: Mapped[int | None] = mapped_column(sa.Integer)
    #: Why the registration waits for an organiser (codes such as "affiliation", "role",
    #: "organisation_unknown"), shown translated in the console; empty when none.
    review_reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    affiliation_type: Mapped[str] = mapped_column(sa.String(32))
    role: Mapped[str] = mapped_column(sa.String(16))
    #: Committees the person sits on (free text, e.g. "Human rights; Foreign affairs").
    committees: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Interpretation channel; also the language of their emails unless `email_language` is set.
    language: Mapped[str] = mapped_column(sa.String(8))
    #: The registrant's own choice of language for emails and invites (None: follow `language`).
    email_language: Mapped[str | None] = mapped_column(sa.String(8))
    accessibility_needs: Mapped[str] = mapped_column(sa.Text, default="")
    #: Names, email and organisation folded for search (case and accents removed, see
    #: `models.folding`); written by the model on every insert and update, never by hand.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    privacy_notice_version: Mapped[str] = mapped_column(sa.String(32))

    status: Mapped[str] = mapped_column(sa.String(16), default=RegistrationStatus.CONFIRMED, index=True)
    #: SHA-256 of the private access token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Random salt from which the token is re-derived with the app's SECRET_KEY when an email
    #: must carry the private link (see registration.services.private_token).
    token_nonce: Mapped[str] = mapped_column(sa.String(64))

    #: When the details were last emailed again after a repeat registration (at most one such
    #: email per DETAILS_RESEND_MINUTES, however often the form is posted).
    details_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Invite mail state (issue: calendar invites). `invite_sequence` is the SEQUENCE last sent.
    invite_state: Mapped[str] = mapped_column(sa.String(16), default=SyncState.PENDING)
    invite_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    invite_next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invite_last_error: Mapped[str | None] = mapped_column(sa.Text)
    invite_sequence: Mapped[int | None] = mapped_column(sa.Integer)
    #: Local part of the calendar UID of this registration's invite (`<key>@<host>`); random,
    #: never changes (rows from before it existed keep the "registration-<id>.event-<id>" they
    #: were sent with, so their updates still replace the same calendar entry).
    calendar_uid: Mapped[str | None] = mapped_column(sa.String(100), default=random_key)

    # Zoom registrant state (issue: Zoom sync).
    zoom_state: Mapped[str] = mapped_column(sa.String(16), default=SyncState.NONE)
    zoom_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    zoom_next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zoom_last_error: Mapped[str | None] = mapped_column(sa.Text)
    zoom_registrant_id: Mapped[str | None] = mapped_column(sa.String(64))
    zoom_join_url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: The registrant's status at Zoom as last known: "approved", "pending" or "denied" (Zoom lists
    #: cancelled registrants as denied); None when unknown (just added) or when Zoom has no registrant.
    zoom_synced_status: Mapped[str | None] = mapped_column(sa.String(16))
    #: The latest change to this registrant at Zoom that we know of: our own last successful call,
    #: or the `event_ts` of the last Zoom notification applied. Older notifications are ignored.
    zoom_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the person's data was erased: the registrant must be deleted at Zoom, and the Zoom
    #: side effect is done only once Zoom no longer holds them.
    zoom_erase_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Attendance summary, computed from Zoom sessions (webhooks, report import) or set by hand.
    #: None = unknown yet; True/False once the event has taken place and data is in.
    attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    first_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    #: "zoom" (computed from sessions) or "manual" (an organiser's decision, never overwritten by imports).
    attendance_source: Mapped[str | None] = mapped_column(sa.String(16))

    event = relationship("Event", back_populates="registrations", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "email_normalized"),
        sa.Index("ix_registrations_event_status_created", "event_id", "status", "created_at"),
        # The console's default sort (by name within an event).
        sa.Index("ix_registrations_event_name", "event_id", "last_name", "first_name"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def communication_language(self) -> str:
        """The language of this person's emails and invites."""
        return self.email_language or self.language

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def join_url(self) -> str | None:
        """The personal Zoom link when known, else the event's general link (confirmed only)."""
        if self.status != RegistrationStatus.CONFIRMED:
            return None
        return self.zoom_join_url or self.event.join_url


SEARCHED_FIELDS = ("first_name", "last_name", "email", "organisation")


def search_text_of(registration: Registration) -> str:
    """The folded text the console's search looks in (one line per field)."""
    return "\n".join(fold(getattr(registration, name) or "") for name in SEARCHED_FIELDS)


@sa.event.listens_for(Registration, "before_insert")
@sa.event.listens_for(Registration, "before_update")
def _fill_search_text(_mapper, _connection, target: Registration) -> None:
    target.search_text = search_text_of(target)
