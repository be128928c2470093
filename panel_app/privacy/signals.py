"""Signals for features that keep their own copies of personal data.

`personal_data_erasing(registration, session=...)` is sent just before a registration is
anonymised, with its data still readable, inside the caller's transaction. Receivers blank
their own copies (flush, no commit, no I/O) when `services._erase_linked_copies` does not
already cover their table.
"""

from blinker import Namespace

_signals = Namespace()

personal_data_erasing = _signals.signal("personal-data-erasing")
