"""The mail feature's services, in one place for the rest of the app.

- queueing (`queueing.py`): a `Notification` row per message, added in the caller's
  transaction; delivery starts after the commit.
- group messages (`groups.py`): an organiser's message as one notification per recipient,
  and the console's progress figures.
- delivery (`delivery.py`): the one pipeline that claims, renders, sends and records every
  kind of message, with leases, retries and a stable Message-ID (at least once).
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
from panel_app.mail.groups import Progress, group_message_progress, queue_group_message, refresh_unfinished
from panel_app.mail.queueing import personal_link_arrived, queue_message, request_invite
from panel_app.mail.reminders import reminder_offsets, schedule_reminders

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
    "queue_group_message",
    "queue_message",
    "refresh_unfinished",
    "reminder_offsets",
    "request_invite",
    "schedule_reminders",
]
