"""Signals other features subscribe to (mail, Zoom sync, audit), so registration rules stay
free of their I/O. Receivers run inside the transaction: they may update the row and
schedule work with `after_commit`, never send anything directly.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: Registration (new or re-opened). kwargs: none.
registration_created = _signals.signal("registration-created")
#: sender: Registration. kwargs: previous (old status string), actor (str or None).
registration_status_changed = _signals.signal("registration-status-changed")
#: sender: Registration whose interpretation or email language the registrant changed.
#: kwargs: changed (set of field names).
registration_languages_changed = _signals.signal("registration-languages-changed")
#: sender: Registration that already exists for the email submitted again.
duplicate_registration_attempted = _signals.signal("duplicate-registration-attempted")
#: sender: Registration recorded from another system (e.g. someone who registered on Zoom
#: directly), which already wrote to them. kwargs: source (str, e.g. "zoom").
registration_recorded_externally = _signals.signal("registration-recorded-externally")
#: sender: Registration whose details the registrant corrected (not email, not languages).
#: kwargs: changed (set of field names).
registration_details_changed = _signals.signal("registration-details-changed")
