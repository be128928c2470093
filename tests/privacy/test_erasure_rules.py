"""Who is cancelled on erasure, under whose name, and what the erasure log keeps (service level).

An erasure of a registration for a panel still to come cancels it first (the seat goes to the waiting
list, Zoom is told), under the name of whoever asked: the registrant, or the administrator. A panel
that has ended, or a registration already cancelled or declined, is left as it is.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from panel_app.models import AuditEntry, ErasureRecord, RegistrationStatus, User, UserRole, utcnow
from panel_app.models.attendance import AttendanceSession
from panel_app.privacy import services

AMINA = "amina.diallo@assemblee-nationale.sn"


def status_changers(db, registration_id: int) -> list[str]:
    """Who changed the registration's status, oldest first (erasure blanks the details, not the actor)."""
    db.session.expire_all()
    return [e.actor for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.status",
                                    AuditEntry.registration_id == registration_id).order_by(AuditEntry.id))]


def an_admin(db) -> User:
    admin = User(email="dpo@ipu.example.org", role=UserRole.ADMIN)
    admin.set_password("a long and correct horse battery staple")
    db.session.add(admin)
    db.session.commit()
    return admin


def test_a_registrant_erasing_a_coming_panels_registration_cancels_it_in_their_own_name(db, make_event,
                                                                                          make_registration):
    now = utcnow().replace(microsecond=0)
    event = make_event(title="Parlamentos y cambio climático", starts_at=now + timedelta(days=3),
                       ends_at=now + timedelta(days=3, hours=2))
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA, first_name="Amina",
                                        last_name="Diallo-Ndiaye")
    assert services.erase_registration(db.session, registration, now=now, reason="registrant") is True
    db.session.commit()
    assert status_changers(db, registration.id) == ["registrant"]
    assert registration.status == RegistrationStatus.CANCELLED
    record = db.session.scalar(sa.select(ErasureRecord))
    assert (record.reason, record.registrations, record.event_id, record.user_id, record.created_at) == (
        "registrant", 1, event.id, None, now)
    assert services.erase_registration(db.session, registration, now=now, reason="registrant") is False


def test_an_administrators_erasure_is_logged_with_the_administrator(db, make_event, make_registration):
    admin = an_admin(db)
    now = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    event = make_event(starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=40) + timedelta(hours=2))
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    services.erase_registration(db.session, registration, now=now, reason="admin", user_id=admin.id)
    db.session.commit()
    record = db.session.scalar(sa.select(ErasureRecord))
    assert (record.user_id, record.created_at) == (admin.id, now)


def test_erasure_leaves_a_panel_that_ends_at_that_very_moment_as_it_was(db, make_event, make_registration):
    now = utcnow().replace(microsecond=0)
    event = make_event(starts_at=now - timedelta(hours=2), ends_at=now)
    mine, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    other, _ = make_registration(make_event(starts_at=now - timedelta(hours=2), ends_at=now),
                                 email=AMINA, email_normalized=AMINA)
    services.erase_registration(db.session, mine, now=now, reason="registrant")
    services.erase_person(db.session, AMINA, now=now, user_id=None)
    db.session.commit()
    assert status_changers(db, mine.id) == [] and status_changers(db, other.id) == []
    assert mine.status == other.status == RegistrationStatus.CONFIRMED  # attended, not cancelled after the fact


def test_erasure_does_not_turn_a_declined_registration_for_a_coming_panel_into_a_cancellation(db, make_event,
                                                                                                make_registration):
    now = utcnow()
    event = make_event(starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2))
    declined, _ = make_registration(event, email=AMINA, email_normalized=AMINA, status=RegistrationStatus.DECLINED)
    later = make_event(starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2))
    other, _ = make_registration(later, email=AMINA, email_normalized=AMINA, status=RegistrationStatus.DECLINED)
    services.erase_registration(db.session, declined, now=now, reason="registrant")
    services.erase_person(db.session, AMINA, now=now, user_id=None)
    db.session.commit()
    assert declined.status == other.status == RegistrationStatus.DECLINED
    assert status_changers(db, declined.id) == [] and status_changers(db, other.id) == []


def test_an_administrators_erasure_of_a_person_cancels_their_coming_panels_as_admin(db, make_event,
                                                                                    make_registration):
    admin = an_admin(db)
    now = utcnow().replace(microsecond=0)
    coming = [make_event(title=f"Séance nº {n}", starts_at=now + timedelta(days=n),
                         ends_at=now + timedelta(days=n, hours=2)) for n in (2, 9)]
    ids = [make_registration(event, email=AMINA, email_normalized=AMINA)[0].id for event in coming]
    assert services.erase_person(db.session, AMINA, now=now, user_id=admin.id) == 2
    db.session.commit()
    assert [status_changers(db, i) for i in ids] == [["admin"]] * 2
    record = db.session.scalar(sa.select(ErasureRecord))
    assert (record.reason, record.registrations, record.user_id, record.created_at) == ("admin", 2, admin.id, now)


def test_the_access_export_says_when_a_registration_was_cancelled(db, make_event, make_registration):
    from panel_app.registration import services as registration_services

    now = utcnow().replace(microsecond=0)
    event = make_event(starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2))
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    registration_services.cancel(db.session, registration, now=now, actor="registrant")
    db.session.commit()
    [record] = services.export_person(db.session, AMINA)["registrations"]
    assert record["status"] == "cancelled" and record["cancelled_at"] == now.isoformat()


def test_erasing_one_registration_blanks_its_stays_and_its_history_and_nobody_elses(db, make_event,
                                                                                    make_registration):
    event = make_event(title="Solidarité parlementaire")
    mine, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    other, _ = make_registration(event, email="jean-baptiste@parlement.example",
                                 email_normalized="jean-baptiste@parlement.example")
    joined = event.starts_at + timedelta(minutes=4)
    for registration, name, email, registrant in ((mine, "Amina Diallo (Sénégal)", AMINA, "ZR-1"),
                                                  (other, "Jean-Baptiste Ñúñez", "jean-baptiste@parlement.example",
                                                   "ZR-2")):
        db.session.add(AttendanceSession(event_id=event.id, registration_id=registration.id, meeting_uuid="u1==",
                                         participant_key=f"r:{registrant}", name=name, email=email,
                                         registrant_id=registrant, joined_at=joined,
                                         left_at=joined + timedelta(minutes=50), source="report"))
        db.session.add(AuditEntry(action="registration.edited", actor="registrant", registration_id=registration.id,
                                  details={"changed": {"last_name": [name, name.upper()]}}))
    db.session.commit()
    services.erase_registration(db.session, mine, now=utcnow(), reason="registrant")
    db.session.commit()
    stays = {s.registration_id: s for s in db.session.scalars(sa.select(AttendanceSession))}
    assert (stays[mine.id].name, stays[mine.id].email, stays[mine.id].registrant_id) == ("", "", None)
    assert stays[mine.id].joined_at is not None  # the minutes still count
    assert (stays[other.id].name, stays[other.id].email, stays[other.id].registrant_id) == (
        "Jean-Baptiste Ñúñez", "jean-baptiste@parlement.example", "ZR-2")
    details = {e.registration_id: e.details for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.edited"))}
    assert details[mine.id] == {"erased": True}
    assert details[other.id] == {"changed": {"last_name": ["Jean-Baptiste Ñúñez", "JEAN-BAPTISTE ÑÚÑEZ"]}}
