"""Registrant sync end to end against the simulator: signals, jobs, faults, exactly-once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import current_app

from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState, utcnow
from panel_app.registration import services as registration_services
from panel_app.registration.services import RegistrationInput
from panel_app.zoom import sync
from panel_app.zoom.client import build_client
from panel_app.zoom.jobs import reconcile_zoom_job, sync_registration_job
from tests.factories import TEST_SECRET_KEY
from tests.zoom.conftest import MEETING_ID, WEBINAR_ID


def register(event, n: int, **overrides) -> Registration:
    data = dict(first_name=f"Amina{n}", last_name="Diallo", email=f"Person{n}@Parliament.example",
                email_normalized=f"person{n}@parliament.example", country="SN", affiliation_type="member_parliament",
                role="mp", language="fr", organisation="Parliament of Senegal")
    data.update(overrides)
    outcome = registration_services.register(db.session, event, RegistrationInput(**data), now=utcnow(),
                                             privacy_notice_version="test", secret_key=TEST_SECRET_KEY)
    db.session.commit()
    return outcome.registration


def reload(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def assert_exactly_once(sim, registrations, meeting_id=MEETING_ID):
    people = sim.registrants(meeting_id)
    emails = sorted(p.email.casefold() for p in people)
    assert emails == sorted({r.email_normalized for r in registrations}), "everyone in Zoom exactly once"
    by_email = {p.email.casefold(): p.id for p in people}
    for registration in registrations:
        fresh = reload(registration.id)
        assert fresh.zoom_state == SyncState.DONE, (fresh.email, fresh.zoom_last_error)
        assert fresh.zoom_registrant_id == by_email[fresh.email_normalized]


def test_new_registration_gets_a_personal_join_link(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    assert registration.zoom_state == SyncState.PENDING
    assert drain_jobs() == 1
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_last_error is None
    [person] = sim.registrants(MEETING_ID)
    assert fresh.zoom_registrant_id == person.id
    assert fresh.zoom_join_url == person.join_url and fresh.join_url == person.join_url
    assert fresh.zoom_synced_status == "approved"
    assert person.fields["language"] == "fr-FR" and person.fields["country"] == "SN"
    assert {q["title"]: q["value"] for q in person.fields["custom_questions"]} == {
        "Affiliation type": "member_parliament", "Role": "mp", "Interpretation language": "fr"}


def test_long_names_are_cut_to_zooms_limits(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 1, first_name="A" * 150, organisation="P" * 250)
    drain_jobs()
    assert reload(registration.id).zoom_state == SyncState.DONE
    [person] = sim.registrants(MEETING_ID)
    assert len(person.first_name) == 64 and len(person.fields["org"]) == 128


def test_without_credentials_sync_stays_off_and_the_general_link_is_used(make_event, app, db):
    event = make_event(zoom_meeting_id=MEETING_ID)
    assert not app.config.get("ZOOM_CLIENT_ID")
    registration = register(event, 1)
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.NONE and fresh.join_url == event.join_url


def test_waitlisted_people_are_added_when_promoted(zoom_event, sim, drain_jobs):
    event = zoom_event(capacity=1)
    first = register(event, 1)
    waiting = register(event, 2)
    assert waiting.status == RegistrationStatus.WAITLISTED and waiting.zoom_state == SyncState.NONE
    drain_jobs()
    assert len(sim.registrants(MEETING_ID)) == 1
    registration_services.cancel(db.session, reload(first.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    assert reload(first.id).zoom_synced_status == "cancel"
    # Zoom lists a cancelled registrant as denied (it has no "cancelled" status).
    assert [p.status for p in sim.registrants(MEETING_ID) if p.email.casefold() == first.email_normalized] == ["denied"]
    promoted = reload(waiting.id)
    assert promoted.status == RegistrationStatus.CONFIRMED and promoted.zoom_state == SyncState.DONE
    assert promoted.zoom_join_url


@pytest.mark.xfail(reason="Zoom returns join_url for pending registrants too: approval is the registrant's status; "
                   "fixed on branch zoom-core", strict=False)
def test_manual_approval_adds_pending_then_approves_and_fetches_the_link(zoom_event, sim, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 1)
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_synced_status == "pending" and fresh.zoom_join_url is None
    assert sim.registrants(MEETING_ID)[0].status == "pending"
    registration_services.approve(db.session, fresh, now=utcnow(), actor="organiser")
    db.session.commit()
    drain_jobs()
    fresh = reload(registration.id)
    person = sim.registrants(MEETING_ID)[0]
    assert person.status == "approved" and fresh.zoom_join_url == person.join_url
    assert fresh.zoom_state == SyncState.DONE


def test_declining_denies_at_zoom(zoom_event, sim, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 1)
    drain_jobs()
    registration_services.decline(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    assert sim.registrants(MEETING_ID)[0].status == "denied"
    assert reload(registration.id).zoom_synced_status == "deny"


def test_webinars_use_the_webinar_endpoints(zoom_event, sim, drain_jobs):
    event = zoom_event(zoom_meeting_id=None, zoom_webinar_id=WEBINAR_ID)
    registration = register(event, 1)
    drain_jobs()
    assert reload(registration.id).zoom_registrant_id == sim.registrants(WEBINAR_ID)[0].id


def test_reopened_registration_is_approved_again_not_added_again(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    registration_services.cancel(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    register(event, 1)  # same email: the cancelled registration is re-opened
    drain_jobs()
    assert sim.add_calls[(MEETING_ID, registration.email_normalized)] == 1
    assert sim.registrants(MEETING_ID)[0].status == "approved"
    assert reload(registration.id).zoom_state == SyncState.DONE


def test_invite_already_sent_is_requested_again_with_the_personal_link(zoom_event, sim, drain_jobs):
    pytest.importorskip("panel_app.mail.services")
    from panel_app.mail import services as mail_services

    if not hasattr(mail_services, "request_invite"):
        pytest.skip("mail.services.request_invite not written yet")
    event = zoom_event()
    registration = register(event, 1)
    fresh = reload(registration.id)
    fresh.invite_state = SyncState.DONE
    db.session.commit()
    drain_jobs()
    assert reload(registration.id).invite_state == SyncState.PENDING


# -- faults --------------------------------------------------------------------------------

def test_429_storm_5xx_and_timeouts_still_add_everyone_exactly_once(zoom_event, sim, drain_jobs):
    event = zoom_event()
    sim.set_rate_limit(4)
    sim.fail_next(3, status=503)
    sim.delay_next(2, 1.0)
    registrations = [register(event, n) for n in range(25)]
    drain_jobs()
    assert_exactly_once(sim, registrations)


def test_token_expiry_mid_run_loses_nothing(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registrations = [register(event, n) for n in range(6)]
    for n, registration in enumerate(registrations):
        if n == 3:
            sim.expire_tokens()
        sync_registration_job(registration.id)
    assert_exactly_once(sim, registrations)
    assert sim.token_requests == 2


def test_zoom_down_for_an_hour_then_back(zoom_event, sim, drain_jobs):
    event = zoom_event()
    sim.set_down(True)
    registrations = [register(event, n) for n in range(5)]
    drain_jobs()
    for registration in registrations:
        fresh = reload(registration.id)
        assert fresh.zoom_state == SyncState.PENDING and "503" in fresh.zoom_last_error
        assert fresh.zoom_next_attempt_at > utcnow()
    # The reconcile sweep retries nothing before the backoff is over...
    assert sync.due_registration_ids(db.session, utcnow()) == []
    # ...and an hour later, with Zoom back, every row goes through.
    sim.set_down(False)
    later = utcnow() + timedelta(hours=1)
    client = build_client(current_app.config, db.engine)
    for registration_id in sync.due_registration_ids(db.session, later):
        assert sync.sync_registration(db.session, client, registration_id, now=later) == "done"
    client.close()
    assert_exactly_once(sim, registrations)


def test_worker_killed_after_claiming_is_retried_when_the_lease_expires(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    now = utcnow()
    assert sync.claim(db.session, registration.id, now)  # ...and the worker dies here
    assert sync_registration_job(registration.id) == "skipped"  # lease still held
    assert sim.registrants(MEETING_ID) == []
    client = build_client(current_app.config, db.engine)
    later = now + sync.LEASE + timedelta(seconds=1)
    assert registration.id in sync.due_registration_ids(db.session, later)
    assert sync.sync_registration(db.session, client, registration.id, now=later) == "done"
    client.close()
    assert_exactly_once(sim, [registration])


def test_worker_killed_after_zoom_answered_does_not_create_a_second_registrant(zoom_event, sim, zoom_client):
    event = zoom_event()
    registration = register(event, 1)
    now = utcnow()
    assert sync.claim(db.session, registration.id, now)
    zoom_client.add_registrant("meetings", MEETING_ID, sync.registrant_body(reload(registration.id)))
    # The worker died before storing the registrant id. After the lease, the retry adds again:
    later = now + sync.LEASE + timedelta(seconds=1)
    assert sync.sync_registration(db.session, zoom_client, registration.id, now=later) == "done"
    assert_exactly_once(sim, [registration])
    assert sim.add_calls[(MEETING_ID, registration.email_normalized)] == 2  # within Zoom's 3 a day


def test_two_workers_never_both_add_the_same_row(zoom_event, sim, app):
    event = zoom_event()
    registrations = [register(event, n) for n in range(10)]
    ids = [r.id for r in registrations]  # plain ids: ORM objects belong to this thread's session
    sim.delay_next(10, 0.05)  # widen the race window
    outcomes: list[str] = []

    def worker():
        with app.app_context():
            for registration_id in ids:
                outcomes.append(sync_registration_job(registration_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("done") == 10 and outcomes.count("skipped") == 20
    assert all(count == 1 for count in sim.add_calls.values())
    assert_exactly_once(sim, registrations)


def test_daily_limit_reschedules_the_row_at_zooms_reset_time(zoom_event, sim, drain_jobs):
    event = zoom_event()
    reset = (datetime.now(timezone.utc) + timedelta(hours=7)).replace(microsecond=0)
    sim.set_daily_limit(0, reset_at=reset)
    registration = register(event, 1)
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.PENDING and fresh.zoom_attempts == 0
    assert reset <= fresh.zoom_next_attempt_at <= reset + timedelta(minutes=1)
    assert "daily" in fresh.zoom_last_error
    sim.set_daily_limit(None)
    assert reconcile_zoom_job() == 0  # not before the reset time


def test_meeting_missing_at_zoom_fails_visibly(zoom_event, sim, drain_jobs):
    event = zoom_event(zoom_meeting_id="11111111111")
    registration = register(event, 1)
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.FAILED and "does not exist" in fresh.zoom_last_error


def test_reconcile_job_picks_up_rows_whose_job_was_lost(zoom_event, sim, drain_jobs):
    from panel_app.queue import queue

    event = zoom_event()
    registrations = [register(event, n) for n in range(3)]
    queue.huey.flush()  # the queue lost every job
    assert reconcile_zoom_job() == 3
    drain_jobs()
    assert_exactly_once(sim, registrations)
