"""The right of access: the export lists what is held in the order it happened, and the walk-ins
recorded under the address, field by field."""

from __future__ import annotations

from datetime import timedelta

from panel_app.models import AuditEntry, Notification, utcnow
from panel_app.models.attendance import AttendanceSession, WalkIn
from panel_app.privacy import services

AMINA = "amina.diallo@assemblee-nationale.sn"


def test_emails_stays_and_changes_are_listed_in_the_order_they_happened_not_the_order_they_were_stored(
        db, make_event, make_registration):
    event = make_event(title="Solidarité parlementaire")
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    now = utcnow().replace(microsecond=0)
    # Stored newest first (an import, a resend recorded late): the export must still read in time order.
    for kind, hours_ago in (("reminder", 1), ("confirmed", 30)):
        at = now - timedelta(hours=hours_ago)
        db.session.add(Notification(registration_id=registration.id, kind=kind, state="sent", attempts=1,
                                    sent_at=at, created_at=at))
    second_stay = event.starts_at + timedelta(minutes=50)
    for joined in (second_stay, event.starts_at + timedelta(minutes=3)):
        db.session.add(AttendanceSession(event_id=event.id, registration_id=registration.id, meeting_uuid="u1==",
                                         participant_key="r:ZR-1", name="Amina Diallo (Sénégal)", email=AMINA,
                                         joined_at=joined, left_at=joined + timedelta(minutes=20), source="report"))
    for action, days_ago in (("registration.edited", 1), ("registration.created", 9)):
        db.session.add(AuditEntry(action=action, actor="registrant", registration_id=registration.id,
                                  created_at=now - timedelta(days=days_ago), details={}))
    db.session.commit()
    [record] = services.export_person(db.session, AMINA)["registrations"]
    assert [e["kind"] for e in record["emails"]] == ["confirmed", "reminder"]
    assert [s["joined_at"] for s in record["attendance_sessions"]] == [
        (event.starts_at + timedelta(minutes=3)).isoformat(), second_stay.isoformat()]
    assert [h["action"] for h in record["history"]] == ["registration.created", "registration.edited"]


def test_the_export_gives_each_walk_in_under_the_address_field_by_field(db, make_event):
    event = make_event(title="Parlamentos y cambio climático")
    joined = event.starts_at + timedelta(minutes=7)
    db.session.add(WalkIn(event_id=event.id, participant_key=f"e:{AMINA}", name="Amina Diallo-Ndiaye",
                          email="Amina.Diallo@Assemblee-Nationale.sn", first_joined_at=joined, attended_minutes=48))
    db.session.add(WalkIn(event_id=event.id, participant_key="e:other@parliament.example", name="Søren Åberg",
                          email="other@parliament.example", first_joined_at=joined, attended_minutes=12))
    db.session.commit()
    export = services.export_person(db.session, "  AMINA.DIALLO@assemblee-nationale.sn ")
    assert export["email"] == AMINA and export["registrations"] == []
    assert export["walk_ins"] == [{"event": event.id, "name": "Amina Diallo-Ndiaye",
                                   "email": "Amina.Diallo@Assemblee-Nationale.sn",
                                   "first_joined_at": joined.isoformat(), "attended_minutes": 48}]


def test_a_blank_address_matches_none_of_the_blanked_walk_ins(db, make_event):
    event = make_event()
    db.session.add(WalkIn(event_id=event.id, participant_key="erased:1", name="", email="", attended_minutes=30))
    db.session.commit()
    assert services.export_person(db.session, "   ")["walk_ins"] == []
