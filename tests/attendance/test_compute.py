"""Attendance computation: pairing, rejoins, out-of-order delivery, overlaps, walk-ins, manual marks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from panel_app.attendance import services
from panel_app.attendance.services import Participant, merge_intervals, pair_points
from panel_app.models.attendance import AttendanceSession, WalkIn


def t(minute: int) -> datetime:
    return datetime(2030, 1, 1, 13, 0, tzinfo=UTC) + timedelta(minutes=minute)


def test_overlapping_stays_are_not_counted_twice():
    assert merge_intervals([(t(0), t(30)), (t(10), t(40)), (t(50), t(60)), (t(60), t(70))]) == [
        (t(0), t(40)), (t(50), t(70))]


def test_rejoins_pair_in_time_order_whatever_the_delivery_order():
    joins, leaves = [t(40), t(0)], [t(60), t(30)]
    assert pair_points(joins, leaves, open_end=None, start_fallback=None) == [(t(0), t(30)), (t(40), t(60))]


def test_open_join_ends_at_meeting_end_and_lost_join_starts_at_meeting_start():
    assert pair_points([t(10)], [], open_end=t(90), start_fallback=t(0)) == [(t(10), t(90))]
    assert pair_points([], [t(20)], open_end=t(90), start_fallback=t(0)) == [(t(0), t(20))]


@pytest.fixture
def event(make_event):
    return make_event(starts_at=t(0), ends_at=t(90), zoom_meeting_id="81234567890")


def test_shuffled_webhooks_give_the_same_summary(db, event, make_registration):
    registration, _ = make_registration(event, zoom_registrant_id="REG1", email="Amina@Parl.example",
                                        email_normalized="amina@parl.example")
    points = [("j", t(0)), ("l", t(20)), ("j", t(25)), ("l", t(50)), ("j", t(45)), ("l", t(60))]
    random.Random(4).shuffle(points)
    person = Participant(name="Amina", registrant_id="REG1")
    for kind, at in points + points[:2]:  # and a couple of redeliveries
        services.record_point(db.session, event, person, meeting_uuid="u1", now=t(200),
                              **({"joined_at": at} if kind == "j" else {"left_at": at}))
    db.session.commit()
    assert registration.attended is True
    assert registration.attended_minutes == 55  # 0-20, 25-60 (the second device overlapped)
    assert registration.first_joined_at == t(0)
    assert services.attendance_share(registration) == pytest.approx(55 / 90)
    assert services.sessions_of(db.session, registration, now=t(200)) == [(t(0), t(20)), (t(25), t(60))]


def test_matching_by_registrant_id_then_email_and_walk_ins_kept(db, event, make_registration):
    by_id, _ = make_registration(event, zoom_registrant_id="REG1")
    by_email, _ = make_registration(event, email="Pedro@Congreso.example", email_normalized="pedro@congreso.example")
    services.record_point(db.session, event, Participant(registrant_id="REG1", email="other@x.example"),
                          meeting_uuid="u1", joined_at=t(0), now=t(5))
    services.record_point(db.session, event, Participant(email="PEDRO@congreso.EXAMPLE"), meeting_uuid="u1",
                          joined_at=t(1), now=t(5))
    services.record_point(db.session, event, Participant(name="Dial-in user", user_id="99"), meeting_uuid="u1",
                          joined_at=t(2), now=t(5))
    db.session.commit()
    assert by_id.attended and by_email.attended
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert walk_in.participant_key == "u:99" and walk_in.attended_minutes == 3  # still in, meeting running


def test_manual_marks_are_never_overwritten(db, event, make_registration):
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    services.mark_attended(db.session, registration, False, now=t(0), actor="organiser")
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid="u1",
                          joined_at=t(0), now=t(100))
    services.recompute_event(db.session, event, now=t(100), final=True)
    db.session.commit()
    assert registration.attended is False and registration.attendance_source == "manual"


def test_report_is_authoritative_and_final_import_marks_absentees(db, event, make_registration):
    came, _ = make_registration(event, zoom_registrant_id="REG1")
    absent, _ = make_registration(event)
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid="u1",
                          joined_at=t(0), now=t(100))  # leave webhook lost
    services.note_instance(db.session, event, "u1", ended_at=t(90))
    services.recompute_event(db.session, event, now=t(100))
    assert came.attended_minutes == 90
    services.record_report_stay(db.session, event, Participant(registrant_id="REG1"), meeting_uuid="u1",
                                joined_at=t(0), left_at=t(35))
    services.recompute_event(db.session, event, now=t(100), final=True)
    db.session.commit()
    assert came.attended_minutes == 35
    assert absent.attended is False and absent.attended_minutes == 0


def test_unknown_before_any_data(db, event, make_registration):
    registration, _ = make_registration(event)
    services.recompute_event(db.session, event, now=t(10))
    assert registration.attended is None and services.attendance_share(registration) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == 0


def test_a_stay_inside_another_stay_adds_nothing():
    # A second device joined and left while the first stayed on.
    assert merge_intervals([(t(0), t(60)), (t(10), t(20))]) == [(t(0), t(60))]
    assert merge_intervals([(t(10), t(20)), (t(0), t(60)), (t(30), t(45))]) == [(t(0), t(60))]


def test_part_minutes_round_to_the_nearest_whole_minute(db, event, make_registration):
    just_under, _ = make_registration(event, zoom_registrant_id="REG-A")
    half, _ = make_registration(event, zoom_registrant_id="REG-B")
    for registrant_id, seconds in (("REG-A", 29), ("REG-B", 30)):
        services.record_report_stay(db.session, event, Participant(registrant_id=registrant_id), meeting_uuid="u1",
                                    joined_at=t(0), left_at=t(12) + timedelta(seconds=seconds))
    services.recompute_event(db.session, event, now=t(100), final=True)
    assert (just_under.attended_minutes, half.attended_minutes) == (12, 13)


def test_a_stay_never_closed_counts_until_the_scheduled_end_plus_the_allowed_overrun_at_most(db, event,
                                                                                           make_registration):
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid="u1",
                          joined_at=t(30), now=t(40))  # the leave and the meeting's end never arrived
    assert registration.attended_minutes == 10  # the meeting is running: until now
    services.recompute_event(db.session, event, now=t(90) + timedelta(days=2))
    assert registration.attended_minutes == 60 + services.STAY_LATE.total_seconds() / 60  # not two days


@pytest.mark.parametrize("status", ["pending", "waitlisted", "declined", "cancelled"])
def test_the_final_import_marks_only_confirmed_registrants_absent(db, event, make_registration, status):
    confirmed, _ = make_registration(event, status="confirmed")
    other, _ = make_registration(event, status=status)
    services.recompute_event(db.session, event, now=t(200), final=True)
    assert (confirmed.attended, confirmed.attended_minutes) == (False, 0)
    assert (other.attended, other.attended_minutes, other.attendance_source) == (None, None, None)


LONG_NAME = "María-José Ñúñez-Öztürk de la Asamblea Legislativa Plurinacional " * 8  # 528 characters
LONG_EMAIL = "maria-jose." + "n" * 320 + "@asamblea.example"


def test_each_stay_and_walk_in_keeps_what_zoom_said_cut_to_the_column_sizes(db, event):
    uuid = "/" + "x" * 200 + "=="
    person = Participant(name=LONG_NAME, email=LONG_EMAIL, participant_uuid="p-1")
    assert services.record_point(db.session, event, person, meeting_uuid=uuid, joined_at=t(3), now=t(10))
    db.session.commit()
    stay = db.session.scalar(sa.select(AttendanceSession))
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert (stay.name, stay.email, stay.meeting_uuid) == (LONG_NAME[:300], LONG_EMAIL[:320], uuid[:128])
    assert stay.participant_key == f"e:{LONG_EMAIL.casefold()}"[:400] and stay.source == "webhook"
    assert stay.walk_in_id == walk_in.id and stay.registration_id is None and stay.registrant_id is None
    assert (walk_in.name, walk_in.email, walk_in.participant_key) == (LONG_NAME[:300], LONG_EMAIL[:320],
                                                                     stay.participant_key)
    assert (walk_in.first_joined_at, walk_in.attended_minutes) == (t(3), 7)


def test_a_registrants_stay_records_their_zoom_registrant_id(db, event, make_registration):
    registration, _ = make_registration(event, zoom_registrant_id="ZR-8812")
    services.record_point(db.session, event, Participant(name="Amina Diallo", registrant_id="ZR-8812"),
                          meeting_uuid="u1==", joined_at=t(0), now=t(5))
    stay = db.session.scalar(sa.select(AttendanceSession))
    assert (stay.registration_id, stay.registrant_id, stay.name) == (registration.id, "ZR-8812", "Amina Diallo")


def test_a_redelivered_point_is_recorded_once_and_a_join_and_a_leave_at_one_instant_are_two(db, event,
                                                                                           make_registration):
    make_registration(event, zoom_registrant_id="REG1")
    person = Participant(registrant_id="REG1")
    record = services.record_point
    assert record(db.session, event, person, meeting_uuid="u1", joined_at=t(0), now=t(50)) is True
    assert record(db.session, event, person, meeting_uuid="u1", joined_at=t(0), now=t(50)) is False
    assert record(db.session, event, person, meeting_uuid="u1", left_at=t(0), now=t(50)) is True
    # Zoom's report row for the same stay is kept beside the webhook's, not mistaken for it.
    assert services.record_report_stay(db.session, event, person, meeting_uuid="u1", joined_at=t(0),
                                       left_at=None) is True
    assert services.record_report_stay(db.session, event, person, meeting_uuid="u1", joined_at=t(0),
                                       left_at=None) is False
    assert services.record_report_stay(db.session, event, person, meeting_uuid="u1", joined_at=t(0),
                                       left_at=t(20)) is True
    rows = db.session.execute(sa.select(AttendanceSession.source, AttendanceSession.joined_at,
                                        AttendanceSession.left_at).order_by(AttendanceSession.id)).all()
    assert rows == [("webhook", t(0), None), ("webhook", None, t(0)), ("report", t(0), None),
                    ("report", t(0), t(20))]


def test_the_same_person_at_two_panels_has_separate_stays_and_walk_ins(db, make_event, make_registration):
    first = make_event(starts_at=t(0), ends_at=t(90), zoom_meeting_id="81234567890")
    second = make_event(starts_at=t(0), ends_at=t(90), zoom_meeting_id="89876543210")
    guest = Participant(name="Søren Kierkegaard-Åberg", email="soren@folketinget.example")
    registered, _ = make_registration(second, zoom_registrant_id="REG1")
    for event, minute in ((first, 10), (second, 30)):
        services.record_point(db.session, event, guest, meeting_uuid=f"u{event.id}", joined_at=t(minute), now=t(60))
        services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid=f"u{event.id}",
                              joined_at=t(minute), now=t(60))
    db.session.commit()
    walk_ins = db.session.scalars(sa.select(WalkIn).order_by(WalkIn.event_id, WalkIn.id)).all()
    # At the first panel REG1 is nobody's registrant id: a walk-in there too.
    assert [(w.event_id, w.participant_key, w.attended_minutes) for w in walk_ins] == [
        (first.id, "e:soren@folketinget.example", 50), (first.id, "r:REG1", 50),
        (second.id, "e:soren@folketinget.example", 30)]
    assert registered.attended_minutes == 30  # their stay at the other panel is not theirs here
    services.recompute_event(db.session, first, now=t(60))
    assert [w.attended_minutes for w in walk_ins] == [50, 50, 30]


def test_a_lost_join_counts_from_when_zoom_says_the_session_started(db, event, make_registration):
    registration, _ = make_registration(event, zoom_registrant_id="REG1")
    services.note_instance(db.session, event, "u1==", started_at=t(12))  # the host opened late
    services.note_instance(db.session, event, "u1==", started_at=t(15))  # a later notice never moves it
    services.record_point(db.session, event, Participant(registrant_id="REG1"), meeting_uuid="u1==", left_at=t(40),
                          now=t(50))
    assert registration.attended_minutes == 28


def test_an_organisers_mark_is_announced_once_and_absent_means_no_minutes(db, event, make_registration):
    from panel_app.attendance.signals import attendance_recorded

    registration, _ = make_registration(event, attended=True, attended_minutes=45, first_joined_at=t(5),
                                        attendance_source="zoom")
    announced = []

    def receiver(sender, **_):
        announced.append(sender)

    attendance_recorded.connect(receiver)
    try:
        services.mark_attended(db.session, registration, False, now=t(100), actor="organiser")
        services.mark_attended(db.session, registration, False, now=t(100), actor="organiser")
    finally:
        attendance_recorded.disconnect(receiver)
    assert (registration.attended, registration.attended_minutes, registration.first_joined_at) == (False, 0, None)
    assert registration.attendance_source == "manual" and announced == [registration]
    services.mark_attended(db.session, registration, True, now=t(100), actor="organiser")
    assert (registration.attended, registration.attended_minutes) == (True, 0)


def test_the_share_attended_is_capped_at_the_whole_panel(db, event, make_registration):
    stayed_on, _ = make_registration(event, attended=True, attended_minutes=150)  # the panel lasts 90
    assert services.attendance_share(stayed_on) == 1.0


def test_a_zoom_change_is_announced_once_and_a_recompute_that_changes_nothing_is_silent(db, event,
                                                                                     make_registration):
    from panel_app.attendance.signals import attendance_recorded

    registration, _ = make_registration(event, zoom_registrant_id="REG-ÉLODIE", first_name="Élodie",
                                        last_name="Lefèvre-Dubois")
    announced = []

    def receiver(sender, **_):
        announced.append((sender, sender.attended_minutes))

    attendance_recorded.connect(receiver)
    try:
        services.record_report_stay(db.session, event, Participant(registrant_id="REG-ÉLODIE"), meeting_uuid="u1",
                                    joined_at=t(0), left_at=t(40))
        services.recompute_event(db.session, event, now=t(100), final=True)
        services.recompute_event(db.session, event, now=t(120), final=True)  # the import runs again
    finally:
        attendance_recorded.disconnect(receiver)
    assert announced == [(registration, 40)]
    assert registration.attendance_source == "zoom"


def test_the_final_import_records_absentees_as_zooms_finding_not_an_organisers(db, event, make_registration):
    absent, _ = make_registration(event, first_name="Sigríður", last_name="Þórðardóttir")
    services.recompute_event(db.session, event, now=t(200), final=True)
    assert (absent.attended, absent.attendance_source) == (False, "zoom")
    # Being Zoom's finding, a later join (a report row read late) still corrects it.
    absent.zoom_registrant_id = "REG-LATE"
    services.record_report_stay(db.session, event, Participant(registrant_id="REG-LATE"), meeting_uuid="u1",
                                joined_at=t(10), left_at=t(30))
    services.recompute_event(db.session, event, now=t(220), final=True)
    assert (absent.attended, absent.attended_minutes) == (True, 20)


def test_a_walk_in_first_seen_in_the_report_has_no_minutes_until_the_report_is_computed(db, event):
    services.record_report_stay(db.session, event, Participant(name="Teléfono +41 22 919 41 50", user_id="77"),
                                meeting_uuid="u1", joined_at=t(5), left_at=t(25))
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert (walk_in.attended_minutes, walk_in.first_joined_at) == (0, None)
    services.recompute_event(db.session, event, now=t(100), final=True)
    assert (walk_in.attended_minutes, walk_in.first_joined_at) == (20, t(5))


def test_recomputing_leaves_a_walk_in_an_organiser_matched_at_zero_its_minutes_count_for_the_registrant(
        db, event, make_registration):
    from panel_app.attendance.walk_ins import match_walk_in

    registration, _ = make_registration(event, first_name="Kgosi", last_name="Mokgethi-Ramaphosa")
    services.record_report_stay(db.session, event, Participant(name="iPhone de Kgosi", user_id="55"),
                                meeting_uuid="u1", joined_at=t(0), left_at=t(45))
    services.recompute_event(db.session, event, now=t(100), final=True)
    walk_in = db.session.scalar(sa.select(WalkIn))
    assert walk_in.attended_minutes == 45
    match_walk_in(db.session, event, walk_in, registration, now=t(100))
    # A later stay with the walk-in's identity is the registrant's, and a recompute keeps it so.
    services.record_report_stay(db.session, event, Participant(name="iPhone de Kgosi", user_id="55"),
                                meeting_uuid="u1", joined_at=t(50), left_at=t(60))
    services.recompute_event(db.session, event, now=t(120), final=True)
    assert (walk_in.attended_minutes, walk_in.first_joined_at) == (0, None)
    assert (registration.attended, registration.attended_minutes) == (True, 55)


def test_the_share_of_a_one_minute_panel_is_known_and_a_panel_without_duration_has_none(make_event,
                                                                                        make_registration, db):
    one_minute = make_event(starts_at=t(0), ends_at=t(1))
    came, _ = make_registration(one_minute, attended=True, attended_minutes=1)
    assert services.attendance_share(came) == 1.0
    instant = make_event(starts_at=t(0), ends_at=t(0) + timedelta(seconds=30))
    present, _ = make_registration(instant, attended=True, attended_minutes=0)
    assert services.attendance_share(present) is None
