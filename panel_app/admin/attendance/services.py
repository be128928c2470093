"""Console rules for attendance: the overview, finding the registration a walk-in is, matching.

Attendance itself (stays, minutes, what counts) is `panel_app.attendance.services`; this adds
the console's look-ups and records organisers' matches in the audit log. Functions flush; the
view commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.admin.registrations.services import filtered
from panel_app.attendance import walk_ins as attendance
from panel_app.audit.services import record
from panel_app.models import Event, Registration, RegistrationStatus, User, WalkIn

CANDIDATES_MAX = 25


def walk_in(session: Session, event: Event, walk_in_id: int) -> WalkIn | None:
    found = session.get(WalkIn, walk_in_id)
    return found if found is not None and found.event_id == event.id else None


def suggested_search(found: WalkIn) -> str:
    """What to look for first: the name Zoom showed, else the address (a dial-in shows a number)."""
    words = (word.strip("()[]{}.,;:\"“”«»") for word in found.name.split())
    name = " ".join(word for word in words if any(ch.isalpha() for ch in word))
    return (name or found.email)[:200]


def candidates(session: Session, event: Event, q: str) -> list[Registration]:
    """Confirmed registrations matching `q` (any word order, accents aside), not yet known to
    have attended first, at most CANDIDATES_MAX."""
    filters = RegistrationFilters(q=q, status=RegistrationStatus.CONFIRMED)
    stmt = filtered(sa.select(Registration), event.id, filters)
    stmt = stmt.order_by(Registration.attended.is_(True), Registration.last_name, Registration.first_name,
                         Registration.id).limit(CANDIDATES_MAX)
    return list(session.scalars(stmt).unique())


def match(session: Session, event: Event, found: WalkIn, registration: Registration, *, now: datetime, user: User,
          ip: str | None = None) -> int:
    """Match a walk-in to a registration (see `attendance.walk_ins.match_walk_in`) and record who did it."""
    label = found.name or found.email
    moved = attendance.match_walk_in(session, event, found, registration, now=now)
    record(session, "attendance.match", actor=user, event_id=event.id, registration_id=registration.id,
           details={"walk_in": label, "sessions": moved}, ip=ip, now=now)
    session.flush()
    return moved
