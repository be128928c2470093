"""POST /webhooks/zoom over real HTTP: signatures, url_validation, dedupe, event handling."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState
from panel_app.models.attendance import AttendanceSession, WalkIn
from panel_app.models.zoom import ZoomWebhookDelivery
from tests.zoom.conftest import MEETING_ID
from tests.zoom.test_sync import register, reload


@pytest.fixture
def hook_url(live_server, zoom_config, db):
    return f"{live_server}/webhooks/zoom"


def joined(sim, registrant_id="", email="", name="Amina Diallo", at="2030-01-01T13:00:00Z", uuid="inst-1"):
    return sim.participant_payload(MEETING_ID, uuid, {
        "user_id": "16778240", "user_name": name, "id": "", "participant_uuid": "pu-1", "join_time": at,
        "email": email, "registrant_id": registrant_id, "participant_user_id": ""})


def left(sim, registrant_id="", email="", name="Amina Diallo", at="2030-01-01T13:30:00Z", uuid="inst-1"):
    return sim.participant_payload(MEETING_ID, uuid, {
        "user_id": "16778240", "user_name": name, "id": "", "participant_uuid": "pu-1", "leave_time": at,
        "leave_reason": "left the meeting", "email": email, "registrant_id": registrant_id,
        "participant_user_id": ""})


def deliveries() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery))


def test_url_validation_is_answered_with_the_encrypted_token(sim, hook_url):
    assert sim.validate_endpoint(hook_url)


def test_url_validation_with_a_bad_signature_is_refused(sim, hook_url):
    response = sim.send_webhook(hook_url, "endpoint.url_validation", {"plainToken": "abc"}, secret="not-the-secret")
    assert response.status_code == 401
    assert "encryptedToken" not in response.text


@pytest.mark.parametrize("case", ["forged", "stale", "future", "missing", "garbage-timestamp"])
def test_unauthentic_notifications_are_refused_before_anything_else(sim, hook_url, db, case):
    import requests

    payload = joined(sim, email="a@b.example")
    if case == "forged":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, secret="forged")
    elif case == "stale":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, timestamp=int(time.time()) + 301)
    elif case == "missing":
        response = requests.post(hook_url, json={"event": "meeting.participant_joined", "payload": payload}, timeout=5)
    else:
        response = requests.post(hook_url, data=b"{}", timeout=5, headers={
            "x-zm-request-timestamp": "yesterday", "x-zm-signature": "v0=00"})
    assert response.status_code == 401
    assert deliveries() == 0


def test_malformed_json_with_a_valid_signature_is_a_400_not_a_500(sim, hook_url):
    import requests

    body = b'{"event": "meeting.participant_joined", "payload": '
    ts = str(int(time.time()))
    response = requests.post(hook_url, data=body, timeout=5, headers={
        "Content-Type": "application/json", "x-zm-request-timestamp": ts, "x-zm-signature": sim.sign(body, ts)})
    assert response.status_code == 400
    body = json.dumps(["not", "an", "object"]).encode()
    response = requests.post(hook_url, data=body, timeout=5, headers={
        "x-zm-request-timestamp": ts, "x-zm-signature": sim.sign(body, ts)})
    assert response.status_code == 400


def test_unknown_events_are_ignored_with_200(sim, hook_url):
    response = sim.send_webhook(hook_url, "meeting.sharing_started", {"object": {"id": 1}})
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert deliveries() == 0


def test_redelivery_is_recorded_once(sim, hook_url, zoom_event):
    zoom_event()
    payload = joined(sim, email="a@b.example")
    first = sim.send_webhook(hook_url, "meeting.participant_joined", payload, event_ts=1700000000000)
    again = sim.send_webhook(hook_url, "meeting.participant_joined", payload, event_ts=1700000000000,
                             timestamp=int(time.time()) + 2)
    assert first.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    assert deliveries() == 1


def test_answer_comes_well_within_zooms_three_seconds(sim, hook_url, zoom_event):
    zoom_event()
    started = time.monotonic()
    response = sim.send_webhook(hook_url, "meeting.participant_joined", joined(sim, email="a@b.example"))
    assert response.status_code == 200 and time.monotonic() - started < 3


def test_participant_events_record_attendance_for_the_registrant(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    rid = reload(registration.id).zoom_registrant_id
    sim.send_webhook(hook_url, "meeting.participant_left", left(sim, registrant_id=rid))  # out of order
    sim.send_webhook(hook_url, "meeting.participant_joined", joined(sim, registrant_id=rid))
    sim.send_webhook(hook_url, "meeting.participant_joined", joined(sim, email="guest@else.example", name="Guest"))
    assert drain_jobs() == 3
    fresh = reload(registration.id)
    assert fresh.attended is True and fresh.attended_minutes == 30
    assert fresh.first_joined_at.isoformat() == "2030-01-01T13:00:00+00:00"
    assert db.session.scalar(sa.select(WalkIn.email)) == "guest@else.example"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery)
                             .where(ZoomWebhookDelivery.processed_at.is_(None))) == 0


def test_meeting_ended_closes_open_stays(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    registration = register(event, 1, email="Late@Parliament.example", email_normalized="late@parliament.example")
    drain_jobs()
    sim.send_webhook(hook_url, "meeting.participant_joined", joined(sim, email="LATE@parliament.example"))
    obj = sim.meeting_object(MEETING_ID, "inst-1")
    obj["end_time"] = "2030-01-01T14:00:00Z"
    sim.send_webhook(hook_url, "meeting.ended", {"account_id": sim.account_id, "object": obj})
    drain_jobs()
    assert reload(registration.id).attended_minutes == 60  # matched by email, case-insensitively


def test_cancellation_in_zoom_cancels_here_without_echoing_back(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    [person] = sim.registrants(MEETING_ID)
    person.status = "denied"  # an organiser cancelled in Zoom's own interface: Zoom lists them as denied
    sim.send_webhook(hook_url, "meeting.registration_cancelled", sim.registrant_payload(MEETING_ID, person))
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_synced_status == "cancel"
    assert fresh.zoom_state == SyncState.DONE
    assert sim.status_updates == []


def test_someone_registering_directly_on_zoom_is_imported(sim, hook_url, zoom_event, zoom_client, drain_jobs):
    event = zoom_event()
    data = zoom_client.add_registrant("meetings", MEETING_ID, {
        "email": "Direct@Senat.example", "first_name": "Jean", "last_name": "Dupont", "language": "fr-FR",
        "country": "FR"})
    person = sim.registrants(MEETING_ID)[0]
    sim.send_webhook(hook_url, "meeting.registration_created", sim.registrant_payload(MEETING_ID, person))
    drain_jobs()
    imported = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id))
    assert imported.email_normalized == "direct@senat.example" and imported.language == "fr"
    assert imported.zoom_registrant_id == data["registrant_id"] and imported.zoom_join_url == data["join_url"]
    assert imported.status == RegistrationStatus.CONFIRMED


def test_failed_processing_is_kept_for_the_sweep(sim, hook_url, zoom_event, drain_jobs):
    zoom_event()
    payload = joined(sim, email="a@b.example")
    payload["object"]["participant"]["join_time"] = "not a time"
    response = sim.send_webhook(hook_url, "meeting.participant_joined", payload)
    assert response.status_code == 200
    drain_jobs()
    delivery = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert delivery.processed_at is not None  # unparseable time: nothing recorded, nothing crashed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == 0


def test_deliveries_whose_job_was_lost_are_processed_by_the_sweep(sim, hook_url, zoom_event, drain_jobs):
    from datetime import timedelta

    from panel_app.queue import queue
    from panel_app.zoom.jobs import sweep_webhooks_job

    zoom_event()
    sim.send_webhook(hook_url, "meeting.participant_joined", joined(sim, email="a@b.example"))
    queue.huey.flush()  # the job was lost
    delivery = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert sweep_webhooks_job() == 0  # too fresh: its own job may still be on the way
    delivery.received_at = delivery.received_at - timedelta(minutes=2)
    db.session.commit()
    assert sweep_webhooks_job() == 1
    drain_jobs()
    db.session.expire_all()
    assert db.session.scalar(sa.select(ZoomWebhookDelivery)).processed_at is not None
    assert db.session.scalar(sa.select(WalkIn.email)) == "a@b.example"
