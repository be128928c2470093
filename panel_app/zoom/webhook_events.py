"""What each Zoom notification changes here (run by a job, never in the request).

Registrant events keep our list and Zoom's in step when an organiser acts in Zoom's own
interface (or someone registers on Zoom directly); participant events are attendance
evidence; `*.ended` closes open stays and schedules the report import.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from panel_app.attendance import services as attendance
from panel_app.attendance.importer import parse_zoom_time
from panel_app.models import Event, Registration, RegistrationStatus, SyncState
from panel_app.models.zoom import ZoomWebhookDelivery

log = logging.getLogger(__name__)

REGISTRANT_EVENTS = {"registration_created", "registration_approved", "registration_cancelled",
                     "registration_denied"}
PARTICIPANT_EVENTS = {"participant_joined", "participant_left"}
HANDLED_EVENTS = {f"{kind}.{name}" for kind in ("meeting", "webinar")
                  for name in REGISTRANT_EVENTS | PARTICIPANT_EVENTS | {"ended"}}
#: Zoom needs a little time after a meeting ends before its report is complete.
REPORT_DELAY = timedelta(minutes=15)


def find_event(session: Session, kind: str, zoom_id) -> Event | None:
    if zoom_id in (None, ""):
        return None
    column = Event.zoom_webinar_id if kind == "webinar" else Event.zoom_meeting_id
    return session.scalar(sa.select(Event).where(column == str(zoom_id)).order_by(Event.id.desc()).limit(1))


def process_delivery(session: Session, delivery_id: int, *, now: datetime) -> None:
    """Apply a stored delivery once; failures are recorded and retried by the sweep. Commits."""
    delivery = session.get(ZoomWebhookDelivery, delivery_id)
    if delivery is None or delivery.processed_at is not None:
        return
    delivery.attempts += 1
    try:
        apply_event(session, delivery.event, delivery.payload or {}, now=now)
    except Exception as exc:  # keep the delivery for the sweep and for an operator to read
        session.rollback()
        delivery = session.get(ZoomWebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        session.commit()
        log.exception("zoom webhook delivery %s failed", delivery_id)
        return
    delivery.processed_at = now
    delivery.last_error = None
    session.commit()


def apply_event(session: Session, name: str, message: dict, *, now: datetime) -> None:
    """Dispatch one notification body ({"event", "event_ts", "payload": {"object": ...}})."""
    kind, _, action = name.partition(".")
    obj = ((message.get("payload") or {}).get("object")) or {}
    if not isinstance(obj, dict):
        return
    event = find_event(session, kind, obj.get("id"))
    if event is None:
        log.info("zoom %s for unknown %s %s ignored", name, kind, obj.get("id"))
        return
    if action in REGISTRANT_EVENTS:
        _registrant_event(session, event, action, obj.get("registrant") or {}, now=now)
    elif action in PARTICIPANT_EVENTS:
        _participant_event(session, event, action, obj, now=now)
    elif action == "ended":
        _ended(session, event, obj, now=now)
    session.flush()


def _registrant_event(session: Session, event: Event, action: str, registrant: dict, *, now: datetime) -> None:
    from panel_app.registration import services as registration_services
    from panel_app.zoom import sync

    if not isinstance(registrant, dict) or not registrant.get("id"):
        return
    rid = str(registrant["id"])
    registration = session.scalar(sa.select(Registration).where(Registration.event_id == event.id,
                                                                Registration.zoom_registrant_id == rid))
    if registration is None and registrant.get("email"):
        registration = session.scalar(sa.select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == str(registrant["email"]).strip().casefold()))
        if registration is not None and registration.zoom_registrant_id is None:
            # Our POST succeeded but its answer was lost: Zoom's notification tells us the id.
            registration.zoom_registrant_id = rid
    if registration is None:
        if action in ("registration_created", "registration_approved"):
            sync.import_zoom_registrant(session, event, registrant, now=now,
                                        secret_key=current_app.config["SECRET_KEY"])
        return
    if registrant.get("join_url") and action in ("registration_created", "registration_approved") \
            and registrant.get("status", "approved") == "approved":
        sync._store_join_url(session, registration, registrant["join_url"], now)
    actor = "zoom"
    # Record the Zoom side as already in that state first, so the status-change receiver does
    # not push the same change back to Zoom.
    if action == "registration_approved":
        registration.zoom_synced_status = "approved"
        if registration.status == RegistrationStatus.PENDING:
            registration_services.approve(session, registration, now=now, actor=actor)
    elif action == "registration_cancelled":
        registration.zoom_synced_status = "cancel"
        if registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING,
                                   RegistrationStatus.WAITLISTED):
            registration_services.cancel(session, registration, now=now, actor=actor)
    elif action == "registration_denied":
        registration.zoom_synced_status = "deny"
        if registration.status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
            registration_services.decline(session, registration, now=now, actor=actor)
    if registration.zoom_state == SyncState.PENDING and not sync.needs_zoom_work(registration):
        registration.zoom_state = SyncState.DONE
        registration.zoom_next_attempt_at = None
        registration.zoom_last_error = None


def _participant_event(session: Session, event: Event, action: str, obj: dict, *, now: datetime) -> None:
    person = obj.get("participant") or {}
    if not isinstance(person, dict):
        return
    uuid = str(obj.get("uuid") or "")
    attendance.note_instance(session, event, uuid, started_at=parse_zoom_time(obj.get("start_time")))
    participant = attendance.Participant(
        name=str(person.get("user_name") or ""), email=str(person.get("email") or ""),
        registrant_id=str(person.get("registrant_id") or ""),
        user_id=str(person.get("participant_user_id") or person.get("id") or ""),
        participant_uuid=str(person.get("participant_uuid") or ""),
    )
    if action == "participant_joined":
        at = parse_zoom_time(person.get("join_time"))
        if at is not None:
            attendance.record_point(session, event, participant, meeting_uuid=uuid, joined_at=at, now=now)
    else:
        at = parse_zoom_time(person.get("leave_time"))
        if at is not None:
            attendance.record_point(session, event, participant, meeting_uuid=uuid, left_at=at, now=now)


def _ended(session: Session, event: Event, obj: dict, *, now: datetime) -> None:
    from panel_app.core.after_commit import after_commit
    from panel_app.zoom.jobs import import_attendance_job

    attendance.note_instance(session, event, str(obj.get("uuid") or ""),
                             started_at=parse_zoom_time(obj.get("start_time")),
                             ended_at=parse_zoom_time(obj.get("end_time")) or now)
    attendance.recompute_event(session, event, now=now)
    after_commit(session, import_attendance_job.enqueue, event.id, delay=REPORT_DELAY.total_seconds())
