"""Signals for features that keep their own copies of personal data.

`personal_data_erasing(registration, session=...)` is sent just before a registration is
anonymised, with its data still readable, inside the caller's transaction. Receivers clean
the state their feature keeps about the person (flush, no commit, no I/O; schedule outside
calls with `after_commit`); for example mail drops what was waiting to be sent to the person
and its stored errors (`mail/receivers.py`).
"""

from blinker import Namespace

_signals = Namespace()

personal_data_erasing = _signals.signal("personal-data-erasing")
