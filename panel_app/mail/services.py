"""The mail feature's services, in one place for the rest of the app.

- queueing (`queueing.py`): a `Notification` row per message, added in the caller's
  transaction; delivery starts after the commit.
- group messages (`groups.py`): an organiser's message as one notification per recipient,
  and the console's progress figures.
- delivery (`delivery.py`): the one pipeline that claims, renders, sends and records every
  kind of message, with leases, retries and a stable Message-ID (at least once).
- letters to directory contacts (`outreach.py`): one notification per contact, progress;
  rendered by `letters.py`.
- reminders (`reminders.py`) before each event.

Invite state on the registration row is written only by `invite_state.py`.
"""

from panel_app.mail.delivery import (
    BATCH_SIZE,
    DeliveryReport,
    backoff,
    claim,
    deliver_due,
    deliver_until_done,
    due_ids,
)
from panel_app.mail.groups import Progress, group_message_progress, queue_group_message
from panel_app.mail.groups import refresh_unfinished as refresh_unfinished_groups
from panel_app.mail.outreach import outreach_progress, queue_outreach
from panel_app.mail.outreach import refresh_unfinished as refresh_unfinished_letters
from panel_app.mail.queueing import personal_link_arrived, queue_message, request_invite
from panel_app.mail.reminders import reminder_offsets, schedule_reminders


def refresh_unfinished(session, *, now) -> None:
    """Settle group messages and letters whose copies are all settled (for the sweep)."""
    refresh_unfinished_groups(session, now=now)
    refresh_unfinished_letters(session, now=now)


__all__ = [
    "BATCH_SIZE",
    "DeliveryReport",
    "Progress",
    "backoff",
    "claim",
    "deliver_due",
    "deliver_until_done",
    "due_ids",
    "personal_link_arrived",
    "group_message_progress",
    "outreach_progress",
    "queue_outreach",
    "queue_group_message",
    "queue_message",
    "refresh_unfinished",
    "reminder_offsets",
    "request_invite",
    "schedule_reminders",
]
