"""Outgoing messages to registrants: one row per message, the source of truth for sending.

A row is created in the same transaction as the change that calls for it (registration,
approval, cancellation, event update, reminder due), so a crash or a lost queue job never
loses a message: the reconcile sweep sends every row still pending. Sending claims the row
first (compare-and-set on state and attempt count, with a lease), so two workers never send
the same row, and a worker that dies mid-send only delays it until the lease expires.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base, UTCDateTime, random_key, utcnow


class NotificationKind(enum.StrEnum):
    CONFIRMED = "confirmed"  # registration confirmed at once: invite (REQUEST)
    PENDING = "pending"  # awaiting approval: no invite yet
    WAITLISTED = "waitlisted"  # on the waiting list: no invite yet
    APPROVED = "approved"  # an organiser approved: invite
    PROMOTED = "promoted"  # moved up from the waiting list: invite
    DECLINED = "declined"  # an organiser declined: notice
    CANCELLED = "cancelled"  # registration cancelled: METHOD:CANCEL when an invite went out
    EVENT_UPDATED = "event_updated"  # time/zone/link changed: updated invite (SEQUENCE + 1)
    EVENT_CANCELLED = "event_cancelled"  # the panel is cancelled: METHOD:CANCEL or notice
    INVITE = "invite"  # resend (organiser console) or new personal Zoom link: invite
    CHANGED = "changed"  # the registrant changed their channel or email language: invite saying what changed
    DETAILS = "details"  # same email registered again: the details and private link again
    REMINDER = "reminder"  # before the event, with the personal link
    GROUP_MESSAGE = "group_message"  # an organiser's message to a group (subject, body: the GroupMessage)
    OUTREACH = "outreach"  # a letter to a directory contact (texts: the Outreach)


K = NotificationKind
#: Kinds whose email carries the personal invite (METHOD:REQUEST).
REQUEST_KINDS = frozenset({K.CONFIRMED, K.APPROVED, K.PROMOTED, K.EVENT_UPDATED, K.INVITE, K.CHANGED})
#: Kinds that withdraw the invite (METHOD:CANCEL) when one was sent before.
CANCEL_KINDS = frozenset({K.CANCELLED, K.EVENT_CANCELLED})
#: Kinds with a calendar part; the registration's invite state mirrors the latest of them.
CALENDAR_KINDS = REQUEST_KINDS | CANCEL_KINDS


class NotificationState(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (next_attempt_at says when)
    SENDING = "sending"  # claimed by a worker until lease_expires_at
    SENT = "sent"
    FAILED = "failed"  # gave up after the retry budget or a permanent refusal
    SKIPPED = "skipped"  # no longer relevant when its turn came (e.g. cancelled before sending)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whom it is for: a registrant, or (letters from the directory, kind "outreach") a contact.
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    #: The letter this row is one contact's copy of (kind "outreach").
    outreach_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outreaches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: iTIP method the message carries ("REQUEST", "CANCEL") or None for a plain email.
    calendar_method: Mapped[str | None] = mapped_column(sa.String(16))
    #: Makes a message "send once" (e.g. "reminder:24h:2026-05-01T13:00:00Z"); unique per registration.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(100))
    #: The organiser's message this row is one copy of (kind "group_message"): one per recipient.
    group_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("group_messages.id", ondelete="CASCADE"))

    #: Local part of the message's Message-ID (`<key@host>`), the same on every attempt; random.
    message_key: Mapped[str | None] = mapped_column(sa.String(100), default=random_key)
    #: What the message must say beyond the current rows, e.g. for "changed": the fields that
    #: changed and their previous values ({"changed": ["language"], "previous": {"language": "en"}}).
    details: Mapped[dict | None] = mapped_column(sa.JSON)

    state: Mapped[str] = mapped_column(sa.String(16), default=NotificationState.PENDING)
    #: Claims made so far; the claim's value is the token a worker needs to record the outcome.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    #: SEQUENCE and content fingerprint of the calendar part actually sent.
    sequence_sent: Mapped[int | None] = mapped_column(sa.Integer)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Outer joins: a contact's letter has no registration, a registrant's email no contact.
    registration = relationship("Registration", lazy="joined")
    contact = relationship("Contact", lazy="joined")
    outreach = relationship("Outreach")
    group_message = relationship("GroupMessage")

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "dedupe_key"),
        # A group message reaches each recipient once, however often its queueing is repeated.
        sa.UniqueConstraint("group_message_id", "registration_id"),
        # A letter reaches each contact once, however often its sending is restarted.
        sa.UniqueConstraint("outreach_id", "contact_id"),
        sa.CheckConstraint("(registration_id IS NULL) <> (contact_id IS NULL)", name="one_recipient"),
        sa.Index("ix_notifications_state_next_attempt", "state", "next_attempt_at"),
    )
