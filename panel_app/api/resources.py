"""Resources as the API shows them, built for the views and for webhook payloads alike (so a
webhook's `data` is exactly what a GET of the same resource answers)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.api.schemas import EventView
from panel_app.attendance import services as attendance_services
from panel_app.models import Event, Registration, RegistrationStatus, WalkIn
from panel_app.registration.services import free_seats


def event_views(session: Session, events: list[Event]) -> list[EventView]:
    """Events with their registrations per status (one grouped query for them all)."""
    counts = {e.id: {s.value: 0 for s in RegistrationStatus} for e in events}
    if events:
        rows = session.execute(
            sa.select(Registration.event_id, Registration.status, sa.func.count())
            .where(Registration.event_id.in_(counts)).group_by(Registration.event_id, Registration.status))
        for event_id, status, count in rows:
            counts[event_id][status] = count
    return [EventView(event=e, registrations=counts[e.id],
                      free_seats=free_seats(e.capacity, counts[e.id][RegistrationStatus.CONFIRMED])) for e in events]


def attendance(session: Session, registration: Registration, *, now: datetime) -> dict:
    """A registration's attendance: the summary and each (merged) stay in the meeting."""
    stays = attendance_services.sessions_of(session, registration, now=now)
    return {
        "registration_id": registration.id, "event": registration.event.slug, "timezone": registration.event.timezone,
        "attended": registration.attended, "first_joined_at": registration.first_joined_at,
        "attended_minutes": registration.attended_minutes, "source": registration.attendance_source,
        "stays": [{"joined_at": joined, "left_at": left} for joined, left in stays],
    }


def walk_in(walk_in: WalkIn, event_slug: str) -> dict:
    return {"id": walk_in.id, "event": event_slug, "name": walk_in.name, "email": walk_in.email,
            "first_joined_at": walk_in.first_joined_at, "attended_minutes": walk_in.attended_minutes}
