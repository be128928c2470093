"""Attendance detail: Zoom meeting instances, join/leave sessions and walk-ins.

The per-registration summary (attended, first join, minutes) lives on `Registration`;
these rows are the evidence it is computed from, merged from webhooks and Zoom's report.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel_app.models.base import Base, UTCDateTime, utcnow


class ZoomMeetingInstance(Base):
    """One occurrence of the Zoom meeting or webinar behind an event (Zoom's meeting UUID)."""

    __tablename__ = "zoom_meeting_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    uuid: Mapped[str] = mapped_column(sa.String(128))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When Zoom's participants report for this instance was read in full (None: not yet).
    report_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("event_id", "uuid"),)


class AttendanceImport(Base):
    """The import of Zoom's participants report for one event: due, retried, done or given up.

    Zoom's report is not there right after a meeting ends (404 for a while), so the import is
    state in the database, retried with backoff by a periodic job, and people are marked
    absent only once a report was actually read (`completed_at`).
    """

    __tablename__ = "attendance_imports"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: "pending" (due at `next_attempt_at`), "done" or "failed" (gave up; `last_error` says why).
    state: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: When every instance's report was read and the final figures computed.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WalkIn(Base):
    """Someone who joined the Zoom meeting without a matching registration."""

    __tablename__ = "walk_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Identity used to pair sessions ("e:<email>", "u:<zoom user id>", "n:<name>").
    participant_key: Mapped[str] = mapped_column(sa.String(400))
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    first_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: The registration an organiser said this person is (a phone dial-in, a guest name): their
    #: stays moved there, and later joins or report rows with the same identity go there too.
    #: No foreign key: SQLite can only add one by copying the table, which would cascade into
    #: attendance sessions; registrations are never deleted on their own (erasure anonymises),
    #: and a row that went with its event takes its walk-ins along.
    matched_registration_id: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (sa.UniqueConstraint("event_id", "participant_key"),)


class AttendanceSession(Base):
    """One stay in the meeting: a join and its leave (either may still be missing).

    A leave that arrives before its join (webhooks are not ordered) is stored with
    `joined_at` empty and completed when the join comes in.
    """

    __tablename__ = "attendance_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    walk_in_id: Mapped[int | None] = mapped_column(sa.ForeignKey("walk_ins.id", ondelete="SET NULL"), index=True)
    meeting_uuid: Mapped[str] = mapped_column(sa.String(128), default="")
    #: Identity used to pair joins with leaves ("r:<registrant id>", "e:<email>", ...).
    participant_key: Mapped[str] = mapped_column(sa.String(400))
    registrant_id: Mapped[str | None] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "webhook", "report" or "both" once the report confirmed a webhook session.
    source: Mapped[str] = mapped_column(sa.String(16), default="webhook")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_attendance_sessions_event_key", "event_id", "participant_key"),)
