"""Signals of the mail feature.

`delivery_due` is sent after a transaction that queued mail has committed, with the id of
the registration whose messages are due (or None: anything may be due). `mail/jobs.py`
connects the receiver that enqueues the delivery job, so the services never import the
queue. Nothing is lost when no receiver is connected: the reconcile sweep sends every row
still pending.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: registration id (int) or None. Sent after commit; receivers only enqueue jobs.
delivery_due = _signals.signal("mail-delivery-due")
