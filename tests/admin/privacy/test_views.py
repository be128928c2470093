"""Personal data requests inside the console: the page, and an export that holds every row about a person."""

from __future__ import annotations

import json

from panel_app.models import AttendanceSession
from tests.conftest import csrf_from


def test_the_personal_data_page_sits_in_the_console(signed_in):
    admin, _ = signed_in("admin")
    html = admin.get("/admin/privacy").get_data(as_text=True)
    assert 'class="admin-nav"' in html and 'href="/admin/privacy" aria-current="page"' in html
    assert "Sign out" in html


def test_the_export_covers_registrations_emails_attendance_and_history(signed_in, db, populated):
    admin, _ = signed_in("admin")
    person = populated.people[0]
    db.session.add(AttendanceSession(event_id=person.event_id, registration_id=person.id, participant_key="r:x",
                                     name=person.full_name, email=person.email, joined_at=person.event.starts_at,
                                     left_at=person.event.ends_at, source="report"))
    db.session.commit()
    token = csrf_from(admin, "/admin/privacy")
    response = admin.post("/admin/privacy/export", data={"csrf_token": token, "email": person.email.upper()})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    [record] = data["registrations"]
    assert record["last_name"] == "Ñúñez-Öztürk"
    assert [e["kind"] for e in record["emails"]] == ["confirmed", "reminder", "group_message"]
    assert record["emails"][1]["state"] == "failed" and record["emails"][2]["subject"] == "Programme"
    assert record["attendance_sessions"][0]["source"] == "report"
    assert {h["action"] for h in record["history"]} >= {"registration.status", "registration.edit"}

    guest = admin.post("/admin/privacy/export", data={"csrf_token": token, "email": "guest@un.example"})
    walk_ins = json.loads(guest.get_data(as_text=True))["walk_ins"]
    assert walk_ins and walk_ins[0]["name"] == "Invité spécial de l'ONU"
