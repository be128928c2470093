"""Walk-ins: matching them to registrations (after an import, or by an organiser's hand) and
listing them for organisers.

A walk-in is someone in the meeting whom no registration matched (`attendance.services`
records them); an organiser who knows who it is matches them, and the evidence then counts
for that registration, now and for later joins or report rows with the same identity.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.attendance.services import SOURCE_MANUAL, Participant, match_registration, recompute_owner
from panel_app.models import Event, Registration, RegistrationStatus
from panel_app.models.attendance import AttendanceSession, WalkIn


def walk_ins(session: Session, event: Event) -> list[WalkIn]:
    """People in the meeting whom no registration matched (yet), earliest first."""
    return list(session.scalars(
        sa.select(WalkIn).where(WalkIn.event_id == event.id, WalkIn.matched_registration_id.is_(None))
        .order_by(WalkIn.first_joined_at.is_(None), WalkIn.first_joined_at, WalkIn.id)
    ))


def matched_walk_ins(session: Session, event: Event) -> list[tuple[WalkIn, Registration]]:
    """Walk-ins an organiser matched to a registration, with it."""
    rows = session.execute(
        sa.select(WalkIn, Registration).join(Registration, Registration.id == WalkIn.matched_registration_id)
        .where(WalkIn.event_id == event.id).order_by(Registration.last_name, Registration.first_name, WalkIn.id)
    )
    return [(walk_in, registration) for walk_in, registration in rows]


class MatchRefused(ValueError):
    """A walk-in cannot be matched to that registration; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def match_walk_in(session: Session, event: Event, walk_in: WalkIn, registration: Registration, *,
                  now: datetime) -> int:
    """An organiser says who a walk-in is: their stays move to `registration`, whose attendance
    is recomputed from the evidence (this replaces an earlier mark by hand), and later joins or
    report rows with the walk-in's identity count for the registration too. Returns the number
    of stays moved. Raises MatchRefused ("other_event", "already_matched", "not_confirmed").
    """
    if walk_in.event_id != event.id or registration.event_id != event.id:
        raise MatchRefused("other_event")
    if walk_in.matched_registration_id is not None:
        raise MatchRefused("already_matched")
    if registration.status != RegistrationStatus.CONFIRMED:
        raise MatchRefused("not_confirmed")
    moved = session.execute(
        sa.update(AttendanceSession).where(AttendanceSession.walk_in_id == walk_in.id)
        .values(registration_id=registration.id, walk_in_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    walk_in.matched_registration_id = registration.id
    walk_in.attended_minutes = 0
    walk_in.first_joined_at = None
    if registration.attendance_source == SOURCE_MANUAL:
        registration.attendance_source = None  # the organiser now points at evidence: it decides
    session.flush()
    recompute_owner(session, event, registration, None, now=now)
    return moved


def rematch_walk_ins(session: Session, event: Event, *, now: datetime) -> int:
    """Move walk-in stays to a registration that now matches (e.g. imported after the meeting)."""
    moved = 0
    for walk_in in list(session.scalars(sa.select(WalkIn).where(WalkIn.event_id == event.id,
                                                                WalkIn.matched_registration_id.is_(None)))):
        rows = list(session.scalars(sa.select(AttendanceSession).where(AttendanceSession.walk_in_id == walk_in.id)))
        registration = None
        for row in rows:
            registration = match_registration(session, event, Participant(
                name=row.name, email=row.email, registrant_id=row.registrant_id or ""))
            if registration is not None:
                break
        if registration is None:
            continue
        for row in rows:
            row.registration_id, row.walk_in_id = registration.id, None
        session.delete(walk_in)
        session.flush()
        recompute_owner(session, event, registration, None, now=now)
        moved += 1
    return moved
