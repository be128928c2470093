"""Zoom's participants report imported over real HTTP (simulator): who counts, when it is final, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from panel_app.attendance import importer, services
from panel_app.attendance.importer import import_attendance, run_import
from panel_app.attendance.services import Participant
from panel_app.models.attendance import AttendanceImport, AttendanceSession, WalkIn
from panel_app.zoom.jobs import import_attendance_job, sweep_attendance_imports_job
from tests.zoom.conftest import MEETING_ID
from tests.zoom.helpers import reload

UUID = "/Zx9//abc+DEF=="
START = datetime(2030, 1, 1, 13, tzinfo=UTC)


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(n, join, leave, **extra):
    """A report row with Zoom's true values; the simulator blanks what Zoom hides from the host."""
    return {"id": f"user-{n}", "user_id": str(1000 + n), "name": f"Invité {n} Ñúñez", "user_email": "",
            "join_time": join, "leave_time": leave, "duration": 0, "registrant_id": "",
            "participant_user_id": f"puid-{n}", "status": "in_meeting", **extra}


def panel(zoom_event, **overrides):
    return zoom_event(starts_at=START, ends_at=START + timedelta(minutes=90), **overrides)


def _setup(sim, zoom_event, make_registration):
    event = panel(zoom_event)
    registration, _ = make_registration(event, zoom_registrant_id="REG1", email="amina@parl.example",
                                        email_normalized="amina@parl.example", first_name="Amina",
                                        last_name="Diallo-Ñúñez")
    rows = [row(0, at(0), at(20), registrant_id="REG1", user_email="amina@parl.example"),
            # Joined again without her link: Zoom shows the email she entered in this meeting's registration.
            row(1, at(25), at(60), user_email="AMINA@parl.example", email_shown=True)]
    rows += [row(n, at(5), at(15)) for n in range(2, 12)]  # 10 walk-ins
    sim.page_size_cap = 4  # three pages
    sim.add_instance(MEETING_ID, UUID, START, rows)
    return event, registration


def test_report_import_pages_double_encodes_and_is_idempotent(db, sim, zoom_event, zoom_client, make_registration):
    event, registration = _setup(sim, zoom_event, make_registration)
    # A webhook stay for the same person before the import: merged, not added on top.
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid=UUID,
                          joined_at=START, now=START + timedelta(hours=2))
    db.session.commit()
    first = import_attendance(db.session, zoom_client, event, now=START + timedelta(hours=3))
    db.session.commit()
    assert first.rows == 12 and first.added == 12 and first.walk_ins == 10 and first.complete
    assert registration.attended_minutes == 55 and registration.attendance_source == "zoom"
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession))
    second = import_attendance(db.session, zoom_client, event, now=START + timedelta(hours=3))
    db.session.commit()
    assert second.added == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == count
    assert registration.attended_minutes == 55
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WalkIn)) == 10


def test_participants_outside_the_hosts_account_are_matched_by_registrant_id(db, sim, zoom_event, zoom_client,
                                                                             make_registration):
    event = panel(zoom_event)
    people = [make_registration(event, zoom_registrant_id=f"REG{n}", first_name="María-José",
                                last_name=f"Ñúñez-Öztürk {n}", email=f"mj{n}@cortes.example",
                                email_normalized=f"mj{n}@cortes.example")[0] for n in range(3)]
    # Guests joining with their personal links: Zoom blanks id, participant_user_id and, here, the
    # email (they typed another name in the client); only registrant_id tells who they are.
    sim.add_instance(MEETING_ID, "instance-1==", START, [
        row(n, at(n), at(60), registrant_id=f"REG{n}", name=f"iPad de {n}") for n in range(3)])
    report = import_attendance(db.session, zoom_client, event, now=START + timedelta(hours=3))
    db.session.commit()
    assert report.walk_ins == 0
    assert [reload(p.id).attended_minutes for p in people] == [60, 59, 58]


def test_people_left_in_the_waiting_room_are_not_attendance(db, sim, zoom_event, zoom_client, make_registration):
    event = panel(zoom_event)
    admitted, _ = make_registration(event, zoom_registrant_id="REG-IN")
    waiting, _ = make_registration(event, zoom_registrant_id="REG-WAIT")
    sim.add_instance(MEETING_ID, "instance-1==", START, [
        row(0, at(0), at(90), registrant_id="REG-IN"),
        row(1, at(2), at(50), registrant_id="REG-WAIT", status="in_waiting_room")])
    report = import_attendance(db.session, zoom_client, event, now=START + timedelta(hours=3))
    db.session.commit()
    assert report.waiting_room == 1 and report.complete
    assert reload(admitted.id).attended is True
    assert reload(waiting.id).attended is False and reload(waiting.id).attended_minutes == 0


def test_a_report_not_ready_is_retried_with_backoff_and_nobody_is_marked_absent_before_it_is_read(
        db, sim, zoom_event, zoom_client, make_registration):
    event = panel(zoom_event)
    came, _ = make_registration(event, zoom_registrant_id="REG-CAME")
    stayed_home, _ = make_registration(event, zoom_registrant_id="REG-HOME")
    ended = START + timedelta(minutes=90)
    sim.clock.set(ended)
    sim.report_delay = timedelta(hours=5)  # Zoom takes its time
    sim.add_instance(MEETING_ID, "instance-1==", START, [row(0, at(0), at(90), registrant_id="REG-CAME")])
    importer.schedule_import(db.session, event, at=ended + importer.FIRST_DELAY)
    db.session.commit()
    now, waits = ended + importer.FIRST_DELAY, []
    for _ in range(4):  # 15 min, then about 15, 30, 60 min later
        sim.clock.set(now)
        assert importer.claim_import(db.session, event.id, now)
        assert run_import(db.session, zoom_client, event, now=now).complete is False
        job = reload_job(db, event.id)
        assert job.state == "pending" and "not available yet" in job.last_error
        assert reload(came.id).attended is None and reload(stayed_home.id).attended is None  # nobody absent yet
        waits.append(job.next_attempt_at - now)
        now = job.next_attempt_at
    assert waits == sorted(waits) and waits[-1] > timedelta(minutes=50)  # growing, not swallowed
    now = ended + timedelta(hours=6)
    sim.clock.set(now)
    assert importer.claim_import(db.session, event.id, now)
    assert run_import(db.session, zoom_client, event, now=now).complete
    assert reload_job(db, event.id).state == "done"
    assert reload(came.id).attended is True and reload(stayed_home.id).attended is False


def reload_job(db, event_id) -> AttendanceImport:
    db.session.expire_all()
    return db.session.get(AttendanceImport, event_id)


def test_an_import_given_up_after_a_day_is_failed_and_marks_nobody_absent(db, sim, zoom_event, zoom_client,
                                                                           make_registration):
    event = panel(zoom_event)
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    importer.schedule_import(db.session, event, at=START)
    db.session.commit()
    now = START + timedelta(hours=2)
    for _ in range(importer.MAX_ATTEMPTS):  # Zoom never produces a report (no instance at all)
        assert importer.claim_import(db.session, event.id, now)
        run_import(db.session, zoom_client, event, now=now)
        now = reload_job(db, event.id).next_attempt_at or now
    job = reload_job(db, event.id)
    assert job.state == "failed" and "gave up" in job.last_error
    assert reload(registration.id).attended is None


def test_a_report_zoom_cannot_serve_is_retried_later_and_the_worker_goes_on(db, sim, zoom_event, zoom_client,
                                                                           make_registration):
    event = panel(zoom_event)
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    sim.add_instance(MEETING_ID, "instance-1==", START, [row(0, at(0), at(30), registrant_id="REG1")])
    sim.set_down(True, target="/v2/report/")  # the report service is down; the rest of Zoom answers
    now = START + timedelta(hours=2)
    assert run_import(db.session, zoom_client, event, now=now) is None
    job = reload_job(db, event.id)
    assert job.state == "pending" and "503" in job.last_error and job.next_attempt_at > now
    assert reload(registration.id).attended is None
    sim.set_down(False)
    assert run_import(db.session, zoom_client, event, now=job.next_attempt_at).complete
    assert reload(registration.id).attended_minutes == 30


def test_only_instances_inside_the_events_window_count(db, sim, zoom_event, zoom_client, make_registration):
    event = panel(zoom_event)
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    last_week = START - timedelta(days=7)
    sim.add_instance(MEETING_ID, "last-week==", last_week, [row(0, "2029-12-25T13:00:00Z", "2029-12-25T14:30:00Z",
                                                               registrant_id="REG1")])
    sim.add_instance(MEETING_ID, "this-week==", START, [row(0, at(10), at(40), registrant_id="REG1")])
    sim.add_instance(MEETING_ID, "next-week==", START + timedelta(days=7), [
        row(1, "2030-01-08T13:00:00Z", "2030-01-08T14:00:00Z")])
    report = import_attendance(db.session, zoom_client, event, now=START + timedelta(days=8))
    db.session.commit()
    assert report.instances == 1 and report.complete and report.walk_ins == 0
    assert reload(registration.id).attended_minutes == 30


def test_the_import_runs_after_the_meeting_even_without_zooms_ended_notification(db, sim, zoom_event,
                                                                                 make_registration, drain_jobs):
    from datetime import datetime as real_datetime

    start = real_datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    event = zoom_event(starts_at=start, ends_at=start + timedelta(minutes=90))
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    sim.add_instance(MEETING_ID, "instance-1==", start, [
        row(0, start.strftime("%Y-%m-%dT%H:%M:%SZ"), (start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            registrant_id="REG1")])
    assert sweep_attendance_imports_job() == 1
    drain_jobs()
    assert reload_job(db, event.id).state == "done"
    assert reload(registration.id).attended_minutes == 45
    assert import_attendance_job(event.id) == "skipped"  # done: nothing left to claim


def test_import_attendance_command(db, app, sim, zoom_event, make_registration):
    event, registration = _setup(sim, zoom_event, make_registration)
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", event.slug])
    assert result.exit_code == 0, result.output
    assert "12 report row(s), 12 new; 10 walk-in(s)" in result.output
    db.session.expire_all()
    assert registration.attended_minutes == 55


def test_import_attendance_command_says_when_the_report_is_not_final(db, app, sim, zoom_event, make_registration):
    event = panel(zoom_event)
    make_registration(event, zoom_registrant_id="REG1")
    sim.report_delay = timedelta(hours=2)
    sim.add_instance(MEETING_ID, "instance-1==", START, [row(0, at(0), at(90), registrant_id="REG1")])
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", event.slug])
    assert result.exit_code == 0, result.output
    assert "no report (yet) for instance instance-1==" in result.output and "not final yet" in result.output


def test_import_attendance_command_without_zoom_config_says_why(db, app, make_event):
    event = make_event(zoom_meeting_id=MEETING_ID)
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", event.slug])
    assert result.exit_code != 0 and "Zoom sync is off" in result.output
    result = app.test_cli_runner().invoke(args=["zoom", "import-attendance", "--event", "nope"])
    assert result.exit_code != 0 and "no event" in result.output
