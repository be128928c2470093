"""Signals of an event's life, so other features (outgoing webhooks) follow it without the
event services knowing them. Receivers run inside the transaction: they may add rows and
schedule work with `after_commit`, never send anything directly.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: Event. kwargs: change ("created", "updated", "published" or "cancelled"),
#: fields (tuple of the names that changed; empty but for "updated").
event_changed = _signals.signal("event-changed")
