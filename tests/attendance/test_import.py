"""Zoom's participants report imported over real HTTP (simulator): pages, UUIDs, idempotency, CLI."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from panel_app.attendance import services
from panel_app.attendance.importer import import_attendance
from panel_app.attendance.services import Participant
from panel_app.models.attendance import AttendanceSession, WalkIn
from tests.zoom.conftest import MEETING_ID

UUID = "/Zx9//abc+DEF=="


def row(n, join, leave, **extra):
    return {"id": "", "user_id": str(1000 + n), "name": f"Person {n}", "user_email": "", "join_time": join,
            "leave_time": leave, "duration": 0, "registrant_id": "", "participant_user_id": "", **extra}


def _setup(sim, zoom_event, make_registration):
    event = zoom_event(starts_at=datetime(2030, 1, 1, 13, tzinfo=timezone.utc),
                       ends_at=datetime(2030, 1, 1, 14, 30, tzinfo=timezone.utc))
    registration, _ = make_registration(event, zoom_registrant_id="REG1", email="amina@parl.example",
                                        email_normalized="amina@parl.example")
    rows = [row(0, "2030-01-01T13:00:00Z", "2030-01-01T13:20:00Z", registrant_id="REG1"),
            # Joined again without her link: Zoom shows the email she entered in this meeting's registration.
            row(1, "2030-01-01T13:25:00Z", "2030-01-01T14:00:00Z", user_email="AMINA@parl.example", email_shown=True)]
    rows += [row(n, "2030-01-01T13:05:00Z", "2030-01-01T13:15:00Z") for n in range(2, 12)]  # 10 walk-ins
    sim.page_size_cap = 4  # three pages
    sim.add_instance(MEETING_ID, UUID, datetime(2030, 1, 1, 13, tzinfo=timezone.utc), rows)
    return event, registration


@pytest.mark.xfail(reason="Zoom returns registrant_id in the participants report only with "
                   "include_fields=registrant_id; fixed on branch zoom-core", strict=False)
def test_report_import_pages_double_encodes_and_is_idempotent(db, sim, zoom_event, zoom_client, make_registration):
    event, registration = _setup(sim, zoom_event, make_registration)
    # A webhook stay for the same person before the import: merged, not added on top.
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid=UUID,
                          joined_at=datetime(2030, 1, 1, 13, tzinfo=timezone.utc),
                          now=datetime(2030, 1, 1, 15, tzinfo=timezone.utc))
    db.session.commit()
    first = import_attendance(db.session, zoom_client, event, now=datetime(2030, 1, 1, 16, tzinfo=timezone.utc))
    db.session.commit()
    assert first.rows == 12 and first.added == 12 and first.walk_ins == 10
    assert registration.attended_minutes == 55 and registration.attendance_source == "zoom"
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession))
    second = import_attendance(db.session, zoom_client, event, now=datetime(2030, 1, 1, 16, tzinfo=timezone.utc))
    db.session.commit()
    assert second.added == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == count
    assert registration.attended_minutes == 55
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WalkIn)) == 10


@pytest.mark.xfail(reason="Zoom returns registrant_id in the participants report only with "
                   "include_fields=registrant_id; fixed on branch zoom-core", strict=False)
def test_import_attendance_command(db, app, sim, zoom_event, make_registration):
    event, registration = _setup(sim, zoom_event, make_registration)
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", event.slug])
    assert result.exit_code == 0, result.output
    assert "12 report row(s), 12 new; 10 walk-in(s)" in result.output
    db.session.expire_all()
    assert registration.attended_minutes == 55


def test_import_attendance_command_without_zoom_config_says_why(db, app, make_event):
    event = make_event(zoom_meeting_id=MEETING_ID)
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", event.slug])
    assert result.exit_code != 0 and "Zoom sync is off" in result.output
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", "nope"])
    assert result.exit_code != 0 and "no event" in result.output
