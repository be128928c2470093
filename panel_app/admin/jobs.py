"""Queue jobs for organisers' group messages: send to the recipients still pending.

The recipient rows are the source of truth: a lost or repeated job sends only what is
still pending, and a periodic sweep picks up messages whose job never ran.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import Event, GroupMessage, MessageRecipient, MessageState, utcnow
from panel_app.queue import crontab, queue

log = logging.getLogger(__name__)

#: Messages handed to the sender at once (one SMTP connection per batch).
BATCH = 50
#: Attempts per recipient before a temporary failure counts as final.
MAX_ATTEMPTS = 5
#: How long a job may hold a batch of copies before another job may take them over.
CLAIM_LEASE = timedelta(minutes=30)


class MessageNotFinished(Exception):
    """Some copies failed temporarily; raised so the queue runs the job again later."""


def _format_address(name: str, email: str):
    from email.headerregistry import Address

    try:
        return Address(display_name=name, addr_spec=email) if name else email
    except (ValueError, IndexError):
        return email


def send_pending(message_id: int) -> int:
    """Send the message to every recipient still pending, batch by batch.

    Returns how many copies went out. Each batch is committed as soon as the sender answers,
    so a crash or retry never mails anyone twice. Permanent refusals (5xx) are final at once;
    temporary ones are retried up to MAX_ATTEMPTS (raises MessageNotFinished meanwhile).
    """
    from panel_app.mail.compose import simple_message
    from panel_app.mail.sender import PermanentMailError, get_sender

    message = db.session.get(GroupMessage, message_id)
    if message is None:
        return 0
    event = db.session.get(Event, message.event_id)
    reply_to = event.organiser_email if event is not None and event.organiser_email else None
    sender = get_sender()
    sent = 0
    retry_later = False
    last_id = 0
    while True:
        batch, last_id = _claim_batch(message.id, last_id)
        if last_id is None:
            break
        emails, sendable = [], []
        for r in batch:
            try:
                emails.append(simple_message(to=_format_address(r.name, r.email), subject=message.subject,
                                             text=message.body, reply_to=reply_to))
            except ValueError:
                # e.g. an address blanked by an erasure since the message was written: this
                # copy can never go out, and it must not hold back everyone else's.
                r.attempts += 1
                r.state = MessageState.FAILED
                r.last_error = "not a valid email address"
                continue
            sendable.append(r)
        outcomes = sender.send_many(emails) if emails else []
        now = utcnow()
        for recipient in batch:
            recipient.claim_token = recipient.claimed_until = None
        for recipient, outcome in zip(sendable, outcomes, strict=True):
            recipient.attempts += 1
            if outcome is None:
                recipient.state = MessageState.SENT
                recipient.sent_at = now
                recipient.last_error = None
                sent += 1
                continue
            recipient.last_error = str(outcome)[:2000]
            if isinstance(outcome, PermanentMailError) or recipient.attempts >= MAX_ATTEMPTS:
                recipient.state = MessageState.FAILED
            else:
                retry_later = True
        db.session.commit()
    _finish_if_done(message)
    db.session.commit()
    if retry_later:
        raise MessageNotFinished(f"group message {message_id}: some copies will be retried")
    return sent


def _claim_batch(message_id: int, after_id: int) -> tuple[list[MessageRecipient], int | None]:
    """Lease the next pending copies to this job and commit the lease before sending.

    Returns (claimed rows, id to continue after), or ([], None) when nothing is left. Rows
    another job holds under a live lease are skipped; an expired lease (crashed worker) is
    taken over.
    """
    now = utcnow()
    free = sa.or_(MessageRecipient.claimed_until.is_(None), MessageRecipient.claimed_until < now)
    ids = list(db.session.scalars(
        sa.select(MessageRecipient.id)
        .where(MessageRecipient.message_id == message_id, MessageRecipient.state == MessageState.PENDING,
               MessageRecipient.id > after_id, free)
        .order_by(MessageRecipient.id)
        .limit(BATCH)
    ))
    if not ids:
        return [], None
    token = secrets.token_hex(16)
    db.session.execute(
        sa.update(MessageRecipient)
        .where(MessageRecipient.id.in_(ids), MessageRecipient.state == MessageState.PENDING, free)
        .values(claim_token=token, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    claimed = list(db.session.scalars(
        sa.select(MessageRecipient).where(MessageRecipient.claim_token == token).order_by(MessageRecipient.id)
        .execution_options(populate_existing=True)
    ))
    return claimed, ids[-1]


def _finish_if_done(message: GroupMessage) -> None:
    counts = dict(db.session.execute(
        sa.select(MessageRecipient.state, sa.func.count())
        .where(MessageRecipient.message_id == message.id)
        .group_by(MessageRecipient.state)
    ).all())
    if counts.get(MessageState.PENDING, 0):
        return
    message.state = MessageState.FAILED if counts.get(MessageState.FAILED, 0) else MessageState.SENT
    message.finished_at = utcnow()


@queue.task(retries=MAX_ATTEMPTS, retry_delay=120)
def send_group_message(message_id: int) -> int:
    """Job: send an organiser's group message (see `send_pending`)."""
    return send_pending(message_id)


@queue.periodic_task(crontab(minute="*/15"))
def sweep_group_messages() -> None:
    """Re-enqueue messages still pending half an hour after they were written: their job was
    lost (the queue's own retries, MAX_ATTEMPTS × 2 minutes, are over by then)."""
    cutoff = utcnow() - timedelta(minutes=30)
    ids = list(db.session.scalars(
        sa.select(GroupMessage.id).where(GroupMessage.state == MessageState.PENDING, GroupMessage.created_at < cutoff)
    ))
    for message_id in ids:
        send_group_message.enqueue(message_id)
