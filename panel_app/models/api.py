"""The JSON API's own state: access tokens, outgoing webhook endpoints, messages and deliveries.

Webhooks follow the outbox pattern: a message row (with its exact JSON body) and one
delivery row per subscribed endpoint are written in the same transaction as the change they
announce, so a receiver that is down, a lost job or a crashed worker only delays them.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_app.models.base import Base, UTCDateTime, utcnow


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"  # read and write


class ApiToken(Base):
    """A bearer token an administrator issued to one named integration (a CRM, a report)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who uses it ("Parliaments CRM sync"); shown in the audit log next to every write.
    name: Mapped[str] = mapped_column(sa.String(200))
    #: SHA-256 (hex) of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The token's first characters, so people can tell their tokens apart ("pat_3kQ9…").
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(16), default=TokenScope.READ)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Refused from this instant on (None: never expires).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Updated at most once a minute (see api.tokens.LAST_USED_PRECISION), not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    @property
    def audit_name(self) -> str:
        """How the audit log names this token as the actor."""
        return f"API token #{self.id} “{self.name}”"


class WebhookEndpoint(Base):
    """An HTTPS address an administrator registered to receive some kinds of events."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Event types sent to it, e.g. ["registration.created", "attendance.recorded"].
    event_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: The signing secret is derived from SECRET_KEY and this nonce (never stored), like
    #: private registration links; `secret_hash` tells when SECRET_KEY changed since.
    secret_nonce: Mapped[str] = mapped_column(sa.String(64))
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    #: Why it was switched off when the app did it (the receiver answered 410 Gone).
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class WebhookMessage(Base):
    """One occurrence of an event type, with the exact body every endpoint receives."""

    __tablename__ = "webhook_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The `webhook-id` header: the same for every attempt and replay, so receivers can dedupe.
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    event_type: Mapped[str] = mapped_column(sa.String(64))
    #: The JSON body as sent (signed byte for byte).
    body: Mapped[str] = mapped_column(sa.Text)
    #: The registration it is about, if any: erasing a person blanks their copies here.
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    deliveries = relationship("WebhookDelivery", back_populates="message", cascade="all, delete-orphan",
                              passive_deletes=True)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_expires_at
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up (attempts spent, endpoint gone or disabled)


class WebhookDelivery(Base):
    """One message to one endpoint: attempts, backoff and the receiver's last answer."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: HTTP status of the last answer (None: no answer, see last_error).
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    #: The first bytes of the last answer's body, as text.
    last_response: Mapped[str | None] = mapped_column(sa.Text)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message = relationship("WebhookMessage", back_populates="deliveries", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("message_id", "endpoint_id"),
        sa.Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),
    )
