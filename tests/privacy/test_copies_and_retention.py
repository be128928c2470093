"""Erasure reaches the copies of a person's data outside their registrations (walk-ins, stays
matched by address), and retention also covers Zoom's notifications and audit addresses,
counted from the end of each event (privacy/services.py)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from panel_app.models import AuditEntry, Registration, utcnow
from panel_app.models.attendance import AttendanceSession, WalkIn
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.privacy import services

AMINA = "amina.diallo@assemblee-nationale.sn"


def _walk_in(db, event, email, name):
    walk_in = WalkIn(event_id=event.id, participant_key=f"e:{email.casefold()}", name=name, email=email,
                     attended_minutes=42)
    db.session.add(walk_in)
    db.session.flush()
    return walk_in


def _stay(db, event, email, name, walk_in=None):
    at = event.starts_at + timedelta(minutes=5)
    stay = AttendanceSession(event_id=event.id, walk_in_id=walk_in.id if walk_in else None, meeting_uuid="u1==",
                             participant_key=f"e:{email.casefold()}", name=name, email=email, joined_at=at,
                             left_at=at + timedelta(minutes=42), source="report")
    db.session.add(stay)
    db.session.flush()
    return stay


def test_erasing_a_person_blanks_their_walk_ins_and_stays_in_every_event_and_nobody_elses(db, make_event,
                                                                                          make_registration):
    registered = make_event(title="Solidarité parlementaire")
    other_panel = make_event(title="Parlamentos y cambio climático")
    make_registration(registered, email=AMINA, email_normalized=AMINA, first_name="Amina", last_name="Diallo")
    # She also joined another panel without registering, with her address in another case.
    hers = _walk_in(db, other_panel, "Amina.Diallo@Assemblee-Nationale.SN", "Amina Diallo (Sénégal)")
    her_stay = _stay(db, other_panel, "AMINA.DIALLO@assemblee-nationale.sn", "Amina Diallo (Sénégal)", hers)
    someone = _walk_in(db, other_panel, "jean-baptiste@assemblee-nationale.fr", "Jean-Baptiste Lefèvre-Dubois")
    their_stay = _stay(db, other_panel, "jean-baptiste@assemblee-nationale.fr", "Jean-Baptiste Lefèvre-Dubois",
                       someone)
    db.session.commit()

    assert services.erase_person(db.session, AMINA, now=utcnow(), user_id=None) == 1
    db.session.commit()
    db.session.expire_all()
    for row in (db.session.get(WalkIn, hers.id), db.session.get(AttendanceSession, her_stay.id)):
        assert (row.name, row.email) == ("", "") and row.participant_key.startswith("erased:")
    assert db.session.get(WalkIn, hers.id).attended_minutes == 42  # the counts stay
    for row in (db.session.get(WalkIn, someone.id), db.session.get(AttendanceSession, their_stay.id)):
        assert row.email == "jean-baptiste@assemblee-nationale.fr" and row.name == "Jean-Baptiste Lefèvre-Dubois"


def test_retention_drops_old_processed_zoom_notifications_and_keeps_recent_or_unprocessed_ones(db):
    now = utcnow()
    old = now - timedelta(days=120)

    def delivery(key, received_at, processed):
        db.session.add(ZoomWebhookDelivery(
            dedupe_key=key, event="meeting.participant_joined", received_at=received_at,
            processed_at=received_at if processed else None,
            payload={"payload": {"object": {"participant": {"user_name": "María-José Ñúñez", "email": AMINA}}}}))

    delivery("old-processed", old, True)
    delivery("old-unprocessed", old, False)  # still waiting for the sweep: not ours to drop yet
    delivery("recent-processed", now - timedelta(days=5), True)
    db.session.commit()
    services.erase_expired(db.session, now=now, retention_days=90)
    db.session.commit()
    kept = set(db.session.scalars(sa.select(ZoomWebhookDelivery.dedupe_key)))
    assert kept == {"old-unprocessed", "recent-processed"}


def test_retention_clears_the_network_addresses_of_old_audit_entries_only(db):
    now = utcnow()
    for days, ip in ((120, "198.51.100.23"), (5, "2001:db8::7")):
        db.session.add(AuditEntry(action="login", actor="organiser@ipu.example.org", ip=ip,
                                  created_at=now - timedelta(days=days)))
    db.session.commit()
    services.erase_expired(db.session, now=now, retention_days=90)
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.created_at)).all()
    assert [(e.action, e.ip) for e in entries] == [("login", None), ("login", "2001:db8::7")]


def test_retention_counts_from_the_end_of_the_event_not_its_start(db, make_event, make_registration):
    now = utcnow()
    cutoff = now - timedelta(days=30)
    # Began before the cut-off, ended after it: its data stays until 30 days after its end.
    straddling = make_event(starts_at=cutoff - timedelta(hours=1), ends_at=cutoff + timedelta(minutes=30))
    registration, _ = make_registration(straddling, email=AMINA, email_normalized=AMINA)
    walk_in = _walk_in(db, straddling, "guest.speaker@ipu.example.org", "Søren Kierkegaard-Åberg")
    db.session.commit()
    report = services.erase_expired(db.session, now=now, retention_days=30)
    db.session.commit()
    assert report.registrations == 0
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email == AMINA
    assert db.session.get(WalkIn, walk_in.id).name == "Søren Kierkegaard-Åberg"
    report = services.erase_expired(db.session, now=now + timedelta(hours=1), retention_days=30)
    assert report.registrations == 1
