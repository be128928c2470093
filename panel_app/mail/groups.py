"""Organisers' messages to a group: one `Notification` per recipient, sent by the one pipeline.

A group message's copies are ordinary notification rows (kind "group_message") pointing at
the `GroupMessage` for subject and text, so they get the same claims, retries, Message-ID
and per-person ordering as every other email. The message's `state`, `finished_at` and
`recipient_count` summarise those rows for the console; this module is their only writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail.queueing import schedule_delivery
from panel_app.models import GroupMessage, MessageState, Notification, NotificationKind, NotificationState, Registration

S = NotificationState


@dataclass(frozen=True)
class Progress:
    """Where the copies of one group message stand (for the console)."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # no longer deliverable when their turn came (the person's data was erased)
    waiting: int = 0  # pending or being sent

    @property
    def state(self) -> str:
        if self.waiting:
            return MessageState.PENDING
        return MessageState.FAILED if self.failed else MessageState.SENT


def queue_group_message(session: Session, message: GroupMessage, registrations: Iterable[Registration | int], *,
                        now: datetime) -> int:
    """Queue `message` to each registration (Registration or id), sent after the caller commits.

    Creates one copy per registration, once: a registration that already has its copy is
    left alone (unique key message + registration), so repeating the call, or two calls
    racing, never mails anyone twice. Returns the number of recipients the message has.
    """
    if message.id is None:
        session.flush()
    ids = sorted({r if isinstance(r, int) else r.id for r in registrations})
    if ids:
        rows = [{"registration_id": registration_id, "kind": NotificationKind.GROUP_MESSAGE.value,
                 "group_message_id": message.id, "state": S.PENDING.value, "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for registration_id in ids]
        session.execute(_insert_new_copies(session), rows)
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.group_message_id == message.id)
    )
    message.recipient_count = total
    refresh_states(session, [message.id], now=now)
    session.flush()
    if ids:
        schedule_delivery(session, None)
    return total


def _insert_new_copies(session: Session):
    """INSERT ... ON CONFLICT (group_message_id, registration_id) DO NOTHING, in the dialect's
    own words (both SQLite and PostgreSQL have it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on SQLite or PostgreSQL
        raise RuntimeError(f"unsupported database {dialect!r}")
    return insert(Notification).on_conflict_do_nothing(index_elements=["group_message_id", "registration_id"])


def group_message_progress(session: Session, message_ids: Iterable[int]) -> dict[int, Progress]:
    """Figures per group message (messages without copies get an empty Progress)."""
    ids = list(message_ids)
    counts: dict[int, dict[str, int]] = {message_id: {} for message_id in ids}
    if ids:
        rows = session.execute(
            sa.select(Notification.group_message_id, Notification.state, sa.func.count())
            .where(Notification.group_message_id.in_(ids))
            .group_by(Notification.group_message_id, Notification.state)
        ).all()
        for message_id, state, count in rows:
            counts[message_id][state] = count
    return {
        message_id: Progress(
            total=sum(by_state.values()),
            sent=by_state.get(S.SENT, 0),
            failed=by_state.get(S.FAILED, 0),
            skipped=by_state.get(S.SKIPPED, 0),
            waiting=by_state.get(S.PENDING, 0) + by_state.get(S.SENDING, 0),
        )
        for message_id, by_state in counts.items()
    }


def refresh_unfinished(session: Session, *, now: datetime) -> None:
    """Settle messages still marked pending whose copies are all settled (a worker that
    died between recording its last copy and updating the message); for the sweep."""
    pending = sa.select(GroupMessage.id).where(GroupMessage.state == MessageState.PENDING)
    refresh_states(session, session.scalars(pending).all(), now=now)


def refresh_states(session: Session, message_ids: Iterable[int], *, now: datetime) -> None:
    """Bring each message's state (and when it finished) in line with its copies; a message
    without copies yet (not handed over) is left as it is."""
    figures = {i: f for i, f in group_message_progress(session, message_ids).items() if f.total}
    messages = session.scalars(sa.select(GroupMessage).where(GroupMessage.id.in_(list(figures)))).all()
    for message in messages:
        state = figures[message.id].state
        if state == MessageState.PENDING:
            message.finished_at = None
        elif message.state == MessageState.PENDING or message.finished_at is None:
            message.finished_at = now
        message.state = state
