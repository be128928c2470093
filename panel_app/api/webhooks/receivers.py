"""Signal listeners: registration, attendance and event changes become webhook messages.

They run inside the transaction that made the change (the services send their signals
there) and only note what to announce (`services.announce`): the message is written as the
transaction commits, and the delivery job is enqueued after the commit. Payload `data` is the
resource as the API's GET shows it:

- registration.created / .changed / .cancelled: {"registration": Registration, "changed":
  [field names], "previous_status": the status before, or null};
- attendance.recorded: {"attendance": Attendance} for a registrant, {"walk_in": WalkIn} for
  someone who joined without registering;
- event.changed: {"event": Event, "change": "created" | "updated" | "published" |
  "cancelled", "changed": [field names]}.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, object_session

from panel_app.api import resources
from panel_app.api.schemas import AttendanceSchema, EventSchema, RegistrationSchema, WalkInSchema
from panel_app.api.webhooks import services
from panel_app.attendance.signals import attendance_recorded
from panel_app.events.signals import event_changed
from panel_app.models import Event, Registration, RegistrationStatus, WalkIn, utcnow
from panel_app.privacy.signals import personal_data_erasing
from panel_app.registration import signals as registration_signals

_registration = RegistrationSchema()
_event = EventSchema()
_attendance = AttendanceSchema()
_walk_in = WalkInSchema()


def _announce_registration(registration: Registration, event_type: str, changed=(), previous=None) -> None:
    session = object_session(registration)
    if session is None:
        return

    def data() -> dict:
        return {"registration": _registration.dump(registration), "changed": sorted(changed),
                "previous_status": previous}

    services.announce(session, event_type, data, now=utcnow(), registration_id=registration.id,
                      event_id=registration.event_id)


def _on_created(registration: Registration, **_) -> None:
    _announce_registration(registration, "registration.created")


def _on_status_changed(registration: Registration, previous: str | None = None, **_) -> None:
    cancelled = registration.status == RegistrationStatus.CANCELLED
    _announce_registration(registration, "registration.cancelled" if cancelled else "registration.changed",
                           changed=("status",), previous=previous)


def _on_fields_changed(registration: Registration, changed=(), **_) -> None:
    _announce_registration(registration, "registration.changed", changed=tuple(changed or ()))


def _on_attendance(owner, **_) -> None:
    session = object_session(owner)
    if session is None:
        return
    if isinstance(owner, Registration):
        registration = owner

        def data() -> dict:
            return {"attendance": _attendance.dump(resources.attendance(session, registration, now=utcnow()))}

        services.announce(session, "attendance.recorded", data, now=utcnow(), registration_id=owner.id,
                          event_id=owner.event_id)
    elif isinstance(owner, WalkIn):
        walk_in = owner

        def data() -> dict:
            event = session.get(Event, walk_in.event_id)
            return {"walk_in": _walk_in.dump(resources.walk_in(walk_in, event.slug))}

        services.announce(session, "attendance.recorded", data, now=utcnow(), event_id=owner.event_id)


def _on_event_changed(event: Event, change: str = "updated", fields=(), **_) -> None:
    session = object_session(event)
    if session is None:
        return

    def data() -> dict:
        return {"event": _event.dump(resources.event_views(session, [event])[0]), "change": change,
                "changed": sorted(fields)}

    services.announce(session, "event.changed", data, now=utcnow(), event_id=event.id)


def _on_erasing(registration: Registration, session=None, **_) -> None:
    services.erase_personal_copies(session or object_session(registration), registration.id)


def connect() -> None:
    """Connect the listeners (idempotent: blinker keeps one connection per receiver)."""
    registration_signals.registration_created.connect(_on_created, weak=False)
    registration_signals.registration_recorded_externally.connect(_on_created, weak=False)
    registration_signals.registration_status_changed.connect(_on_status_changed, weak=False)
    registration_signals.registration_languages_changed.connect(_on_fields_changed, weak=False)
    registration_signals.registration_details_changed.connect(_on_fields_changed, weak=False)
    attendance_recorded.connect(_on_attendance, weak=False)
    event_changed.connect(_on_event_changed, weak=False)
    personal_data_erasing.connect(_on_erasing, weak=False)
    services.install(Session)


connect()
