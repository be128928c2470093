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


def _old_event(make_event, days_ago, **values):
    end = utcnow() - timedelta(days=days_ago)
    return make_event(starts_at=end - timedelta(hours=2), ends_at=end, **values)


def test_retention_blanks_the_stays_of_an_old_panel_and_leaves_a_recent_ones_alone(db, make_event):
    old = _old_event(make_event, 120, title="Solidarité parlementaire")
    recent = _old_event(make_event, 5, title="Parlamentos y cambio climático")
    stays = {}
    for event in (old, recent):
        walk_in = _walk_in(db, event, "guest.speaker@ipu.example.org", "Søren Kierkegaard-Åberg")
        stays[event.id] = _stay(db, event, "guest.speaker@ipu.example.org", "Søren Kierkegaard-Åberg", walk_in)
        stays[event.id].registrant_id = "ZR-77"
    db.session.commit()
    services.erase_expired(db.session, now=utcnow(), retention_days=90)
    db.session.commit()
    db.session.expire_all()
    gone = db.session.get(AttendanceSession, stays[old.id].id)
    assert (gone.name, gone.email, gone.registrant_id) == ("", "", None)
    assert gone.participant_key == f"erased:{gone.id}" and gone.joined_at is not None  # the minutes stay
    kept = db.session.get(AttendanceSession, stays[recent.id].id)
    assert (kept.name, kept.email, kept.registrant_id) == ("Søren Kierkegaard-Åberg", "guest.speaker@ipu.example.org",
                                                           "ZR-77")
    assert db.session.scalar(sa.select(WalkIn).where(WalkIn.event_id == recent.id)).email == \
        "guest.speaker@ipu.example.org"


def test_retention_works_through_big_panels_in_batches_and_reports_what_it_did(db, make_event, make_registration):
    from panel_app.models import ErasureRecord

    first = _old_event(make_event, 200)
    second = _old_event(make_event, 150)
    for event, count in ((first, 3), (second, 2)):
        for n in range(count):
            make_registration(event, email=f"mp{event.id}.{n}@parliament.example",
                              email_normalized=f"mp{event.id}.{n}@parliament.example")
    now = utcnow()
    report = services.erase_expired(db.session, now=now, retention_days=1, batch_size=2)
    assert (report.events, report.registrations) == (2, 4)
    report = services.erase_expired(db.session, now=now, retention_days=1, batch_size=2)
    assert (report.events, report.registrations) == (1, 1)
    assert services.erase_expired(db.session, now=now, retention_days=1, batch_size=2) == \
        services.RetentionReport(0, 0)
    db.session.commit()
    records = db.session.execute(sa.select(ErasureRecord.event_id, ErasureRecord.registrations, ErasureRecord.reason)
                                 .order_by(ErasureRecord.id)).all()
    assert records == [(first.id, 2, "retention"), (second.id, 2, "retention"), (first.id, 1, "retention")]


def test_old_outbox_files_are_deleted_and_recent_ones_and_other_files_kept(tmp_path):
    import os

    now = utcnow()
    old, recent, other = tmp_path / "old.eml", tmp_path / "recent.eml", tmp_path / "notes.txt"
    for path in (old, recent, other):
        path.write_text("Subject: Invitation\n")
    three_days_ago = (now - timedelta(days=3)).timestamp()
    os.utime(old, (three_days_ago, three_days_ago))
    os.utime(other, (three_days_ago, three_days_ago))
    assert services.erase_old_outbox_files(tmp_path, now=now, retention_days=0) == 0  # retention off
    assert services.erase_old_outbox_files(tmp_path / "missing", now=now, retention_days=1) == 0
    assert services.erase_old_outbox_files(tmp_path, now=now, retention_days=1) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "recent.eml"]


def test_the_export_lists_each_email_and_stay_of_the_person_with_their_state(db, make_event, make_registration):
    from panel_app.models import Notification

    event = make_event(title="Solidarité parlementaire")
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA, first_name="Amina")
    sent_at = utcnow().replace(microsecond=0)
    db.session.add(Notification(registration_id=registration.id, kind="confirmed", calendar_method="REQUEST",
                                state="failed", attempts=3, last_error="550 mailbox unavailable", sent_at=None,
                                created_at=sent_at - timedelta(hours=1)))
    db.session.add(Notification(registration_id=registration.id, kind="reminder", state="sent", attempts=1,
                                sent_at=sent_at, created_at=sent_at - timedelta(minutes=5)))
    joined = event.starts_at + timedelta(minutes=4)
    db.session.add(AttendanceSession(event_id=event.id, registration_id=registration.id, meeting_uuid="u1==",
                                     participant_key="r:ZR-1", name="Amina Diallo (Sénégal)", email=AMINA,
                                     joined_at=joined, left_at=joined + timedelta(minutes=50), source="report"))
    db.session.commit()
    [record] = services.export_person(db.session, AMINA)["registrations"]
    assert record["emails"] == [
        {"kind": "confirmed", "subject": None, "state": "failed", "queued_at": (sent_at - timedelta(hours=1))
         .isoformat(), "sent_at": None, "attempts": 3, "calendar_method": "REQUEST",
         "last_error": "550 mailbox unavailable"},
        {"kind": "reminder", "subject": None, "state": "sent", "queued_at": (sent_at - timedelta(minutes=5))
         .isoformat(), "sent_at": sent_at.isoformat(), "attempts": 1, "calendar_method": None, "last_error": None},
    ]
    assert record["attendance_sessions"] == [
        {"joined_at": joined.isoformat(), "left_at": (joined + timedelta(minutes=50)).isoformat(),
         "name": "Amina Diallo (Sénégal)", "email": AMINA, "source": "report"}]


def test_the_export_gives_every_field_held_about_the_registration(db, make_event, make_registration):
    from datetime import UTC, datetime

    event = make_event(title="Solidarité parlementaire : soutenir les parlementaires menacés",
                       starts_at=datetime(2030, 9, 26, 13, tzinfo=UTC),
                       ends_at=datetime(2030, 9, 26, 14, 30, tzinfo=UTC),
                       timezone="Europe/Zurich")
    at = datetime(2030, 9, 1, 8, 15, tzinfo=UTC)
    make_registration(
        event, salutation="Hon.", first_name="Amina", last_name="Diallo", email="Amina.Diallo@Assemblee-Nationale.SN",
        email_normalized=AMINA, country="SN", organisation="Assemblée nationale du Sénégal",
        affiliation_type="member_parliament", role="mp", committees="Droits de l’homme", language="fr",
        email_language="en", accessibility_needs="Sous-titres", status="confirmed", created_at=at,
        status_changed_at=at, cancelled_at=None, consent_at=at, privacy_notice_version="2030-01",
        invite_state="done", zoom_state="done", zoom_registrant_id="ZR-8812",
        zoom_join_url="https://zoom.example/w/81234567890?tk=abc", attended=True,
        first_joined_at=datetime(2030, 9, 26, 13, 2, tzinfo=UTC), attended_minutes=84)
    [record] = services.export_person(db.session, "  AMINA.diallo@assemblee-nationale.sn ")["registrations"]
    for key in ("emails", "attendance_sessions", "history"):
        record.pop(key)
    assert record == {
        "event": {"slug": event.slug, "title": "Solidarité parlementaire : soutenir les parlementaires menacés",
                  "starts_at": "2030-09-26T13:00:00+00:00", "ends_at": "2030-09-26T14:30:00+00:00",
                  "timezone": "Europe/Zurich"},
        "salutation": "Hon.", "first_name": "Amina", "last_name": "Diallo",
        "email": "Amina.Diallo@Assemblee-Nationale.SN", "country": "SN",
        "organisation": "Assemblée nationale du Sénégal", "affiliation_type": "member_parliament", "role": "mp",
        "committees": "Droits de l’homme", "language": "fr", "email_language": "en",
        "accessibility_needs": "Sous-titres", "status": "confirmed", "registered_at": at.isoformat(),
        "status_changed_at": at.isoformat(), "cancelled_at": None, "consent_at": at.isoformat(),
        "privacy_notice_version": "2030-01", "invite_state": "done", "zoom_state": "done",
        "zoom_registrant_id": "ZR-8812", "zoom_join_url": "https://zoom.example/w/81234567890?tk=abc",
        "attended": True, "first_joined_at": "2030-09-26T13:02:00+00:00", "attended_minutes": 84,
    }


# -- the retention period's edges --------------------------------------------------------------------
# "More than `retention_days` after the end": an instant exactly on the cut-off is still kept.

def test_a_panel_that_ended_exactly_one_retention_period_ago_is_kept_until_the_next_second(db, make_event,
                                                                                          make_registration):
    now = utcnow().replace(microsecond=0)
    event = make_event(starts_at=now - timedelta(days=30, hours=2), ends_at=now - timedelta(days=30))
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    assert services.erase_expired(db.session, now=now, retention_days=30) == services.RetentionReport(0, 0)
    db.session.commit()
    assert db.session.get(Registration, registration.id, populate_existing=True).email == AMINA
    later = now + timedelta(seconds=1)
    assert services.erase_expired(db.session, now=later, retention_days=30) == services.RetentionReport(1, 1)


def test_zoom_notifications_and_audit_addresses_exactly_one_period_old_are_kept(db):
    now = utcnow().replace(microsecond=0)
    cutoff = now - timedelta(days=90)
    db.session.add(ZoomWebhookDelivery(dedupe_key="on-the-edge", event="meeting.participant_joined",
                                       received_at=cutoff, processed_at=cutoff,
                                       payload={"payload": {"object": {"participant": {"email": AMINA}}}}))
    db.session.add(AuditEntry(action="login", actor="organiser@ipu.example.org", ip="198.51.100.23", created_at=cutoff))
    db.session.commit()
    services.erase_expired(db.session, now=now, retention_days=90)
    db.session.commit()
    assert list(db.session.scalars(sa.select(ZoomWebhookDelivery.dedupe_key))) == ["on-the-edge"]
    assert list(db.session.scalars(sa.select(AuditEntry.ip))) == ["198.51.100.23"]


def test_retention_switched_off_erases_nothing_and_says_so(db, make_event, make_registration):
    event = _old_event(make_event, 400)
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    for days in (0, -5):
        assert services.erase_expired(db.session, now=utcnow(), retention_days=days) == services.RetentionReport(0, 0)
    db.session.commit()
    assert db.session.get(Registration, registration.id, populate_existing=True).email == AMINA


def test_the_erasure_log_is_dated_by_the_retention_runs_clock(db, make_event, make_registration):
    from panel_app.models import ErasureRecord

    event = _old_event(make_event, 200)
    make_registration(event, email=AMINA, email_normalized=AMINA)
    run_at = (utcnow() + timedelta(hours=6)).replace(microsecond=0)  # the job's clock, not the database's
    services.erase_expired(db.session, now=run_at, retention_days=30)
    db.session.commit()
    assert db.session.scalar(sa.select(ErasureRecord.created_at)) == run_at


def test_a_panel_of_more_than_five_hundred_is_erased_five_hundred_at_a_time_by_default(db, make_event):
    event = _old_event(make_event, 200, capacity=600)
    db.session.execute(sa.insert(Registration), [
        {"event_id": event.id, "first_name": "Députée", "last_name": f"Nº {n} Ñúñez-Öztürk", "salutation": "",
         "email": f"mp{n}@parliament.example", "email_normalized": f"mp{n}@parliament.example",
         "country": "FR", "affiliation_type": "member_parliament", "role": "mp", "language": "fr",
         "consent_at": utcnow(), "privacy_notice_version": "2026-01", "status": "confirmed",
         "token_hash": f"{n:064x}", "token_nonce": f"{n:032x}"} for n in range(501)])
    db.session.commit()
    now = utcnow()
    assert services.erase_expired(db.session, now=now, retention_days=30) == services.RetentionReport(1, 500)
    assert services.erase_expired(db.session, now=now, retention_days=30) == services.RetentionReport(1, 1)


def test_every_old_outbox_file_is_counted(tmp_path):
    import os

    now = utcnow().replace(microsecond=0)  # whole seconds: the edge file's mtime reads back exactly
    for n in range(3):
        path = tmp_path / f"invitation-{n}.eml"
        path.write_text("Subject: Invitation\n")
        old = (now - timedelta(days=10)).timestamp()
        os.utime(path, (old, old))
    on_the_edge = tmp_path / "edge.eml"
    on_the_edge.write_text("Subject: Rappel\n")
    edge = (now - timedelta(days=7)).timestamp()
    os.utime(on_the_edge, (edge, edge))
    assert services.erase_old_outbox_files(tmp_path, now=now, retention_days=7) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["edge.eml"]


def test_the_access_export_gives_each_change_with_when_who_what_and_details(db, make_event, make_registration):
    event = make_event(title="Parlamentos y cambio climático")
    registration, _ = make_registration(event, email=AMINA, email_normalized=AMINA)
    at = utcnow().replace(microsecond=0) - timedelta(days=2)
    db.session.add(AuditEntry(action="registration.status", actor="organiser@ipu.example.org",
                              registration_id=registration.id, created_at=at,
                              details={"from": "pending", "to": "confirmed", "note": "Délégation validée"}))
    db.session.commit()
    [record] = services.export_person(db.session, AMINA)["registrations"]
    assert record["history"] == [{"at": at.isoformat(), "actor": "organiser@ipu.example.org",
                                  "action": "registration.status",
                                  "details": {"from": "pending", "to": "confirmed", "note": "Délégation validée"}}]
