"""Outgoing webhooks against a real receiver on loopback that verifies every signature with the
Standard Webhooks reference library: queued with the change, retried with backoff, nothing
lost while the receiver is down, replayable, switched off by 410, erased with the person."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from panel_app.api.webhooks import delivery, signing
from panel_app.api.webhooks import services as webhook_services
from panel_app.models import (
    DeliveryState,
    Registration,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from panel_app.privacy import services as privacy_services
from panel_app.registration import services as registration_services
from tests.api.conftest import ApiClient
from tests.api.test_registrations import PERSON
from tests.factories import TEST_SECRET_KEY


def _deliveries(db):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_registration_made_through_the_api_reaches_the_receiver_signed(db, client, make_token, make_event,
                                                                          make_endpoint, receiver, clock):
    event = make_event(title="Solidarité parlementaire — soutenir les députés menacés")
    make_endpoint(receiver, event_types=["registration.created"])
    secret, _ = make_token("write")
    created = ApiClient(client, secret).post(f"/api/v1/events/{event.slug}/registrations", json=PERSON).get_json()
    report = delivery.deliver_due(db.session, now_fn=clock)
    assert report.delivered == 1
    [got] = receiver.received
    assert isinstance(got.verified, dict), got.verified  # the reference verifier accepts the signature
    assert got.verified["type"] == "registration.created"
    data = got.verified["data"]["registration"]
    assert data["id"] == created["id"] and data["last_name"] == "Ñúñez-Öztürk" and data["status"] == "confirmed"
    # The webhook's data is what a GET of the registration answers.
    assert data == ApiClient(client, secret).get(f"/api/v1/events/{event.slug}/registrations/{created['id']}") \
        .get_json()
    assert got.headers["webhook-id"].startswith("msg_") and got.headers["content-type"] == "application/json"
    [row] = _deliveries(db)
    assert row.state == DeliveryState.DELIVERED and row.last_status_code == 200 and row.attempts == 1
    assert row.last_response.startswith('{"ok": true') and len(row.last_response) == delivery.RESPONSE_KEEP


def test_the_signature_is_exactly_the_standard_webhooks_one(receiver):
    from standardwebhooks import Webhook

    secret = signing.derive_secret(TEST_SECRET_KEY, "0123456789abcdef")
    body = json.dumps({"type": "event.changed", "data": {"title": "Ñúñez"}}, ensure_ascii=False)
    headers = signing.headers(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1_700_000_000, body)
    expected = Webhook(secret).sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                                    __import__("datetime").datetime.fromtimestamp(1_700_000_000), body)
    assert headers["webhook-signature"] == expected
    assert secret.startswith("whsec_") and len(secret) > 40


def test_a_receiver_that_is_down_loses_nothing_and_attempts_back_off(db, make_event, make_registration,
                                                                     make_endpoint, receiver, clock):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    receiver.answers = [503, 500, 502, 200]
    people = [make_registration(event, email=f"delegate{i}@parliament.example")[0] for i in range(3)]
    for person in people:
        registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow(),
                                     actor="organiser@ipu.example.org")
    db.session.commit()
    assert len(_deliveries(db)) == 3  # written with the change, before anything was sent
    delivery.deliver_due(db.session, now_fn=clock)  # the receiver answers 503, 500, 502
    rows = _deliveries(db)
    assert [r.state for r in rows] == ["pending"] * 3 and {r.attempts for r in rows} == {1}
    assert {r.last_status_code for r in rows} == {503, 500, 502}
    assert all(r.next_attempt_at == clock.now + timedelta(seconds=30) for r in rows)
    assert delivery.deliver_due(db.session, now_fn=clock).delivered == 0  # not due yet: nothing sent
    assert len(receiver.received) == 3
    clock.advance(seconds=31)
    delivery.deliver_due(db.session, now_fn=clock)
    rows = _deliveries(db)
    assert [r.state for r in rows] == ["delivered"] * 3 and {r.attempts for r in rows} == {2}
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 3  # retries carry the same webhook-id
    assert all(isinstance(r.verified, dict) for r in receiver.received)


def test_backoff_doubles_up_to_the_cap_then_the_delivery_fails(db, app, make_event, make_registration,
                                                             make_endpoint, receiver, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 5)
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    receiver.answers = [500]
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    waits = []
    for _ in range(5):
        delivery.deliver_due(db.session, now_fn=clock)
        [row] = _deliveries(db)
        if row.next_attempt_at:
            waits.append(row.next_attempt_at - clock.now)
            clock.now = row.next_attempt_at
    assert waits == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert row.state == DeliveryState.FAILED and row.attempts == 5 and row.last_status_code == 500
    assert delivery.backoff(30) == timedelta(hours=6)


def test_a_replay_sends_the_same_message_again_with_a_fresh_signature(db, make_event, make_registration,
                                                                      make_endpoint, receiver, clock, admin_user):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    delivery.deliver_due(db.session, now_fn=clock)
    [row] = _deliveries(db)
    assert webhook_services.replay(db.session, row, user=db.session.get(User, admin_user.id), now=clock())
    db.session.commit()
    delivery.deliver_due(db.session, now_fn=clock)
    first, second = receiver.received
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    assert isinstance(second.verified, dict)
    assert _deliveries(db)[0].state == DeliveryState.DELIVERED


def test_a_410_gone_switches_the_endpoint_off_and_later_messages_wait(db, make_event, make_registration,
                                                                    make_endpoint, receiver, clock, admin_user):
    event = make_event()
    endpoint = make_endpoint(receiver, event_types=["registration.cancelled"])
    receiver.answers = [410, 200]
    people = [make_registration(event, email=f"p{i}@parliament.example")[0] for i in range(2)]
    registration_services.cancel(db.session, db.session.get(Registration, people[0].id), now=utcnow())
    db.session.commit()
    delivery.deliver_due(db.session, now_fn=clock)
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    db.session.refresh(endpoint)
    assert endpoint.active is False and "410" in endpoint.disabled_reason
    assert _deliveries(db)[0].state == DeliveryState.FAILED
    # While it is off, new changes are not queued for it.
    registration_services.cancel(db.session, db.session.get(Registration, people[1].id), now=utcnow())
    db.session.commit()
    assert len(_deliveries(db)) == 1


def test_an_endpoint_switched_off_keeps_its_pending_deliveries_until_it_is_on_again(
        db, make_event, make_registration, make_endpoint, receiver, clock, admin_user):
    event = make_event()
    endpoint = make_endpoint(receiver, event_types=["registration.cancelled"])
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    user = db.session.get(User, admin_user.id)
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    webhook_services.update_endpoint(db.session, endpoint, event_types=endpoint.event_types,
                                     description=endpoint.description, active=False, user=user, now=utcnow())
    db.session.commit()
    assert delivery.deliver_due(db.session, now_fn=clock).delivered == 0 and receiver.received == []
    webhook_services.update_endpoint(db.session, endpoint, event_types=endpoint.event_types,
                                     description=endpoint.description, active=True, user=user, now=utcnow())
    db.session.commit()
    assert delivery.deliver_due(db.session, now_fn=clock).delivered == 1


def test_a_changed_secret_key_stops_deliveries_with_a_clear_error(db, app, make_event, make_registration,
                                                                  make_endpoint, receiver, clock, monkeypatch):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
    delivery.deliver_due(db.session, now_fn=clock)
    [row] = _deliveries(db)
    assert row.state == DeliveryState.FAILED and "rotate" in row.last_error and receiver.received == []


def test_event_changes_and_attendance_are_announced(db, client, make_token, make_event, make_registration,
                                                    make_endpoint, receiver, clock):
    event = make_event(status="draft", title="Parlements et droits humains — Ñúñez")
    make_endpoint(receiver, event_types=["event.changed", "attendance.recorded"])
    secret, _ = make_token("write")
    api = ApiClient(client, secret)
    person, _ = make_registration(event)
    api.patch(f"/api/v1/events/{event.slug}", json={"capacity": 150})
    api.post(f"/api/v1/events/{event.slug}/publish")
    api.put(f"/api/v1/events/{event.slug}/registrations/{person.id}/attendance", json={"attended": True})
    delivery.deliver_due(db.session, now_fn=clock)
    payloads = sorted(receiver.payloads, key=lambda p: p["timestamp"])
    kinds = [(p["type"], p["data"].get("change")) for p in payloads]
    assert kinds == [("event.changed", "updated"), ("event.changed", "published"), ("attendance.recorded", None)]
    assert payloads[0]["data"]["changed"] == ["capacity"] and payloads[0]["data"]["event"]["capacity"] == 150
    assert payloads[2]["data"]["attendance"]["attended"] is True


def test_nothing_is_written_when_no_endpoint_listens(db, make_event, make_registration):
    event = make_event()
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookMessage)) == 0


def test_erasing_a_person_leaves_no_personal_data_in_stored_messages(db, make_event, make_registration,
                                                                     make_endpoint, receiver, clock):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled", "registration.changed"])
    person, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk",
                                  email="mj.nunez@congreso.example", language="es")
    registration_services.change_languages(db.session, db.session.get(Registration, person.id), language="fr",
                                           email_language=None, now=utcnow())
    db.session.commit()  # a message written while the data was there
    privacy_services.erase_registration(db.session, db.session.get(Registration, person.id), now=utcnow(),
                                        reason="registrant")
    db.session.commit()
    changed, cancelled = db.session.scalars(sa.select(WebhookMessage).order_by(WebhookMessage.id)).all()
    for message in (changed, cancelled):
        assert "Ñúñez" not in message.body and "congreso" not in message.body
    assert json.loads(changed.body)["data"]["registration"] == {"id": person.id, "event": event.slug,
                                                                "status": "confirmed", "erased": True}
    # The cancellation still tells the receiver, without the person's data.
    delivery.deliver_due(db.session, now_fn=clock)
    cancellation = next(p for p in receiver.payloads if p["type"] == "registration.cancelled")
    assert cancellation["data"]["registration"]["status"] == "cancelled"
    assert cancellation["data"]["registration"]["last_name"] == ""
