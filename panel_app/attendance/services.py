"""Attendance rules shared by the organiser console and the Zoom import."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from panel_app.models import Registration


def mark_attended(session: Session, registration: Registration, attended: bool, *, now: datetime, actor: str | None = None) -> None:
    """An organiser's own record of attendance; later Zoom imports leave it alone."""
    registration.attended = attended
    registration.attendance_source = "manual"
    if not attended:
        registration.attended_minutes = 0
        registration.first_joined_at = None
    session.flush()
