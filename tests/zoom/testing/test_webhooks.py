"""Webhooks: signing, url_validation, Zoom's own notifications and Zoom's delivery rule."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from tests.zoom.testing.conftest import MEETING_ID, WEBINAR_ID, person


def test_notifications_are_signed_v0_hmac_sha256_over_timestamp_and_body(sim, receiver):
    """"Using webhooks": x-zm-signature = "v0=" + hex HMAC-SHA256(secret token, "v0:{x-zm-request-timestamp}:
    {body}"); the body carries `event`, `event_ts` (ms) and `payload`."""
    sim.send_webhook(receiver.url, "meeting.participant_joined",
                     sim.participant_payload(MEETING_ID, "inst==", {"user_name": "María-José"}), event_ts=1700000000123)
    [got] = receiver.received
    ts = got.headers["X-Zm-Request-Timestamp"]
    expected = hmac.new(sim.webhook_secret.encode(), f"v0:{ts}:".encode() + got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Zm-Signature"] == f"v0={expected}"
    assert got.json["event_ts"] == 1700000000123 and got.json["payload"]["object"]["id"] == MEETING_ID


def test_url_validation_expects_the_hashed_plain_token(sim, receiver):
    """endpoint.url_validation: answer {"plainToken", "encryptedToken": hex HMAC-SHA256(secret, plainToken)};
    an endpoint that answers anything else fails validation."""
    assert sim.validate_endpoint(receiver.url) is False  # the receiver answers {} to everything
    assert receiver.received[0].json["event"] == "endpoint.url_validation"
    assert receiver.received[0].json["payload"]["plainToken"]


def test_registration_changes_made_through_the_api_are_echoed(api, sim, receiver):
    """"Meeting Registration Created" is "triggered every time a user registers for a meeting", including
    through "Add Meeting Registrant"; status changes send registration_approved / _denied / _cancelled
    (payloads: MeetingRegistration*Event in Zoom's rivet types)."""
    sim.deliver_webhooks_to(receiver.url)
    sim.meetings[MEETING_ID].approval = "manual"
    rid = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()["registrant_id"]
    api.put(f"/meetings/{MEETING_ID}/registrants/status", {"action": "approve", "registrants": [{"id": rid}]})
    api.put(f"/meetings/{MEETING_ID}/registrants/status", {"action": "cancel", "registrants": [{"id": rid}]})
    api.post(f"/webinars/{WEBINAR_ID}/registrants", person(2))
    sim.flush_webhooks()
    assert receiver.events() == ["meeting.registration_created", "meeting.registration_approved",
                                 "meeting.registration_cancelled", "webinar.registration_created"]
    created, approved, cancelled = (r.json["payload"] for r in receiver.received[:3])
    assert created["object"]["registrant"]["status"] == "pending" and created["object"]["registrant"]["join_url"]
    assert set(approved["object"]["registrant"]) >= {"id", "email", "join_url"} and approved["operator"]
    assert set(cancelled["object"]["registrant"]) == {"id", "first_name", "last_name", "email"}
    assert all(d.outcome == "delivered" for d in sim.deliveries)


def test_held_notifications_are_released_late_and_out_of_order(api, sim, receiver):
    """A control for tests: Zoom gives no ordering guarantee, so notifications can arrive late and reversed;
    each keeps its own `event_ts`."""
    sim.deliver_webhooks_to(receiver.url)
    sim.hold_webhooks()
    rid = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()["registrant_id"]
    sim.advance(5)
    api.put(f"/meetings/{MEETING_ID}/registrants/status", {"action": "cancel", "registrants": [{"id": rid}]})
    sim.flush_webhooks()
    assert receiver.received == []
    sim.release_webhooks("reverse")
    sim.flush_webhooks()
    assert receiver.events() == ["meeting.registration_cancelled", "meeting.registration_created"]
    stamps = [r.json["event_ts"] for r in receiver.received]
    assert stamps[0] - stamps[1] >= 5000


def test_an_answer_after_three_seconds_is_a_failed_delivery_retried_then_dropped(sim, receiver):
    """Zoom counts a delivery only when the endpoint answers 200 or 204 within three seconds; otherwise it
    retries 5 minutes later, then 20 minutes after that, then 60, and drops the event ("Resolving webhook
    delays", https://developers.zoom.us/blog/webhook-delays/)."""
    sim.deliver_webhooks_to(receiver.url)
    receiver.answers = [(200, 3.2), (500, 0), (202, 0), (404, 0)]
    sim.emit("meeting.participant_joined", sim.participant_payload(MEETING_ID, "inst==", {"user_name": "A"}))
    sim.flush_webhooks()
    [delivery] = sim.deliveries
    assert delivery.outcome == "pending" and delivery.attempts[0][1] == "ReadTimeout"
    for minutes, outcome in ((5, "pending"), (20, "pending"), (59, "pending"), (1, "dropped")):
        sim.advance(timedelta(minutes=minutes))
        sim.flush_webhooks()
        assert delivery.outcome == outcome, minutes
    assert [a[1] for a in delivery.attempts] == ["ReadTimeout", 500, 202, 404]  # 202 is not 200 or 204
    assert sim.dropped_webhooks() == [delivery]
    assert len({json.loads(r.body)["event_ts"] for r in receiver.received}) == 1  # one event, four tries


def test_a_retry_that_succeeds_delivers_the_event(sim, receiver):
    sim.deliver_webhooks_to(receiver.url)
    receiver.answers = [(503, 0)]
    sim.emit("meeting.ended", sim.ended_payload(MEETING_ID, "inst==", sim.clock.now()))
    sim.flush_webhooks()
    sim.advance(timedelta(minutes=5))
    sim.flush_webhooks()
    assert [d.outcome for d in sim.deliveries] == ["delivered"] and sim.dropped_webhooks() == []
    assert receiver.received[1].json["payload"]["object"]["end_time"]


def test_participant_payloads_follow_the_webhook_reference(sim):
    """meeting.participant_joined / meeting.ended payloads (MeetingParticipantJoinedEvent, MeetingEndedEvent):
    account_id, object {id (string), uuid, host_id, topic, type, start_time, timezone, duration, participant}."""
    payload = sim.participant_payload(MEETING_ID, "inst==", {"user_id": "16778240", "user_name": "A",
                                                             "join_time": "2030-01-01T13:00:00Z"})
    assert set(payload) == {"account_id", "object"}
    assert set(payload["object"]) == {"id", "uuid", "host_id", "topic", "type", "start_time", "timezone",
                                      "duration", "participant"}
    assert payload["object"]["id"] == MEETING_ID and payload["object"]["uuid"] == "inst=="
    ended = sim.ended_payload(MEETING_ID, "inst==", sim.clock.now())["object"]
    assert ended["end_time"].endswith("Z") and isinstance(ended["id"], str)
