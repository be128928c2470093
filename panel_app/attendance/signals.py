"""Signals of the attendance feature. Receivers run inside the transaction (add rows, schedule
work with `after_commit`; no I/O)."""

from blinker import Namespace

_signals = Namespace()

#: sender: the Registration or WalkIn whose attendance summary (attended, first join,
#: minutes) changed, from Zoom's evidence or an organiser's mark.
attendance_recorded = _signals.signal("attendance-recorded")
