"""Deprecated: the hand-over from the console's current group-message code to the mail pipeline.

The console still records a group message's recipients in `group_message_recipients` and
enqueues `send_group_message`. These jobs turn those rows into notification rows
(`mail.services.queue_group_message`), delete them, and let the one mail pipeline deliver
the copies. Once the console calls `queue_group_message` itself, this module, the
`MessageRecipient` model and its table go.
"""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.mail import services as mail_services
from panel_app.models import GroupMessage, MessageRecipient, Notification, utcnow
from panel_app.queue import crontab, queue


def hand_over(message_id: int) -> int:
    """Move the message's recorded recipients to notification rows (idempotent); commits.
    Returns how many recipients the message has."""
    message = db.session.get(GroupMessage, message_id)
    if message is None:
        return 0
    recipients = sa.select(MessageRecipient.registration_id).where(
        MessageRecipient.message_id == message_id, MessageRecipient.registration_id.is_not(None))
    count = mail_services.queue_group_message(db.session, message, db.session.scalars(recipients), now=utcnow())
    db.session.execute(sa.delete(MessageRecipient).where(MessageRecipient.message_id == message_id))
    db.session.commit()
    return count


@queue.task()
def send_group_message(message_id: int) -> int:
    """Job: hand the message over to the mail pipeline and deliver what is due; returns how
    many of its copies this run sent (copies that failed are retried by the pipeline)."""
    hand_over(message_id)
    report = mail_services.deliver_until_done(db.session, now_fn=utcnow)
    if not report.ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.id.in_(report.ids), Notification.group_message_id == message_id)
    )


@queue.periodic_task(crontab(minute="*/5"))
def sweep_group_messages() -> None:
    """Hand over messages whose job was lost (the mail sweep then sends their copies)."""
    for message_id in db.session.scalars(sa.select(MessageRecipient.message_id).distinct()).all():
        hand_over(message_id)
