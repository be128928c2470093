"""Signal of the webhook feature: deliveries are due (sent after the commit that queued them).

`jobs.py` connects the receiver that enqueues the delivery job, so the services never import
the queue. Nothing is lost when no receiver is connected: the sweep every minute sends every
delivery still due.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: a message key ("msg_...") whose deliveries are due, or None (any may be due).
deliveries_due = _signals.signal("webhook-deliveries-due")
