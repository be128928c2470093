"""One message to many: copies as `Notification` rows, and the parent's state from them.

A group message (to registrants) and a letter (to directory contacts) are both a parent row
with texts and one notification per recipient, sent by the one pipeline (claims, retries,
Message-ID, per-recipient ordering: `delivery.due_ids`). They differ only in the parent's
model, the notification column that points at it, the recipient column and the kind; a
`BulkKind` names those, and the functions here serve both (`groups.py`, `outreach.py`).
The parent's `state`, `finished_at` and `recipient_count` summarise its copies; these
functions are their only writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail.queueing import schedule_delivery
from panel_app.models import MessageState, Notification, NotificationKind, NotificationState

S = NotificationState


@dataclass(frozen=True)
class BulkKind:
    """What distinguishes one kind of bulk message from another."""

    parent: type  # the model holding texts, state, finished_at and recipient_count
    parent_column: str  # Notification's foreign key to it
    recipient_column: str  # Notification's foreign key to the recipient
    kind: NotificationKind

    def parent_key(self):
        return getattr(Notification, self.parent_column)


@dataclass(frozen=True)
class Progress:
    """Where the copies of one message stand (for the console)."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # no longer deliverable when their turn came (the recipient's data was erased)
    waiting: int = 0  # pending or being sent

    @property
    def state(self) -> str:
        if self.waiting:
            return MessageState.PENDING
        return MessageState.FAILED if self.failed else MessageState.SENT


def queue_copies(session: Session, bulk: BulkKind, parent, recipient_ids: Iterable[int], *, now: datetime) -> int:
    """Queue `parent` to each recipient id, sent after the caller commits; returns its recipients.

    One copy per recipient, once: the unique key (parent, recipient) leaves a recipient that
    already has a copy alone, so a repeated, restarted or racing send mails nobody twice.
    """
    if parent.id is None:
        session.flush()
    ids = sorted(set(recipient_ids))
    if ids:
        rows = [{bulk.recipient_column: recipient_id, "kind": bulk.kind.value, bulk.parent_column: parent.id,
                 "state": S.PENDING.value, "attempts": 0, "next_attempt_at": now, "created_at": now}
                for recipient_id in ids]
        session.execute(_insert_new_copies(session, bulk), rows)
    parent.recipient_count = session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(bulk.parent_key() == parent.id))
    refresh_states(session, bulk, [parent.id], now=now)
    session.flush()
    if ids:
        schedule_delivery(session, None)
    return parent.recipient_count


def _insert_new_copies(session: Session, bulk: BulkKind):
    """INSERT ... ON CONFLICT (parent, recipient) DO NOTHING, in the dialect's own words (both
    SQLite and PostgreSQL have it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on SQLite or PostgreSQL
        raise RuntimeError(f"unsupported database {dialect!r}")
    return insert(Notification).on_conflict_do_nothing(index_elements=[bulk.parent_column, bulk.recipient_column])


def progress(session: Session, bulk: BulkKind, parent_ids: Iterable[int]) -> dict[int, Progress]:
    """Figures per parent (parents without copies get an empty Progress)."""
    ids = list(parent_ids)
    counts: dict[int, dict[str, int]] = {parent_id: {} for parent_id in ids}
    if ids:
        rows = session.execute(
            sa.select(bulk.parent_key(), Notification.state, sa.func.count())
            .where(bulk.parent_key().in_(ids))
            .group_by(bulk.parent_key(), Notification.state)
        ).all()
        for parent_id, state, count in rows:
            counts[parent_id][state] = count
    return {
        parent_id: Progress(
            total=sum(by_state.values()),
            sent=by_state.get(S.SENT, 0),
            failed=by_state.get(S.FAILED, 0),
            skipped=by_state.get(S.SKIPPED, 0),
            waiting=by_state.get(S.PENDING, 0) + by_state.get(S.SENDING, 0),
        )
        for parent_id, by_state in counts.items()
    }


def refresh_unfinished(session: Session, bulk: BulkKind, *, now: datetime) -> None:
    """Settle parents still marked pending whose copies are all settled (a worker that died
    between recording its last copy and updating the parent); for the sweep."""
    pending = sa.select(bulk.parent.id).where(bulk.parent.state == MessageState.PENDING)
    refresh_states(session, bulk, session.scalars(pending).all(), now=now)


def refresh_states(session: Session, bulk: BulkKind, parent_ids: Iterable[int], *, now: datetime) -> None:
    """Bring each parent's state (and when it finished) in line with its copies; a parent
    without copies yet (not handed over) is left as it is."""
    figures = {i: f for i, f in progress(session, bulk, parent_ids).items() if f.total}
    if not figures:
        return
    for parent in session.scalars(sa.select(bulk.parent).where(bulk.parent.id.in_(list(figures)))).all():
        state = figures[parent.id].state
        if state == MessageState.PENDING:
            parent.finished_at = None
        elif parent.state == MessageState.PENDING or parent.finished_at is None:
            parent.finished_at = now
        parent.state = state
