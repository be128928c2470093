"""What each Zoom notification changes here (run by a job, never in the request).

Registrant events keep our list and Zoom's in step when an organiser acts in Zoom's own
interface (or someone registers on Zoom directly); participant events are attendance
evidence; `*.ended` closes open stays and schedules the report import.

Payload shapes: Zoom's webhook reference ("Meetings" / "Webinars" events,
https://developers.zoom.us/docs/api/meetings/events/; types in zoom/rivet-javascript). Every
notification carries `event_ts` (milliseconds). Zoom also notifies the changes we make
ourselves through the API, late and in any order: a registrant notification older than the
latest change we know of for that registrant (`Registration.zoom_changed_at`) is ignored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.attendance import importer
from panel_app.attendance import services as attendance
from panel_app.attendance.importer import parse_zoom_time
from panel_app.core.text import error_text
from panel_app.models import Event, Registration, RegistrationStatus
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.registration import services as registration_services
from panel_app.zoom import reconcile, registrants

log = logging.getLogger(__name__)

REGISTRANT_EVENTS = {"registration_created", "registration_approved", "registration_cancelled",
                     "registration_denied"}
PARTICIPANT_EVENTS = {"participant_joined", "participant_left"}
HANDLED_EVENTS = {f"{kind}.{name}" for kind in ("meeting", "webinar")
                  for name in REGISTRANT_EVENTS | PARTICIPANT_EVENTS | {"ended"}}


def _text(value) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def event_time(message: dict) -> datetime | None:
    """The notification's `event_ts` (milliseconds since the epoch) as an instant."""
    value = message.get("event_ts")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 10**14:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def candidate_events(session: Session, kind: str, zoom_id) -> list[Event]:
    """Events linked to this meeting or webinar id, latest first (an id can be reused)."""
    zoom_id = _text(zoom_id)
    if not zoom_id:
        return []
    column = Event.zoom_webinar_id if kind == "webinar" else Event.zoom_meeting_id
    return list(session.scalars(sa.select(Event).where(column == zoom_id).order_by(Event.starts_at.desc(),
                                                                                   Event.id.desc())))


def event_for_instance(events: list[Event], started: datetime | None, at: datetime | None) -> Event | None:
    """The event whose window holds this instance's start (else, when Zoom gave no start, the
    join or leave instant); None when the session is none of ours."""
    for event in events:
        if started is not None and attendance.instance_in_window(event, started):
            return event
        if started is None and at is not None and attendance.point_in_window(event, at):
            return event
    return None


def process_delivery(session: Session, delivery_id: int, *, now: datetime, secret_key: str) -> None:
    """Apply a stored delivery once; failures are recorded and retried by the sweep. Commits."""
    delivery = session.get(ZoomWebhookDelivery, delivery_id)
    if delivery is None or delivery.processed_at is not None:
        return
    try:
        apply_event(session, delivery.event, delivery.payload if isinstance(delivery.payload, dict) else {},
                    now=now, secret_key=secret_key)
    except Exception as exc:  # noqa: BLE001 - kept for the sweep and for an operator to read
        session.rollback()
        delivery = session.get(ZoomWebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_error = error_text(f"{type(exc).__name__}: {exc}")
        session.commit()
        log.exception("zoom webhook delivery %s failed", delivery_id)
        return
    delivery.attempts += 1
    delivery.processed_at = now
    delivery.last_error = None
    session.commit()


def apply_event(session: Session, name: str, message: dict, *, now: datetime, secret_key: str) -> None:
    """Dispatch one notification body ({"event", "event_ts", "payload": {"object": ...}})."""
    kind, _, action = name.partition(".")
    payload = message.get("payload")
    obj = payload.get("object") if isinstance(payload, dict) else None
    if not isinstance(obj, dict):
        return
    events = candidate_events(session, kind, obj.get("id"))
    if not events:
        log.info("zoom %s for unknown %s %s ignored", name, kind, _text(obj.get("id"))[:40])
        return
    if action in REGISTRANT_EVENTS:
        registrant = obj.get("registrant")
        if isinstance(registrant, dict):
            _registrant_event(session, events, action, registrant, at=event_time(message), now=now,
                              secret_key=secret_key)
    elif action in PARTICIPANT_EVENTS:
        _participant_event(session, events, action, obj, now=now)
    elif action == "ended":
        _ended(session, events, obj, now=now)
    session.flush()


# -- registrants -----------------------------------------------------------------------------

def _find_registration(session: Session, events: list[Event], registrant: dict) -> Registration | None:
    ids = [event.id for event in events]
    rid = _text(registrant.get("id"))
    registration = session.scalar(sa.select(Registration).where(
        Registration.event_id.in_(ids), Registration.zoom_registrant_id == rid).limit(1))
    email = _text(registrant.get("email")).strip().casefold()
    if registration is None and email:
        registration = session.scalar(sa.select(Registration).where(
            Registration.event_id == events[0].id, Registration.email_normalized == email))
        if registration is not None and registration.zoom_registrant_id is None:
            # Our POST succeeded but its answer was lost: Zoom's notification tells us the id.
            registration.zoom_registrant_id = rid[:64]
    return registration


def _registrant_event(session: Session, events: list[Event], action: str, registrant: dict, *,
                      at: datetime | None, now: datetime, secret_key: str) -> None:
    if not _text(registrant.get("id")):
        return
    registration = _find_registration(session, events, registrant)
    if registration is None:
        if action in ("registration_created", "registration_approved"):
            reconcile.import_zoom_registrant(session, events[0], registrant, now=now, secret_key=secret_key)
        return
    known = registration.zoom_changed_at
    if at is None or (known is not None and at <= known):
        # An echo of our own change, or older than what we know: applying it would undo newer state.
        log.info("zoom %s for registration %s ignored: not newer than %s", action, registration.id, known)
        registrants.settle(registration)
        return
    registration.zoom_changed_at = at
    actor = "zoom"
    # Record Zoom's side first, so the status-change listener does not push the same change back.
    if action in ("registration_created", "registration_approved"):
        status = _text(registrant.get("status")) or "approved"  # "approved" carries no status: approved
        registrants.record_zoom_status(registration, status)
        if status == registrants.APPROVED:
            registrants.record_join_url(session, registration, _text(registrant.get("join_url")), now)
            if registration.status == RegistrationStatus.PENDING:
                registration_services.approve(session, registration, now=now, actor=actor)
    elif action == "registration_cancelled":
        registrants.record_zoom_status(registration, registrants.DENIED)  # Zoom lists cancelled people as denied
        if registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING,
                                   RegistrationStatus.WAITLISTED):
            registration_services.cancel(session, registration, now=now, actor=actor)
    elif action == "registration_denied":
        registrants.record_zoom_status(registration, registrants.DENIED)
        if registration.status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
            registration_services.decline(session, registration, now=now, actor=actor)
        elif registration.status == RegistrationStatus.CONFIRMED:
            registration_services.cancel(session, registration, now=now, actor=actor)
    if registrants.needs_zoom_work(registration):
        registrants.mark_pending(session, registration, now)  # ours and Zoom's differ: our record wins
    else:
        registrants.settle(registration)


# -- participants ----------------------------------------------------------------------------

def _participant_event(session: Session, events: list[Event], action: str, obj: dict, *, now: datetime) -> None:
    person = obj.get("participant")
    if not isinstance(person, dict):
        return
    at = parse_zoom_time(person.get("join_time" if action == "participant_joined" else "leave_time"))
    if at is None:
        return
    started = parse_zoom_time(obj.get("start_time"))
    event = event_for_instance(events, started, at)
    if event is None:
        log.info("zoom %s of a session outside every event's window ignored", action)
        return
    uuid = _text(obj.get("uuid"))
    attendance.note_instance(session, event, uuid, started_at=started)
    # For people outside the host's account Zoom leaves `id` / `participant_user_id` blank and
    # often the email too; `registrant_id` is what identifies a registrant who joined with their link.
    participant = attendance.Participant(
        name=_text(person.get("user_name")), email=_text(person.get("email")),
        registrant_id=_text(person.get("registrant_id")),
        user_id=_text(person.get("participant_user_id")) or _text(person.get("id")),
        participant_uuid=_text(person.get("participant_uuid")),
    )
    if action == "participant_joined":
        attendance.record_point(session, event, participant, meeting_uuid=uuid, joined_at=at, now=now)
    else:
        attendance.record_point(session, event, participant, meeting_uuid=uuid, left_at=at, now=now)


def _ended(session: Session, events: list[Event], obj: dict, *, now: datetime) -> None:
    started = parse_zoom_time(obj.get("start_time"))
    ended = parse_zoom_time(obj.get("end_time")) or now
    event = event_for_instance(events, started, ended)
    if event is None:
        return
    attendance.note_instance(session, event, _text(obj.get("uuid")), started_at=started, ended_at=ended)
    attendance.recompute_event(session, event, now=now)
    importer.schedule_import(session, event, at=ended + importer.FIRST_DELAY)
