"""Delivering queued mail: claim, render, send, record; at least once, duplicates rare.

`deliver_due` is the one delivery loop (used by the jobs, the reconcile sweep and the
benchmark) for every kind of message, group messages and letters to directory contacts
included. It claims due rows with a compare-and-set UPDATE (state and attempt count) that
also sets a lease, commits the claims, renders, sends the batch over one SMTP connection,
and records each outcome as soon as the server answers, with a compare-and-set on the
claim. So two workers, or a job and the sweep, never both send a row, and a worker whose
lease ran out cannot overwrite a newer attempt.

Delivery is at least once: a worker that dies (or loses its database) after the SMTP server
accepted a message but before the outcome is committed leaves a claim whose lease expires,
and the message is sent again, with the same Message-ID and calendar UID/SEQUENCE, so mail
clients treat it as the same message. Recording each outcome right away (and once more on a
fresh connection if the first commit fails) keeps that window to one message.

Failed attempts back off exponentially (1 min, 2 min ... capped at 1 h), recorded on the row
(attempts, next attempt, last error); after MAIL_MAX_ATTEMPTS, or at once on a permanent
SMTP refusal, the row is `failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel_app.core.text import error_text
from panel_app.mail import groups, invite_state, messages, outreach
from panel_app.mail.sender import PermanentMailError, get_sender
from panel_app.models import Notification, NotificationState

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
BATCH_SIZE = 50


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.retrying += other.retrying
        self.failed += other.failed
        self.ids += other.ids


def _due_condition(now: datetime):
    return sa.or_(
        sa.and_(Notification.state == NotificationState.PENDING, Notification.next_attempt_at <= now),
        sa.and_(Notification.state == NotificationState.SENDING, Notification.lease_expires_at < now),
    )


def due_ids(session: Session, *, now: datetime, registration_id: int | None = None,
            limit: int = BATCH_SIZE) -> list[int]:
    """Due rows, at most one per recipient (oldest first), skipping recipients with a message
    in flight, so each person's messages go out in order. A recipient is a registration, or
    for letters from the directory a contact."""
    query = (sa.select(Notification.id, Notification.registration_id, Notification.contact_id)
             .where(_due_condition(now)).order_by(Notification.id))
    if registration_id is not None:
        query = query.where(Notification.registration_id == registration_id)
    rows = session.execute(query.limit(limit * 4)).all()
    if not rows:
        return []
    in_flight = sa.and_(Notification.state == NotificationState.SENDING, Notification.lease_expires_at >= now)
    busy: set[tuple[str, int]] = set()
    registration_ids = {r.registration_id for r in rows if r.registration_id is not None}
    contact_ids = {r.contact_id for r in rows if r.contact_id is not None}
    if registration_ids:
        busy |= {("registration", i) for i in session.scalars(
            sa.select(Notification.registration_id).where(Notification.registration_id.in_(registration_ids),
                                                          in_flight))}
    if contact_ids:
        busy |= {("contact", i) for i in session.scalars(
            sa.select(Notification.contact_id).where(Notification.contact_id.in_(contact_ids), in_flight))}
    chosen: list[int] = []
    seen: set[tuple[str, int]] = set()
    for notification_id, reg_id, contact_id in rows:
        recipient = ("registration", reg_id) if reg_id is not None else ("contact", contact_id)
        if recipient in seen or recipient in busy:
            continue
        seen.add(recipient)
        chosen.append(notification_id)
        if len(chosen) >= limit:
            break
    return chosen


def claim(session: Session, notification_id: int, *, now: datetime, lease: timedelta) -> int | None:
    """Claim a due row for sending; returns the claim token (attempt number) or None.

    Compare-and-set: only one UPDATE can move a row from due to `sending`.
    """
    current = session.scalar(sa.select(Notification.attempts).where(Notification.id == notification_id))
    if current is None:
        return None
    result = session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.attempts == current, _due_condition(now))
        .values(state=NotificationState.SENDING, attempts=current + 1, lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return current + 1 if result.rowcount == 1 else None


def _record(session: Session, notification_id: int, token: int, values: dict) -> bool:
    """Record the outcome of attempt `token`; False (and nothing written) when the row is no
    longer that attempt's: its lease ran out and another worker claimed it since."""
    result = session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.state == NotificationState.SENDING,
            Notification.attempts == token,
        )
        .values(lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _lease_for(batch: int, config) -> timedelta:
    # Long enough for a live worker to finish the whole batch (one SMTP timeout per message
    # in the worst case), so only a dead worker's claim ever expires.
    timeout = float(config.get("MAIL_TIMEOUT") or 30)
    return timedelta(seconds=max(300.0, timeout * (batch + 2)))


def _commit_outcome(session: Session, write: Callable[[], str]) -> str:
    """Write one outcome and commit it; on a lost or busy connection, once more on a fresh one
    (the write is a compare-and-set, so repeating it is harmless). Left uncommitted, the
    message would be sent again once its lease expires."""
    try:
        result = write()
        session.commit()
        return result
    except sa.exc.DBAPIError as exc:
        session.rollback()
        if not (exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError)):
            raise
        log.warning("recording a mail outcome failed (%s); trying again", exc.__class__.__name__)
    result = write()
    session.commit()
    return result


def deliver_due(session: Session, *, now: datetime, registration_id: int | None = None,
                limit: int = BATCH_SIZE, sender=None, config=None) -> DeliveryReport:
    """Send one batch of due messages over one connection; commits its own progress.

    Call repeatedly (see `deliver_until_done`) to drain everything due.
    """
    config = config or current_app.config
    report = DeliveryReport()
    ids = due_ids(session, now=now, registration_id=registration_id, limit=limit)
    session.commit()
    if not ids:
        return report
    lease = _lease_for(len(ids), config)
    claims: dict[int, int] = {}
    for notification_id in ids:
        token = claim(session, notification_id, now=now, lease=lease)
        if token is not None:
            claims[notification_id] = token
    session.commit()  # the claims are visible to every other worker before anything is sent
    if not claims:
        return report

    # Load the claimed rows afresh (registration and event come joined) in one query, and
    # render them together: the batch shares one look-up of previous invites and the parts
    # every registrant of an event gets (see messages.render_batch).
    loaded = session.scalars(
        sa.select(Notification).where(Notification.id.in_(list(claims)))
        .execution_options(populate_existing=True)
    ).all()
    by_id = {n.id: n for n in loaded}
    batch = [by_id[i] for i in claims if i in by_id]
    group_ids = {n.group_message_id for n in batch if n.group_message_id is not None}
    outreach_ids = {n.outreach_id for n in batch if n.outreach_id is not None}
    failed_render: set[int] = set()

    def on_error(notification, exc):  # a rendering bug must not block the rest of the batch
        log.error("cannot render notification %s", notification.id, exc_info=exc)
        _fail_attempt(session, notification, claims[notification.id], f"render: {exc}", now, config, permanent=False)
        failed_render.add(notification.id)
        report.retrying += 1

    rendered: dict[int, messages.Rendered] = {}
    results = messages.render_batch(session, batch, now=now, config=config, on_error=on_error)
    for notification, result in zip(batch, results, strict=True):
        if notification.id in failed_render:
            continue
        if result is None:
            if _record(session, notification.id, claims[notification.id], {"state": NotificationState.SKIPPED}):
                invite_state.skipped(session, notification)
            report.skipped += 1
        else:
            rendered[notification.id] = result
    session.commit()

    if rendered:
        order = list(rendered)

        def on_result(index: int, outcome) -> None:
            notification_id = order[index]
            settled = _commit_outcome(session, lambda: _settle(session, notification_id, claims[notification_id],
                                                               rendered[notification_id], outcome, now, config))
            setattr(report, settled, getattr(report, settled) + 1)
            if settled == "sent":
                report.ids.append(notification_id)

        (sender or get_sender()).send_many([rendered[i].message for i in order], on_result=on_result)
    if group_ids:
        groups.refresh_states(session, group_ids, now=now)
    if outreach_ids:
        outreach.refresh_states(session, outreach_ids, now=now)
    if group_ids or outreach_ids:
        session.commit()
    return report


def _settle(session: Session, notification_id: int, token: int, result: messages.Rendered, outcome, now: datetime,
            config) -> str:
    """Record what the server said about one message (None: accepted); returns the report
    field it counts in."""
    notification = session.get(Notification, notification_id, populate_existing=True)
    if outcome is None:
        values = {"state": NotificationState.SENT, "sent_at": now, "last_error": None}
        if result.method:
            values.update(sequence_sent=result.sequence, fingerprint=result.fingerprint)
        if _record(session, notification_id, token, values):
            invite_state.sent(notification, attempts=token, sequence=result.sequence)
        return "sent"
    permanent = isinstance(outcome, PermanentMailError)
    return "failed" if _fail_attempt(session, notification, token, str(outcome), now, config,
                                     permanent=permanent) else "retrying"


def deliver_until_done(session: Session, *, now_fn, registration_id: int | None = None, max_batches: int = 100,
                       sender=None, config=None) -> DeliveryReport:
    """Drain due messages batch after batch (bounded, so a periodic job ends in time)."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(session, now=now_fn(), registration_id=registration_id, sender=sender, config=config)
        total.add(report)
        if not (report.sent or report.skipped or report.retrying or report.failed):
            break
        if report.retrying and not (report.sent or report.skipped):
            break  # the server is refusing: wait for the backoff instead of spinning
    return total


def _fail_attempt(session: Session, notification: Notification, token: int, error: str, now: datetime, config,
                  *, permanent: bool) -> bool:
    """Record a failed attempt; returns True when the message is given up (failed)."""
    budget = int(config.get("MAIL_MAX_ATTEMPTS") or 10)
    give_up = permanent or token >= budget
    next_at = None if give_up else now + backoff(token)
    error = error_text(error)
    values = {"last_error": error}
    if give_up:
        values["state"] = NotificationState.FAILED
    else:
        values.update(state=NotificationState.PENDING, next_attempt_at=next_at)
    if _record(session, notification.id, token, values):
        invite_state.failed_attempt(notification, attempts=token, error=error, next_attempt_at=next_at)
    recipient = (f"registration {notification.registration_id}" if notification.registration_id is not None
                 else f"contact {notification.contact_id}")
    log.warning("mail %s to %s failed (attempt %s%s): %s", notification.id, recipient, token,
                ", giving up" if give_up else "", error)
    return give_up
