"""Past instances and participants reports, with Zoom's 2023 privacy rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from tests.zoom.testing.conftest import MEETING_ID, WEBINAR_ID, person

START = datetime(2030, 1, 1, 13, tzinfo=timezone.utc)


def row(n: int, **extra) -> dict:
    """A participants report row with the true values a Zoom admin would see (Zoom's field names)."""
    return {"id": f"user{n}", "user_id": str(16778240 + n), "name": f"Participant {n}", "user_email": f"p{n}@x.example",
            "join_time": "2030-01-01T13:00:00Z", "leave_time": "2030-01-01T13:30:00Z", "duration": 1800,
            "registrant_id": "", "participant_user_id": f"puid{n}", "status": "in_meeting", "failover": False,
            "customer_key": "", **extra}


def report(api, kind, meeting, **params):
    return api.get(f"/report/{kind}/{meeting}/participants", params={"page_size": 300, **params})


def test_external_participants_have_blank_ids_and_registrant_id_needs_include_fields(api, sim):
    """Changelog "Meeting API: Fields hidden in dashboard and report APIs" (March 3, 2023): `id` and
    `participant_user_id` are empty for guests; "Changes to Meeting API - Reporting and Dashboard endpoints"
    (March 21, 2023): rely on `registrant_id`, returned only with `include_fields=registrant_id`
    ("Get meeting participant reports")."""
    sim.add_instance(MEETING_ID, "inst+A==", START, [row(1, registrant_id="REG1"), row(2, internal=True)])
    guest, colleague = report(api, "meetings", "inst+A==").json()["participants"]
    assert (guest["id"], guest["participant_user_id"]) == ("", "") and "registrant_id" not in guest
    assert (colleague["id"], colleague["participant_user_id"]) == ("user2", "puid2")
    assert "internal" not in colleague
    with_ids = report(api, "meetings", "inst+A==", include_fields="registrant_id").json()["participants"]
    assert [p["registrant_id"] for p in with_ids] == ["REG1", ""]


def test_guest_email_follows_zoom_display_rules(api, sim):
    """"Zoom API email address display rules": a guest's email is shown when they entered it in this meeting's
    registration (or the host provided it), otherwise it is empty; users of the host's account always show."""
    api.post(f"/meetings/{MEETING_ID}/registrants", person(7))
    rows = [row(1, registrant_id="REG1"), row(2), row(3, user_email=person(7)["email"].upper()),
            row(4, email_shown=True), row(5, internal=True)]
    sim.add_instance(MEETING_ID, "inst-B", START, rows)
    emails = [p["user_email"] for p in report(api, "meetings", "inst-B").json()["participants"]]
    assert emails == ["p1@x.example", "", person(7)["email"].upper(), "p4@x.example", "p5@x.example"]


def test_waiting_room_rows_carry_their_status(api, sim):
    """Rows carry `status`: in_meeting | in_waiting_room ("Get meeting participant reports")."""
    sim.add_instance(MEETING_ID, "inst-C", START, [row(1), row(2, status="in_waiting_room")])
    assert [p["status"] for p in report(api, "meetings", "inst-C").json()["participants"]] == [
        "in_meeting", "in_waiting_room"]


def test_report_is_404_until_ready(api, sim):
    """A report is not there right after the meeting ends: 404 code 3001 until it is ready (sim clock)."""
    sim.report_delay = timedelta(minutes=30)
    sim.add_instance(MEETING_ID, "inst-D", START, [row(1)])
    early = report(api, "meetings", "inst-D")
    assert early.status_code == 404 and early.json() == {
        "code": 3001, "message": "Meeting inst-D not found or has expired."}
    sim.advance(timedelta(minutes=30))
    api.token = None
    assert report(api, "meetings", "inst-D").status_code == 200


def test_uuid_with_slashes_must_be_double_encoded(api, sim):
    """UUIDs that start with "/" or contain "//" must be double encoded ("Get meeting participant reports",
    `meetingId`; "Using Zoom APIs", Meeting ID and UUID). Single encoding is a 404."""
    uuid = "/aB3//kLm9+xyz=="
    sim.add_instance(MEETING_ID, uuid, START, [row(1)])
    assert report(api, "meetings", quote(uuid, safe="")).status_code == 404
    assert report(api, "meetings", quote(quote(uuid, safe=""), safe="")).status_code == 200


def test_meeting_id_means_the_latest_instance(api, sim):
    """"If you provide a meeting ID, the API will return a response for the latest meeting instance."""
    sim.add_instance(MEETING_ID, "first==", START, [row(1)])
    sim.add_instance(MEETING_ID, "second==", START + timedelta(days=7), [row(2), row(3)])
    names = [p["name"] for p in report(api, "meetings", MEETING_ID).json()["participants"]]
    assert names == ["Participant 2", "Participant 3"]


def test_past_instances_list_each_uuid_and_start_time(api, sim):
    """"List past meeting instances" -> {"meetings": [{uuid, start_time}]}; "List past webinar instances" ->
    {"webinars": [...]}: a reused or recurring id has several instances with different UUIDs."""
    sim.add_instance(MEETING_ID, "second==", START + timedelta(days=7), [])
    sim.add_instance(MEETING_ID, "first==", START, [])
    sim.add_instance(WEBINAR_ID, "web==", START, [])
    assert api.get(f"/past_meetings/{MEETING_ID}/instances").json() == {"meetings": [
        {"uuid": "first==", "start_time": "2030-01-01T13:00:00Z"},
        {"uuid": "second==", "start_time": "2030-01-08T13:00:00Z"}]}
    assert api.get(f"/past_webinars/{WEBINAR_ID}/instances").json() == {
        "webinars": [{"uuid": "web==", "start_time": "2030-01-01T13:00:00Z"}]}


def test_participants_report_pages_at_most_300(api, sim):
    """`page_size` at most 300 (default 30) with `next_page_token` ("Get meeting participant reports")."""
    sim.add_instance(MEETING_ID, "big==", START, [row(n) for n in range(305)])
    first = report(api, "meetings", "big==", page_size=1000).json()
    assert len(first["participants"]) == 300 and first["total_records"] == 305 and first["next_page_token"]
    assert len(api.get("/report/meetings/big==/participants").json()["participants"]) == 30
    rest = report(api, "meetings", "big==", next_page_token=first["next_page_token"]).json()
    assert len(rest["participants"]) == 5 and rest["next_page_token"] == ""


def test_webinar_reports_use_their_own_path_and_message(api, sim):
    """"Get webinar participant reports": 404 code 3001 'Webinar "{webinarId}" not found or has expired'."""
    sim.add_instance(WEBINAR_ID, "web==", START, [row(1)])
    assert report(api, "webinars", "web==").status_code == 200
    missing = report(api, "webinars", "nope==")
    assert missing.json() == {"code": 3001, "message": 'Webinar "nope==" not found or has expired'}
    assert report(api, "meetings", "web==").status_code == 404
