"""POST /webhooks/zoom over real HTTP: signatures, strict JSON, capacity, dedupe, what each event changes."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState, utcnow
from panel_app.models.attendance import AttendanceImport, AttendanceSession, WalkIn
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.registration import services as registration_services
from tests.zoom.conftest import MEETING_ID
from tests.zoom.helpers import event_ts, participant, participant_event, register, reload


@pytest.fixture
def hook_url(live_server, zoom_config, db):
    return f"{live_server}/webhooks/zoom"


@pytest.fixture
def live_event(zoom_event):
    """A panel that started ten minutes ago (joins now are inside its window)."""
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    return zoom_event(starts_at=start, ends_at=start + timedelta(minutes=90))


def status_log(registration_id: int) -> list[tuple[str, str, str]]:
    """The audit log's status changes of a registration: (actor, from, to)."""
    from panel_app.models.audit import AuditEntry

    db.session.expire_all()
    return [(e.actor, e.details["from"], e.details["to"]) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.status",
                                    AuditEntry.registration_id == registration_id).order_by(AuditEntry.id))]


def deliveries() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery))


def post_signed(sim, url: str, body: bytes, **headers) -> requests.Response:
    ts = str(int(time.time()))
    return requests.post(url, data=body, timeout=5, headers={
        "Content-Type": "application/json", "x-zm-request-timestamp": ts, "x-zm-signature": sim.sign(body, ts),
        **headers})


def joined_payload(sim, event, *, minutes=0, uuid="instance-1==", **person) -> dict:
    return participant_event(sim, MEETING_ID, uuid, event.starts_at,
                             participant(at=event.starts_at + timedelta(minutes=minutes), **person))


# -- verification and strict parsing -----------------------------------------------------------

def test_url_validation_is_answered_with_the_encrypted_token(sim, hook_url):
    assert sim.validate_endpoint(hook_url)


def test_url_validation_with_a_bad_signature_is_refused(sim, hook_url):
    response = sim.send_webhook(hook_url, "endpoint.url_validation", {"plainToken": "abc"}, secret="not-the-secret")
    assert response.status_code == 401
    assert "encryptedToken" not in response.text


@pytest.mark.parametrize("case", ["forged", "stale", "future", "missing", "garbage-timestamp", "no-timestamp"])
def test_unauthentic_notifications_are_refused_before_anything_else(sim, hook_url, live_event, db, case):
    payload = joined_payload(sim, live_event, email="a@b.example")
    body = json.dumps({"event": "meeting.participant_joined", "payload": payload}).encode()
    if case == "forged":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, secret="forged")
    elif case == "stale":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = sim.send_webhook(hook_url, "meeting.participant_joined", payload, timestamp=int(time.time()) + 301)
    elif case == "missing":
        response = requests.post(hook_url, data=body, timeout=5, headers={"Content-Type": "application/json"})
    elif case == "garbage-timestamp":
        response = requests.post(hook_url, data=b"{}", timeout=5, headers={
            "x-zm-request-timestamp": "yesterday", "x-zm-signature": "v0=00"})
    else:  # a correct-looking signature with no timestamp header at all
        ts = str(int(time.time()))
        response = requests.post(hook_url, data=body, timeout=5, headers={
            "Content-Type": "application/json", "x-zm-signature": sim.sign(body, ts)})
    assert response.status_code == 401
    assert deliveries() == 0


@pytest.mark.parametrize(("case", "body"), [
    ("truncated", b'{"event": "meeting.participant_joined", "payload": '),
    ("not an object", b'["not", "an", "object"]'),
    ("NaN", b'{"event": "meeting.participant_joined", "event_ts": NaN, "payload": {}}'),
    ("Infinity", b'{"event": "meeting.participant_joined", "payload": {"object": {"duration": Infinity}}}'),
    ("-Infinity", b'{"event": "meeting.participant_joined", "payload": {"object": {"duration": -Infinity}}}'),
    ("lone surrogate", b'{"event": "meeting.participant_joined", "payload": {"object": {"topic": "\\ud800"}}}'),
    ("NUL", b'{"event": "meeting.participant_joined", "payload": {"object": {"topic": "a\\u0000b"}}}'),
    ("deep nesting", b'{"event": "meeting.participant_joined", "payload": ' + b'{"a": ' * 5000 + b"1"
     + b"}" * 5000 + b"}"),
    ("payload not an object", b'{"event": "meeting.participant_joined", "payload": [1, 2]}'),
    ("not UTF-8", b'{"event": "meeting.participant_joined", "payload": {"topic": "\xff\xfe"}}'),
])
def test_signed_but_malformed_json_is_a_400_and_stores_nothing(sim, hook_url, live_event, case, body):
    response = post_signed(sim, hook_url, body)
    assert response.status_code == 400, case
    assert response.headers["Content-Type"].startswith("application/json")
    assert deliveries() == 0


def test_unknown_events_are_ignored_with_200(sim, hook_url):
    response = sim.send_webhook(hook_url, "meeting.sharing_started", {"object": {"id": 1}})
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert deliveries() == 0


def test_redelivery_is_recorded_once(sim, hook_url, live_event):
    payload = joined_payload(sim, live_event, email="a@b.example")
    first = sim.send_webhook(hook_url, "meeting.participant_joined", payload, event_ts=1700000000000)
    again = sim.send_webhook(hook_url, "meeting.participant_joined", payload, event_ts=1700000000000,
                             timestamp=int(time.time()) + 2)
    assert first.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    assert deliveries() == 1


def test_answer_comes_well_within_zooms_three_seconds(sim, hook_url, live_event):
    started = time.monotonic()
    response = sim.send_webhook(hook_url, "meeting.participant_joined", joined_payload(sim, live_event,
                                                                                       email="a@b.example"))
    assert response.status_code == 200 and time.monotonic() - started < 3


def test_signed_notifications_are_never_rate_limited_only_failed_verifications(sim, zoom_config, database_url,
                                                                               tmp_path, make_event):
    """Zoom sends from few addresses: a burst of joins must all get in (RATELIMIT_WEBHOOK counts failures)."""
    from panel_app.extensions import limiter
    from panel_app.queue import queue
    from tests.apps import build_app, serving

    shared = queue._last
    application = build_app(tmp_path / "limited", database_url, RATELIMIT_ENABLED=True,
                            RATELIMIT_STORAGE_URI="memory://", RATELIMIT_WEBHOOK="3 per minute",
                            **{k: v for k, v in zoom_config.items() if k.startswith("ZOOM_")})
    try:
        start = utcnow().replace(microsecond=0) - timedelta(minutes=5)
        event = make_event(zoom_meeting_id=MEETING_ID, starts_at=start, ends_at=start + timedelta(minutes=90))
        with serving(application) as base:
            url = f"{base}/webhooks/zoom"
            signed = [sim.send_webhook(url, "meeting.participant_joined", joined_payload(
                sim, event, minutes=n % 5, email=f"mp{n}@parliament.example", participant_uuid=f"pu-{n}")).status_code
                for n in range(12)]
            unsigned = [requests.post(url, data=b"{}", timeout=5).status_code for _ in range(5)]
            still_signed = sim.send_webhook(url, "meeting.participant_joined", joined_payload(
                sim, event, minutes=7, email="late@parliament.example")).status_code
    finally:
        with application.app_context():
            db.engine.dispose()
        queue._last = shared
        limiter.init_app(shared.app)
    assert signed == [200] * 12 and still_signed == 200
    assert unsigned == [401, 401, 401, 429, 429]
    assert deliveries() == 13


# -- participants ------------------------------------------------------------------------------

def test_a_registrant_outside_the_hosts_account_is_matched_by_registrant_id(sim, hook_url, live_event, drain_jobs,
                                                                            make_registration):
    registration, _ = make_registration(live_event, zoom_registrant_id="reg-maria", zoom_state=SyncState.DONE,
                                        first_name="María-José", last_name="Ñúñez-Öztürk",
                                        email="mj.nunez@congreso.example", email_normalized="mj.nunez@congreso.example")
    make_registration(live_event)  # someone else, who never joins
    start = live_event.starts_at
    # Zoom blanks id, participant_user_id and (here) the email of people outside the host's account.
    sim.send_webhook(hook_url, "meeting.participant_left", participant_event(
        sim, MEETING_ID, "instance-1==", start, participant(registrant_id="reg-maria", name="MJ (iPad)",
                                                           at=start + timedelta(minutes=40), leave=True)))
    sim.send_webhook(hook_url, "meeting.participant_joined", participant_event(
        sim, MEETING_ID, "instance-1==", start, participant(registrant_id="reg-maria", name="MJ (iPad)",
                                                           at=start + timedelta(minutes=10))))
    sim.send_webhook(hook_url, "meeting.participant_joined", participant_event(
        sim, MEETING_ID, "instance-1==", start, participant(email="guest@else.example", name="Invité Spécial",
                                                           at=start + timedelta(minutes=12))))
    assert drain_jobs() == 3
    fresh = reload(registration.id)
    assert fresh.attended is True and fresh.attended_minutes == 30
    assert fresh.first_joined_at == start + timedelta(minutes=10)
    assert db.session.scalars(sa.select(WalkIn.name)).all() == ["Invité Spécial"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery)
                             .where(ZoomWebhookDelivery.processed_at.is_(None))) == 0


def test_joins_in_another_session_of_a_reused_meeting_id_are_not_counted(sim, hook_url, zoom_event, drain_jobs,
                                                                         make_registration):
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    this_week = zoom_event(starts_at=start, ends_at=start + timedelta(minutes=90))
    last_week = zoom_event(starts_at=start - timedelta(days=7), ends_at=start - timedelta(days=7, minutes=-90))
    ours, _ = make_registration(this_week, zoom_registrant_id="reg-1", zoom_state=SyncState.DONE)
    theirs, _ = make_registration(last_week, zoom_registrant_id="reg-old", zoom_state=SyncState.DONE)
    earlier = start - timedelta(days=3)  # a session on a day that is no event's
    sim.send_webhook(hook_url, "meeting.participant_joined", participant_event(
        sim, MEETING_ID, "other-session==", earlier, participant(registrant_id="reg-1", at=earlier)))
    sim.send_webhook(hook_url, "meeting.participant_joined", participant_event(
        sim, MEETING_ID, "this-week==", start, participant(registrant_id="reg-1", at=start + timedelta(minutes=1))))
    drain_jobs()
    assert reload(ours.id).first_joined_at == start + timedelta(minutes=1)
    assert reload(theirs.id).attended is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == 1


def test_meeting_ended_closes_open_stays_and_schedules_the_report_import(sim, hook_url, live_event, drain_jobs,
                                                                         make_registration):
    registration, _ = make_registration(live_event, email="Late@Parliament.example",
                                        email_normalized="late@parliament.example")
    start = live_event.starts_at
    sim.send_webhook(hook_url, "meeting.participant_joined", joined_payload(sim, live_event, minutes=30,
                                                                            email="LATE@parliament.example"))
    ended = start + timedelta(minutes=90)
    payload = sim.ended_payload(MEETING_ID, "instance-1==", ended)
    payload["object"]["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    sim.send_webhook(hook_url, "meeting.ended", payload)
    drain_jobs()
    assert reload(registration.id).attended_minutes == 60  # matched by email, case-insensitively
    job = db.session.get(AttendanceImport, live_event.id)
    assert job.state == "pending" and job.next_attempt_at == ended + timedelta(minutes=15)


# -- registrants -------------------------------------------------------------------------------

def registrant_notice(sim, person, status=None) -> dict:
    payload = sim.registrant_payload(MEETING_ID, person)
    if status is not None:
        payload["object"]["registrant"]["status"] = status
    return payload


def test_cancellation_in_zoom_cancels_here_without_echoing_back(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    [person] = sim.registrants(MEETING_ID)
    person.status = "denied"  # an organiser cancelled in Zoom's own interface
    sim.send_webhook(hook_url, "meeting.registration_cancelled", registrant_notice(sim, person))
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_synced_status == "denied"
    assert fresh.zoom_state == SyncState.DONE
    assert sim.status_updates == []
    assert status_log(registration.id)[-1] == ("zoom", "confirmed", "cancelled")


@pytest.mark.parametrize("our_status", ["pending", "waitlisted"])
def test_zoom_cancelling_a_pending_or_waitlisted_registrant_cancels_here(sim, hook_url, zoom_event, drain_jobs,
                                                                         our_status):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual", capacity=1)
    register(event, 0)
    registration = register(event, 1)
    drain_jobs()
    if our_status == "waitlisted":  # approved here while the seat is taken: waiting list, still pending at Zoom
        holder = db.session.scalar(sa.select(Registration).where(Registration.id != registration.id))
        registration_services.approve(db.session, holder, now=utcnow())
        registration_services.approve(db.session, reload(registration.id), now=utcnow())
        db.session.commit()
        drain_jobs()
    assert reload(registration.id).status == our_status
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == registration.email_normalized)
    person.status = "denied"
    sim.send_webhook(hook_url, "meeting.registration_cancelled", registrant_notice(sim, person))
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_state == SyncState.DONE
    assert status_log(registration.id)[-1] == ("zoom", our_status, "cancelled")


def test_registration_denied_in_zoom_declines_a_pending_registration(sim, hook_url, zoom_event, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 2)
    drain_jobs()
    [person] = sim.registrants(MEETING_ID)
    person.status = "denied"
    since = time.monotonic()
    sim.send_webhook(hook_url, "meeting.registration_denied", registrant_notice(sim, person))
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.DECLINED and fresh.zoom_synced_status == "denied"
    assert fresh.zoom_state == SyncState.DONE and sim.status_updates == []
    assert sim.api_requests(since) == []  # Zoom's notice said it all: no call to read it back
    assert status_log(registration.id)[-1] == ("zoom", "pending", "declined")


def test_registration_denied_in_zoom_cancels_a_confirmed_registration_and_frees_the_seat(sim, hook_url, zoom_event,
                                                                                          drain_jobs):
    event = zoom_event(capacity=1)
    registration = register(event, 4)
    waiting = register(event, 5)
    drain_jobs()
    assert reload(waiting.id).status == RegistrationStatus.WAITLISTED
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == registration.email_normalized)
    person.status = "denied"
    sim.send_webhook(hook_url, "meeting.registration_denied", registrant_notice(sim, person))
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_synced_status == "denied"
    assert fresh.zoom_state == SyncState.DONE
    assert reload(waiting.id).status == RegistrationStatus.CONFIRMED  # the seat went to the waiting list
    assert status_log(registration.id)[-1] == ("zoom", "confirmed", "cancelled")
    assert status_log(waiting.id)[-1] == ("zoom", "waitlisted", "confirmed")


def test_zooms_late_echoes_of_our_own_changes_never_undo_them(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    sim.deliver_webhooks_to(hook_url)
    sim.hold_webhooks()
    registration = register(event, 0)
    drain_jobs()  # added: Zoom echoes registration_created
    registration_services.cancel(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()  # cancelled: Zoom echoes registration_cancelled
    register(event, 0)
    drain_jobs()  # re-opened and approved again: Zoom echoes registration_approved
    updates = list(sim.status_updates)
    sim.release_webhooks("reverse")  # late and out of order
    sim.flush_webhooks()
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.status == RegistrationStatus.CONFIRMED and fresh.zoom_state == SyncState.DONE
    assert [p.status for p in sim.registrants(MEETING_ID)] == ["approved"]
    assert sim.status_updates == updates  # nothing pushed back
    assert sim.dropped_webhooks() == []


def test_a_genuine_change_in_zoom_after_ours_is_applied(sim, hook_url, zoom_event, drain_jobs):
    event = zoom_event()
    registration = register(event, 3)
    drain_jobs()
    changed_at = reload(registration.id).zoom_changed_at
    [person] = sim.registrants(MEETING_ID)
    person.status = "denied"
    stale = registrant_notice(sim, person)
    sim.send_webhook(hook_url, "meeting.registration_cancelled", stale, event_ts=event_ts(changed_at) - 1000)
    drain_jobs()
    assert reload(registration.id).status == RegistrationStatus.CONFIRMED  # older than our add: ignored
    fresh = reload(registration.id)
    fresh.zoom_changed_at = changed_at = changed_at.replace(microsecond=0)  # to Zoom's millisecond
    db.session.commit()
    sim.send_webhook(hook_url, "meeting.registration_cancelled", stale, event_ts=event_ts(changed_at))
    drain_jobs()
    assert reload(registration.id).status == RegistrationStatus.CONFIRMED  # the same instant as ours: an echo
    sim.send_webhook(hook_url, "meeting.registration_cancelled", stale, event_ts=event_ts(changed_at) + 60_000)
    drain_jobs()
    assert reload(registration.id).status == RegistrationStatus.CANCELLED


def test_someone_registering_directly_on_zoom_is_imported(sim, hook_url, zoom_event, zoom_client, drain_jobs):
    event = zoom_event()
    # Zoom's registrant objects do not return `language`: the interpretation question carries it.
    data = zoom_client.add_registrant("meetings", MEETING_ID, {
        "email": "Direct@Senat.example", "first_name": "Jean-Baptiste", "last_name": "Lefèvre-Dubois",
        "language": "fr-FR", "country": "FR",
        "custom_questions": [{"title": "Interpretation language", "value": "fr"}]})
    person = sim.registrants(MEETING_ID)[0]
    sim.send_webhook(hook_url, "meeting.registration_created", registrant_notice(sim, person))
    drain_jobs()
    imported = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id))
    assert imported.email_normalized == "direct@senat.example" and imported.language == "fr"
    assert imported.last_name == "Lefèvre-Dubois" and imported.invite_state == SyncState.NONE
    assert imported.zoom_registrant_id == data["registrant_id"] and imported.zoom_join_url == data["join_url"]
    assert imported.status == RegistrationStatus.CONFIRMED and imported.zoom_state == SyncState.DONE


def test_failed_processing_is_kept_for_the_sweep(sim, hook_url, live_event, drain_jobs):
    payload = joined_payload(sim, live_event, email="a@b.example")
    payload["object"]["participant"]["join_time"] = "not a time"
    response = sim.send_webhook(hook_url, "meeting.participant_joined", payload)
    assert response.status_code == 200
    drain_jobs()
    delivery = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert delivery.processed_at is not None  # unparseable time: nothing recorded, nothing crashed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession)) == 0


def test_unknown_fields_and_missing_keys_never_crash_processing(sim, hook_url, live_event, drain_jobs):
    odd = [{"object": {"id": MEETING_ID, "participant": "not an object"}},
           {"object": {"id": MEETING_ID, "uuid": 42, "participant": {"join_time": 7, "registrant_id": ["x"]}}},
           {"object": {"id": MEETING_ID, "registrant": {"id": None}}, "surprise": {"new": "field"}},
           {"object": {"id": MEETING_ID, "registrant": "not an object"}},
           {"object": None}, {}]
    for n, payload in enumerate(odd):
        name = "meeting.registration_created" if n in (2, 3) else "meeting.participant_joined"
        assert sim.send_webhook(hook_url, name, payload).status_code == 200
    drain_jobs()
    db.session.expire_all()
    assert all(d.processed_at is not None and d.last_error is None for d in db.session.scalars(
        sa.select(ZoomWebhookDelivery)))


def test_deliveries_whose_job_was_lost_are_processed_by_the_sweep(sim, hook_url, live_event, drain_jobs):
    from panel_app.queue import queue
    from panel_app.zoom.jobs import process_webhook_job, sweep_webhooks_job

    sim.send_webhook(hook_url, "meeting.participant_joined", joined_payload(sim, live_event, email="a@b.example"))
    queue.huey.flush()  # the job was lost
    delivery = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert sweep_webhooks_job() == 0  # too fresh: its own job may still be on the way
    delivery.received_at = delivery.received_at - timedelta(minutes=2)
    db.session.commit()
    assert sweep_webhooks_job() == 1
    drain_jobs()
    db.session.expire_all()
    done = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert done.processed_at is not None and done.attempts == 1 and done.last_error is None
    assert db.session.scalar(sa.select(WalkIn.email)) == "a@b.example"
    processed_at = done.processed_at
    process_webhook_job(done.id)  # its own job turning up late after all: nothing runs twice
    db.session.expire_all()
    again = db.session.get(ZoomWebhookDelivery, done.id)
    assert (again.attempts, again.processed_at) == (1, processed_at)
