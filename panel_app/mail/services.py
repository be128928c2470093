"""Queueing and delivering registrant mail; the rules of "sent once, never lost".

- `queue_message` adds a `Notification` row in the caller's transaction (and mirrors the
  invite state on the registration for the organiser console), and arranges for delivery
  to start once the transaction commits.
- `deliver_due` is the one delivery loop (used by the after-commit job, the reconcile
  sweep and the benchmark): it claims due rows with a compare-and-set UPDATE (state and
  attempt count) that also sets a lease, commits the claim, renders, sends the batch over
  one SMTP connection, then records each outcome with a compare-and-set on the claim.
  So two workers, or a job and the sweep, can never both send a row; a worker that dies
  mid-send leaves a lease that expires, and the row is sent again (same Message-ID, same
  UID/SEQUENCE, so clients treat it as the same message).
- Failed attempts back off exponentially (1 min, 2 min ... capped at 1 h), recorded on
  the row (attempts, next attempt, last error); after MAIL_MAX_ATTEMPTS, or at once on a
  permanent SMTP refusal, the row is `failed`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel_app.core.after_commit import after_commit
from panel_app.mail import messages
from panel_app.mail.sender import PermanentMailError
from panel_app.models import (
    Event,
    EventStatus,
    Notification,
    NotificationKind,
    NotificationState,
    Registration,
    RegistrationStatus,
    SyncState,
)

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
BATCH_SIZE = 50


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _enqueue_delivery(registration_id: int | None) -> None:
    from panel_app.mail import jobs

    if registration_id is None:
        jobs.deliver_all.enqueue()
    else:
        jobs.deliver_registration_mail.enqueue(registration_id)


def _schedule_delivery(session: Session, registration_id: int | None) -> None:
    """Enqueue a delivery job after commit (once per transaction and registration)."""
    from panel_app.core.after_commit import _KEY

    pending = session.info.get(_KEY, [])
    if any(fn is _enqueue_delivery and args in ((registration_id,), (None,)) for fn, args, _ in pending):
        return
    after_commit(session, _enqueue_delivery, registration_id)


def _touch_pending(session: Session, notification_id: int, now: datetime) -> bool:
    """Make an unsent message due now, if nobody has claimed it; True when it is still pending.

    Conditional UPDATE rather than a read: if a worker claims the row at the same time,
    exactly one of us wins (PostgreSQL re-checks the WHERE clause after the lock, SQLite
    serialises writers), so a change is never folded into a message already rendered.
    """
    result = session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.state == NotificationState.PENDING)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _mirror_invite_pending(registration: Registration, now: datetime) -> None:
    registration.invite_state = SyncState.PENDING
    registration.invite_attempts = 0
    registration.invite_next_attempt_at = now
    registration.invite_last_error = None


def queue_message(session: Session, registration: Registration, kind: str, *, now: datetime,
                  dedupe_key: str | None = None, deliver: bool = True) -> Notification | None:
    """Queue one message to a registrant (sent after the caller commits).

    Invite-carrying kinds fold into an invite of the same registration that is still
    waiting (it is rendered at send time, so it will carry the change); returns None then.
    """
    kind = NotificationKind(kind)
    if kind in messages.REQUEST_KINDS:
        waiting = session.scalars(
            sa.select(Notification.id).where(
                Notification.registration_id == registration.id,
                Notification.kind.in_([k.value for k in messages.REQUEST_KINDS]),
                Notification.state == NotificationState.PENDING,
            )
        ).all()
        if any(_touch_pending(session, notification_id, now) for notification_id in waiting):
            _mirror_invite_pending(registration, now)
            if deliver:
                _schedule_delivery(session, registration.id)
            return None
    notification = Notification(
        registration_id=registration.id,
        kind=kind,
        calendar_method="REQUEST" if kind in messages.REQUEST_KINDS else ("CANCEL" if kind in messages.CANCEL_KINDS else None),
        dedupe_key=dedupe_key,
        state=NotificationState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(notification)
    if kind in messages.CALENDAR_KINDS:
        _mirror_invite_pending(registration, now)
    session.flush()
    if deliver:
        _schedule_delivery(session, registration.id)
    return notification


def request_invite(session: Session, registration: Registration, *, now: datetime) -> Notification | None:
    """Send (again) the registrant's personal invite, after the caller commits.

    For the organiser console's "resend invite" and for the Zoom sync once a personal join
    link arrives. Only confirmed registrations of a live event get one (ValueError otherwise).
    The invite keeps its UID; its SEQUENCE goes up when its content changed (e.g. the
    personal link replaces the general one), else repeats with a new DTSTAMP.
    """
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValueError("only confirmed registrations receive an invite")
    if registration.event.status == EventStatus.CANCELLED:
        raise ValueError("the event is cancelled")
    return queue_message(session, registration, NotificationKind.INVITE, now=now)


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)

    def add(self, other: "DeliveryReport") -> None:
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


def due_ids(session: Session, *, now: datetime, registration_id: int | None = None, limit: int = BATCH_SIZE) -> list[int]:
    """Due rows, at most one per registration (oldest first), skipping registrations with a
    message in flight, so each registrant's messages go out in order."""
    query = sa.select(Notification.id, Notification.registration_id).where(_due_condition(now)).order_by(Notification.id)
    if registration_id is not None:
        query = query.where(Notification.registration_id == registration_id)
    rows = session.execute(query.limit(limit * 4)).all()
    if not rows:
        return []
    busy = set(
        session.scalars(
            sa.select(Notification.registration_id).where(
                Notification.registration_id.in_({r.registration_id for r in rows}),
                Notification.state == NotificationState.SENDING,
                Notification.lease_expires_at >= now,
            )
        )
    )
    chosen: list[int] = []
    seen: set[int] = set()
    for notification_id, reg_id in rows:
        if reg_id in seen or reg_id in busy:
            continue
        seen.add(reg_id)
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


def deliver_due(session: Session, *, now: datetime, registration_id: int | None = None,
                limit: int = BATCH_SIZE, sender=None, config=None) -> DeliveryReport:
    """Send one batch of due messages over one connection; commits its own progress.

    Call repeatedly (see `deliver_until_done`) to drain everything due.
    """
    from panel_app.mail.sender import get_sender

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

    rendered: dict[int, messages.Rendered] = {}
    # Load the claimed rows afresh (registration and event come joined) in one query, and
    # render them together: the batch shares one look-up of previous invites and the parts every
    # registrant of an event gets (see messages.render_batch).
    loaded = session.scalars(
        sa.select(Notification).where(Notification.id.in_(list(claims)))
        .execution_options(populate_existing=True)
    ).all()
    by_id = {n.id: n for n in loaded}
    batch = [by_id[i] for i in claims if i in by_id]
    failed_render: set[int] = set()

    def on_error(notification, exc):  # a rendering bug must not block the rest of the batch
        log.error("cannot render notification %s", notification.id, exc_info=exc)
        _fail_attempt(session, notification, claims[notification.id], f"render: {exc}", now, config, permanent=False)
        failed_render.add(notification.id)
        report.retrying += 1

    results = messages.render_batch(session, batch, now=now, config=config, on_error=on_error)
    for notification, result in zip(batch, results):
        notification_id = notification.id
        if notification_id in failed_render:
            continue
        if result is None:
            if _record(session, notification_id, claims[notification_id], {"state": NotificationState.SKIPPED}):
                _mirror_skipped(session, notification)
            report.skipped += 1
        else:
            rendered[notification_id] = result
    session.commit()
    if not rendered:
        return report

    sender = sender or get_sender()
    order = list(rendered)
    outcomes = sender.send_many([rendered[i].message for i in order])
    for notification_id, outcome in zip(order, outcomes):
        notification = session.get(Notification, notification_id, populate_existing=True)
        token = claims[notification_id]
        if outcome is None:
            result = rendered[notification_id]
            values = {"state": NotificationState.SENT, "sent_at": now, "last_error": None}
            if result.method:
                values.update(sequence_sent=result.sequence, fingerprint=result.fingerprint)
            if _record(session, notification_id, token, values):
                _mirror_sent(notification, result, token)
            report.sent += 1
            report.ids.append(notification_id)
        else:
            failed = _fail_attempt(session, notification, token, str(outcome), now, config,
                                   permanent=isinstance(outcome, PermanentMailError))
            if failed:
                report.failed += 1
            else:
                report.retrying += 1
    session.commit()
    return report


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
    next_at = now + backoff(token)
    values = {"last_error": error[:2000]}
    if give_up:
        values["state"] = NotificationState.FAILED
    else:
        values.update(state=NotificationState.PENDING, next_attempt_at=next_at)
    if _record(session, notification.id, token, values) and notification.kind in messages.CALENDAR_KINDS:
        registration = notification.registration
        registration.invite_attempts = token
        registration.invite_last_error = error[:2000]
        registration.invite_next_attempt_at = None if give_up else next_at
        registration.invite_state = SyncState.FAILED if give_up else SyncState.PENDING
    log.warning("mail %s to registration %s failed (attempt %s%s): %s", notification.id,
                notification.registration_id, token, ", giving up" if give_up else "", error)
    return give_up


def _mirror_sent(notification: Notification, result: messages.Rendered, token: int) -> None:
    if notification.kind not in messages.CALENDAR_KINDS:
        return
    registration = notification.registration
    registration.invite_state = SyncState.DONE
    registration.invite_attempts = token
    registration.invite_next_attempt_at = None
    registration.invite_last_error = None
    if result.method:
        registration.invite_sequence = result.sequence


def _mirror_skipped(session: Session, notification: Notification) -> None:
    if notification.kind not in messages.CALENDAR_KINDS:
        return
    registration = notification.registration
    others = session.scalar(
        sa.select(sa.func.count()).where(
            Notification.registration_id == registration.id,
            Notification.id != notification.id,
            Notification.kind.in_([k.value for k in messages.CALENDAR_KINDS]),
            Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING]),
        )
    )
    if not others and registration.invite_state == SyncState.PENDING:
        registration.invite_state = SyncState.DONE if registration.invite_sequence is not None else SyncState.NONE
        registration.invite_next_attempt_at = None


def reminder_offsets(config) -> list[int]:
    """Configured reminder offsets in hours, largest first (REMINDER_OFFSETS_HOURS)."""
    raw = str(config.get("REMINDER_OFFSETS_HOURS") or "")
    hours = set()
    for piece in raw.split(","):
        piece = piece.strip()
        if piece:
            value = int(piece)
            if value <= 0:
                raise ValueError("REMINDER_OFFSETS_HOURS takes positive whole hours, e.g. 24,1")
            hours.add(value)
    return sorted(hours, reverse=True)


def schedule_reminders(session: Session, *, now: datetime, config=None) -> int:
    """Queue the reminders now due (each offset once per registration and start time).

    Reminder H is due from H hours before the start until the next smaller reminder is due
    (nobody gets the 24 h and the 1 h reminder together), and is not sent to people whose
    seat was confirmed after it became due (their confirmation just told them).
    """
    config = config or current_app.config
    offsets = reminder_offsets(config)
    if not offsets:
        return 0
    horizon = now + timedelta(hours=offsets[0])
    events = session.scalars(
        sa.select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > now, Event.starts_at <= horizon)
    ).all()
    queued = 0
    for event in events:
        due = [h for h in offsets if event.starts_at - timedelta(hours=h) <= now]
        if not due:
            continue
        hours = min(due)  # the most recent window only
        window_start = event.starts_at - timedelta(hours=hours)
        key = f"reminder:{hours}h:{event.starts_at.strftime('%Y%m%dT%H%M%SZ')}"
        already = sa.select(Notification.id).where(
            Notification.registration_id == Registration.id, Notification.dedupe_key == key
        )
        registrations = session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.status_changed_at <= window_start,
                ~sa.exists(already),
            )
        ).all()
        for registration in registrations:
            queue_message(session, registration, NotificationKind.REMINDER, now=now, dedupe_key=key, deliver=False)
            queued += 1
    if queued:
        _schedule_delivery(session, None)
    return queued
