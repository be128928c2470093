"""Attendance in the console: walk-ins shown, exported, and matched to a registration by hand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from panel_app.attendance import services as attendance
from panel_app.models import AttendanceSession, AuditEntry, Registration, WalkIn, utcnow


def test_walk_ins_are_shown_on_the_attendance_page_with_attendance_by_channel(organiser, populated):
    html = organiser.get(f"/admin/events/{populated.past.slug}/attendance").get_data(as_text=True)
    assert "+41 22 919 41 50" in html and "Invité spécial de l&#39;ONU" in html
    assert "By interpretation channel" in html and "Match to a registration" in html
    assert f"/admin/events/{populated.past.slug}/walk-ins.csv" in html
    dashboard = organiser.get(f"/admin/events/{populated.past.slug}").get_data(as_text=True)
    assert "2 walk-ins to match" in dashboard


def test_walk_ins_are_in_the_exports(organiser, populated):
    body = organiser.get(f"/admin/events/{populated.past.slug}/walk-ins.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["Name shown in Zoom"] for r in rows] == ["'+41 22 919 41 50", "Invité spécial de l'ONU"]
    assert rows[0]["Minutes attended"] == "75"
    book = openpyxl.load_workbook(io.BytesIO(organiser.get(
        f"/admin/events/{populated.past.slug}/registrations.xlsx").get_data()))
    assert book.sheetnames == ["Registrations", "Walk-ins"]
    assert [c.value for c in book["Walk-ins"][3]][:2] == ["Invité spécial de l'ONU", "guest@un.example"]


def test_an_organiser_matches_a_phone_dial_in_to_a_registration_and_it_sticks(
        organiser, post, db, populated):
    event, phone = populated.past, populated.walk_ins[0]
    unknown = populated.attendees[4]  # confirmed, attendance not known
    page = organiser.get(f"/admin/events/{event.slug}/attendance/walk-ins/{phone.id}?q=ñúñez")
    assert page.status_code == 200 and "Ñúñez-Öztürk" in page.get_data(as_text=True)
    search = organiser.get(f"/admin/events/{event.slug}/attendance/walk-ins/{phone.id}?q=kierkegaard")
    assert "Kierkegaard-Łukasiewicz" in search.get_data(as_text=True)
    url = f"/admin/events/{event.slug}/attendance/walk-ins/{phone.id}"
    response = post(organiser, url + "/match", {"registration_id": str(unknown.id)}, form_url=url,
                    follow_redirects=True)
    assert "is now counted as Søren Kierkegaard-Łukasiewicz (1 stay(s) moved)" in response.get_data(as_text=True)
    db.session.expire_all()
    matched = db.session.get(Registration, unknown.id)
    assert (matched.attended, matched.attended_minutes, matched.attendance_source) == (True, 75, "zoom")
    assert db.session.get(WalkIn, phone.id).matched_registration_id == unknown.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "attendance.match"))
    assert entry.registration_id == unknown.id and entry.details == {"walk_in": "+41 22 919 41 50", "sessions": 1}
    html = organiser.get(f"/admin/events/{event.slug}/attendance").get_data(as_text=True)
    assert "Matched by hand" in html and "Match to a registration<span class=\"visually-hidden\"> (+41" not in html

    # Zoom's report read later still has the dial-in under the same identity: it counts for the match.
    from panel_app.attendance.services import Participant

    attendance.record_report_stay(db.session, event, Participant(name="+41 22 919 41 50"), meeting_uuid="abc==",
                                  joined_at=event.starts_at + timedelta(minutes=80),
                                  left_at=event.starts_at + timedelta(minutes=90))
    attendance.recompute_event(db.session, event, now=utcnow(), final=True)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, unknown.id).attended_minutes == 85
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)
                             .where(AttendanceSession.walk_in_id == phone.id)) == 0


def test_matching_is_refused_clearly_for_someone_not_confirmed_or_twice(organiser, post, db, populated,
                                                                       make_registration):
    event, guest = populated.past, populated.walk_ins[1]
    declined, _ = make_registration(event, status="declined", email="declined@parl.example")
    url = f"/admin/events/{event.slug}/attendance/walk-ins/{guest.id}"
    html = post(organiser, url + "/match", {"registration_id": str(declined.id)}, form_url=url,
                follow_redirects=True).get_data(as_text=True)
    assert "Only a confirmed registration can be matched" in html
    other_event_person = populated.people[0]
    html = post(organiser, url + "/match", {"registration_id": str(other_event_person.id)}, form_url=url,
                follow_redirects=True).get_data(as_text=True)
    assert "Choose the registration this person is." in html
    for junk in ("", "abc", "99999999999999", "-1"):
        response = post(organiser, url + "/match", {"registration_id": junk}, form_url=url)
        assert response.status_code == 303, junk
    assert post(organiser, url + "/match", {"registration_id": str(populated.attendees[0].id)},
                form_url=url).status_code == 303
    html = post(organiser, url + "/match", {"registration_id": str(populated.attendees[1].id)}, form_url=url,
                follow_redirects=True).get_data(as_text=True)
    assert "already matched" in html
    assert organiser.get(f"/admin/events/{event.slug}/attendance/walk-ins/99999999999").status_code == 404
    assert organiser.get(f"{url}?q=%00").status_code == 400


def test_viewers_see_walk_ins_but_cannot_match(signed_in, post, populated):
    viewer, _ = signed_in("viewer")
    event, phone = populated.past, populated.walk_ins[0]
    url = f"/admin/events/{event.slug}/attendance/walk-ins/{phone.id}"
    page = viewer.get(url + "?q=diallo").get_data(as_text=True)
    assert "Diallo" in page and "This is them" not in page
    assert post(viewer, url + "/match", {"registration_id": "1"}, form_url=url).status_code == 403
