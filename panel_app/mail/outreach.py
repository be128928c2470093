"""Letters to directory contacts: one `Notification` per contact, sent by the one pipeline.

A letter's copies are ordinary notification rows (kind "outreach", `contact_id` set,
`registration_id` NULL) pointing at the `Outreach` for its texts, so they get the same
claims, retries, Message-ID and per-recipient ordering as every other email (see
`delivery.due_ids`). The letter's `state`, `finished_at` and `recipient_count` summarise those
rows for the console; this module is their only writer, as `groups.py` is for group messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail.groups import Progress
from panel_app.mail.queueing import schedule_delivery
from panel_app.models import MessageState, Notification, NotificationKind, NotificationState, Outreach

S = NotificationState


def queue_outreach(session: Session, outreach: Outreach, contact_ids: Iterable[int], *, now: datetime) -> int:
    """Queue `outreach` to each contact id, sent after the caller commits; returns its recipients.

    One copy per contact, once: the unique key (outreach, contact) leaves a contact that
    already has its copy alone, so a restarted or repeated send mails nobody twice.
    """
    if outreach.id is None:
        session.flush()
    ids = sorted(set(contact_ids))
    if ids:
        rows = [{"contact_id": contact_id, "kind": NotificationKind.OUTREACH.value, "outreach_id": outreach.id,
                 "state": S.PENDING.value, "attempts": 0, "next_attempt_at": now, "created_at": now}
                for contact_id in ids]
        session.execute(_insert_new_copies(session), rows)
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.outreach_id == outreach.id))
    outreach.recipient_count = total
    refresh_states(session, [outreach.id], now=now)
    session.flush()
    if ids:
        schedule_delivery(session, None)
    return total


def _insert_new_copies(session: Session):
    """INSERT ... ON CONFLICT (outreach_id, contact_id) DO NOTHING (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on SQLite or PostgreSQL
        raise RuntimeError(f"unsupported database {dialect!r}")
    return insert(Notification).on_conflict_do_nothing(index_elements=["outreach_id", "contact_id"])


def outreach_progress(session: Session, outreach_ids: Iterable[int]) -> dict[int, Progress]:
    """Figures per letter (letters without copies get an empty Progress)."""
    ids = list(outreach_ids)
    counts: dict[int, dict[str, int]] = {outreach_id: {} for outreach_id in ids}
    if ids:
        rows = session.execute(
            sa.select(Notification.outreach_id, Notification.state, sa.func.count())
            .where(Notification.outreach_id.in_(ids))
            .group_by(Notification.outreach_id, Notification.state)
        ).all()
        for outreach_id, state, count in rows:
            counts[outreach_id][state] = count
    return {
        outreach_id: Progress(
            total=sum(by_state.values()),
            sent=by_state.get(S.SENT, 0),
            failed=by_state.get(S.FAILED, 0),
            skipped=by_state.get(S.SKIPPED, 0),
            waiting=by_state.get(S.PENDING, 0) + by_state.get(S.SENDING, 0),
        )
        for outreach_id, by_state in counts.items()
    }


def refresh_unfinished(session: Session, *, now: datetime) -> None:
    """Settle letters still marked pending whose copies are all settled (for the sweep)."""
    pending = sa.select(Outreach.id).where(Outreach.state == MessageState.PENDING)
    refresh_states(session, session.scalars(pending).all(), now=now)


def refresh_states(session: Session, outreach_ids: Iterable[int], *, now: datetime) -> None:
    """Bring each letter's state (and when it finished) in line with its copies; a letter
    without copies is left as it is."""
    figures = {i: f for i, f in outreach_progress(session, outreach_ids).items() if f.total}
    if not figures:
        return
    letters = session.scalars(sa.select(Outreach).where(Outreach.id.in_(list(figures)))).all()
    for letter in letters:
        state = figures[letter.id].state
        if state == MessageState.PENDING:
            letter.finished_at = None
        elif letter.state == MessageState.PENDING or letter.finished_at is None:
            letter.finished_at = now
        letter.state = state
