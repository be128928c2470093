"""Registrant sync end to end against the simulator: signals, jobs, Zoom's statuses, faults, exactly-once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState, utcnow
from panel_app.registration import services as registration_services
from panel_app.zoom import sync
from panel_app.zoom.client import build_client, next_utc_midnight
from panel_app.zoom.jobs import reconcile_zoom_job, sync_registration_job
from panel_app.zoom.reconcile import reconcile_event
from tests.factories import TEST_SECRET_KEY
from tests.zoom.conftest import MEETING_ID, WEBINAR_ID
from tests.zoom.helpers import HookedSession, assert_exactly_once, register, reload


def test_new_registration_gets_a_personal_join_link(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 0)
    assert registration.zoom_state == SyncState.PENDING
    assert drain_jobs() == 1
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_last_error is None
    [person] = sim.registrants(MEETING_ID)
    assert fresh.zoom_registrant_id == person.id and person.first_name == "María-José"
    assert fresh.zoom_join_url == person.join_url and fresh.join_url == person.join_url
    assert fresh.zoom_synced_status == "approved"
    assert person.fields["language"] == "es-ES" and person.fields["country"] == "ES"
    assert {q["title"]: q["value"] for q in person.fields["custom_questions"]} == {
        "Affiliation type": "member_parliament", "Role": "mp", "Interpretation language": "es"}


def test_long_names_are_cut_to_zooms_limits(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 0, first_name="María-José " * 15, organisation="Parlamento " * 25)
    drain_jobs()
    assert reload(registration.id).zoom_state == SyncState.DONE
    [person] = sim.registrants(MEETING_ID)
    assert len(person.first_name) <= 64 and len(person.fields["org"]) <= 128


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
    assert reload(first.id).zoom_synced_status == "denied"
    # Zoom lists a cancelled registrant as denied (it has no "cancelled" status).
    assert [p.status for p in sim.registrants(MEETING_ID) if p.email.casefold() == first.email_normalized] == ["denied"]
    promoted = reload(waiting.id)
    assert promoted.status == RegistrationStatus.CONFIRMED and promoted.zoom_state == SyncState.DONE
    assert promoted.zoom_join_url


def test_manual_approval_adds_pending_then_approves_and_fetches_the_link(zoom_event, sim, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 1)
    drain_jobs()
    fresh = reload(registration.id)
    # Zoom's add answer carries a join_url even for a pending registrant: it is not a confirmation.
    assert fresh.zoom_synced_status == "pending" and fresh.zoom_join_url is None
    assert sim.registrants(MEETING_ID)[0].status == "pending"
    registration_services.approve(db.session, fresh, now=utcnow(), actor="organiser")
    db.session.commit()
    drain_jobs()
    fresh = reload(registration.id)
    person = sim.registrants(MEETING_ID)[0]
    assert person.status == "approved" and fresh.zoom_join_url == person.join_url
    assert fresh.zoom_state == SyncState.DONE


def test_approval_is_read_from_the_registrants_status_not_from_the_join_link(zoom_event, sim, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"  # Zoom holds new registrants for approval...
    event = zoom_event()  # ...while the event confirms everyone at once
    registrations = [register(event, n) for n in range(3)]
    drain_jobs()
    assert {p.status for p in sim.registrants(MEETING_ID)} == {"approved"}
    for registration in registrations:
        fresh = reload(registration.id)
        assert fresh.zoom_synced_status == "approved" and fresh.zoom_state == SyncState.DONE
    assert [action for _, action, _ in sim.status_updates] == ["approve"] * 3


def test_declining_denies_at_zoom(zoom_event, sim, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 1)
    drain_jobs()
    registration_services.decline(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    assert sim.registrants(MEETING_ID)[0].status == "denied"
    assert [action for _, action, _ in sim.status_updates] == ["deny"]
    assert reload(registration.id).zoom_synced_status == "denied"


def test_webinars_use_the_webinar_endpoints(zoom_event, sim, drain_jobs):
    event = zoom_event(zoom_meeting_id=None, zoom_webinar_id=WEBINAR_ID)
    registration = register(event, 1)
    drain_jobs()
    assert reload(registration.id).zoom_registrant_id == sim.registrants(WEBINAR_ID)[0].id


def test_a_cancelled_registrant_is_not_cancelled_again_by_later_syncs(zoom_event, sim, zoom_client, drain_jobs):
    event = zoom_event()
    people = [register(event, n) for n in range(4)]
    drain_jobs()
    registration_services.cancel(db.session, reload(people[0].id), now=utcnow())
    db.session.commit()
    drain_jobs()
    assert [action for _, action, _ in sim.status_updates] == ["cancel"]
    for _ in range(2):  # Zoom lists them as denied: that is what a cancellation looks like there
        report = reconcile_event(db.session, zoom_client, reload(people[0].id).event, secret_key=TEST_SECRET_KEY)
        assert report.pushed == 0 and report.mismatches == []
    assert [action for _, action, _ in sim.status_updates] == ["cancel"]
    assert reload(people[0].id).zoom_state == SyncState.DONE


def test_re_registration_after_a_cancel_approves_the_denied_registrant_without_adding(zoom_event, sim, drain_jobs,
                                                                                     zoom_client):
    event = zoom_event()
    registration = register(event, 1)
    drain_jobs()
    registration_services.cancel(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    register(event, 1)  # same email: the cancelled registration is re-opened
    drain_jobs()
    assert sim.add_calls[(MEETING_ID, registration.email_normalized)] == 1
    assert [action for _, action, _ in sim.status_updates] == ["cancel", "approve"]
    [person] = sim.registrants(MEETING_ID)
    fresh = reload(registration.id)
    assert person.status == "approved" and fresh.zoom_state == SyncState.DONE and fresh.zoom_join_url
    report = reconcile_event(db.session, zoom_client, fresh.event, secret_key=TEST_SECRET_KEY)
    assert report.pushed == 0  # settled: no loop


def test_re_registration_whose_registrant_id_was_lost_finds_the_denied_registrant(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 2)
    drain_jobs()
    registration_services.cancel(db.session, reload(registration.id), now=utcnow())
    db.session.commit()
    drain_jobs()
    lost = reload(registration.id)
    lost.zoom_registrant_id, lost.zoom_synced_status = None, None  # e.g. restored from an old backup
    db.session.commit()
    register(event, 2)
    drain_jobs()
    [person] = sim.registrants(MEETING_ID)
    fresh = reload(registration.id)
    assert person.status == "approved" and fresh.zoom_registrant_id == person.id
    assert fresh.zoom_state == SyncState.DONE


def test_invite_already_sent_is_requested_again_with_the_personal_link(zoom_event, sim, drain_jobs):
    event = zoom_event()
    registration = register(event, 1)
    fresh = reload(registration.id)
    fresh.invite_state = SyncState.DONE
    db.session.commit()
    drain_jobs()
    assert reload(registration.id).invite_state == SyncState.PENDING


# -- erasure -----------------------------------------------------------------------------------

def test_erasure_deletes_the_registrant_at_zoom_and_counts_as_done_only_after(zoom_event, sim, zoom_client,
                                                                             drain_jobs):
    from panel_app.privacy.services import erase_registration

    event = zoom_event()
    keep = register(event, 0)
    registration = register(event, 1)
    drain_jobs()
    sim.set_down(True)
    erase_registration(db.session, reload(registration.id), now=utcnow(), reason="self")
    db.session.commit()
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.PENDING and "503" in fresh.zoom_last_error  # not done while Zoom holds them
    assert len(sim.registrants(MEETING_ID)) == 2
    sim.set_down(False)
    later = utcnow() + timedelta(hours=1)
    assert sync.sync_registration(db.session, zoom_client, registration.id, now=later) == "done"
    fresh = reload(registration.id)
    assert [p.email.casefold() for p in sim.registrants(MEETING_ID)] == [keep.email_normalized]
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_registrant_id is None and fresh.email == ""
    assert sim.status_updates == []  # deleted by id: never a status change carrying an empty email


def test_erasure_of_a_registrant_zoom_no_longer_knows_counts_as_done(zoom_event, sim, zoom_client, drain_jobs):
    from panel_app.privacy.services import erase_person

    event = zoom_event()
    registration = register(event, 3)
    drain_jobs()
    zoom_client.delete_registrant("meetings", MEETING_ID, reload(registration.id).zoom_registrant_id)
    erase_person(db.session, registration.email, now=utcnow(), user_id=None)
    db.session.commit()
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_registrant_id is None


def test_a_registrant_zoom_no_longer_knows_is_added_again(zoom_event, sim, zoom_client, drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    registration = register(event, 4)
    drain_jobs()
    gone = reload(registration.id).zoom_registrant_id
    zoom_client.delete_registrant("meetings", MEETING_ID, gone)  # an organiser removed them in Zoom
    registration_services.approve(db.session, reload(registration.id), now=utcnow(), actor="organiser")
    db.session.commit()
    drain_jobs()
    fresh = reload(registration.id)
    [person] = sim.registrants(MEETING_ID)
    assert person.id != gone and person.status == "approved"
    assert fresh.zoom_registrant_id == person.id and fresh.zoom_state == SyncState.DONE


# -- races -------------------------------------------------------------------------------------

def test_a_cancellation_made_while_the_add_is_in_flight_still_reaches_zoom(zoom_event, sim, zoom_config, app):
    event = zoom_event()
    registration = register(event, 0)
    registration_id = registration.id

    def cancel_during_the_add(method, url):
        if method == "POST" and url.endswith("/registrants"):
            with Session(db.engine) as other:  # the registrant, on their private page, at that moment
                registration_services.cancel(other, other.get(Registration, registration_id), now=utcnow())
                other.commit()

    client = build_client(zoom_config, db.engine)
    client.http = HookedSession(cancel_during_the_add)
    assert sync.sync_registration(db.session, client, registration_id) == "done"
    fresh = reload(registration_id)
    [person] = sim.registrants(MEETING_ID)
    assert fresh.status == RegistrationStatus.CANCELLED and person.status == "denied"
    assert fresh.zoom_synced_status == "denied" and fresh.zoom_state == SyncState.DONE


def test_an_erasure_made_while_a_status_change_is_in_flight_still_deletes_the_registrant_at_zoom(
        zoom_event, sim, zoom_config, drain_jobs):
    from panel_app.privacy.services import erase_registration

    event = zoom_event()
    registration = register(event, 2)
    drain_jobs()
    registration_id = registration.id
    registration_services.cancel(db.session, reload(registration_id), now=utcnow())
    db.session.commit()

    def erase_during_the_deny(method, url):
        if method == "PUT" and url.endswith("/registrants/status"):
            with Session(db.engine) as other:  # the status stays "cancelled": only the erasure flag changes
                erase_registration(other, other.get(Registration, registration_id), now=utcnow(), reason="self")
                other.commit()

    client = build_client(zoom_config, db.engine)
    client.http = HookedSession(erase_during_the_deny)
    assert sync.sync_registration(db.session, client, registration_id) == "done"
    fresh = reload(registration_id)
    assert sim.registrants(MEETING_ID) == []  # Zoom holds nothing of theirs
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_registrant_id is None and fresh.email == ""


def test_a_stale_mark_pending_never_breaks_the_lease_another_worker_holds(zoom_event, sim):
    event = zoom_event()
    registration = register(event, 1)  # pending and due
    web_view = db.session.get(Registration, registration.id)  # loaded before any worker claims it
    now = utcnow()
    with Session(db.engine) as worker_a:
        assert sync.claim(worker_a, registration.id, now)
    sync.mark_pending(db.session, web_view, now)  # e.g. an approval arriving with the stale view
    db.session.commit()
    with Session(db.engine) as worker_b:
        assert not sync.claim(worker_b, registration.id, now)
    assert reload(registration.id).zoom_attempts == 1


def test_two_workers_never_both_add_the_same_row(zoom_event, sim, app):
    event = zoom_event()
    registrations = [register(event, n) for n in range(10)]
    ids = [r.id for r in registrations]  # plain ids: ORM objects belong to this thread's session
    sim.delay_next(10, 0.05)  # widen the race window on the API calls
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
    assert_exactly_once(sim, registrations, MEETING_ID)


# -- faults ------------------------------------------------------------------------------------

def test_429_storm_5xx_and_timeouts_on_api_calls_still_add_everyone_exactly_once(zoom_event, sim, drain_jobs):
    event = zoom_event()
    sim.set_rate_limit(4)
    sim.fail_next(3, status=503)
    sim.delay_next(2, 1.0)
    registrations = [register(event, n) for n in range(25)]
    drain_jobs()
    assert sim.pending_faults() == 0 and sim.token_requests == 1
    statuses = [entry[3] for entry in sim.api_requests()]
    assert statuses.count(503) == 3 and 429 in statuses
    assert_exactly_once(sim, registrations, MEETING_ID)


def test_token_expiry_mid_run_loses_nothing(zoom_event, sim):
    event = zoom_event()
    registrations = [register(event, n) for n in range(6)]
    for n, registration in enumerate(registrations):
        if n == 3:
            sim.expire_tokens()
        sync_registration_job(registration.id)
    assert_exactly_once(sim, registrations, MEETING_ID)
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
    assert sync.due_registration_ids(db.session, utcnow()) == []  # nothing before the backoff is over
    sim.set_down(False)
    later = utcnow() + timedelta(hours=1)
    client = build_client(current_app.config, db.engine)
    for registration_id in sync.due_registration_ids(db.session, later):
        assert sync.sync_registration(db.session, client, registration_id, now=later) == "done"
    client.close()
    assert_exactly_once(sim, registrations, MEETING_ID)


def test_a_proxy_html_page_leaves_the_row_pending_with_a_readable_error(zoom_event, sim, zoom_config, drain_jobs):
    event = zoom_event()
    registration = register(event, 5)
    sim.respond_next(zoom_config["ZOOM_MAX_RETRIES"] + 1, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    drain_jobs()
    fresh = reload(registration.id)
    assert fresh.zoom_state == SyncState.PENDING and fresh.zoom_attempts == 1
    assert "text/html page" in fresh.zoom_last_error and fresh.zoom_next_attempt_at > utcnow()


def test_an_unusable_answer_from_zoom_is_recorded_and_the_worker_goes_on(zoom_event, sim, drain_jobs):
    event = zoom_event()
    broken, fine = register(event, 0), register(event, 1)
    sim.respond_next(1, 201, '{"topic": "Parliamentary solidarity"}', content_type="application/json")
    drain_jobs()
    assert "registrant_id" in reload(broken.id).zoom_last_error
    assert reload(broken.id).zoom_state == SyncState.PENDING
    assert reload(fine.id).zoom_state == SyncState.DONE


def test_worker_killed_after_claiming_is_retried_when_the_lease_expires(zoom_event, sim):
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
    assert_exactly_once(sim, [registration], MEETING_ID)


def test_worker_killed_after_zoom_answered_does_not_create_a_second_registrant(zoom_event, sim, zoom_client):
    event = zoom_event()
    registration = register(event, 1)
    now = utcnow()
    assert sync.claim(db.session, registration.id, now)
    zoom_client.add_registrant("meetings", MEETING_ID, sync.registrant_body(reload(registration.id)))
    # The worker died before storing the registrant id. After the lease, the retry adds again:
    later = now + sync.LEASE + timedelta(seconds=1)
    assert sync.sync_registration(db.session, zoom_client, registration.id, now=later) == "done"
    assert_exactly_once(sim, [registration], MEETING_ID)
    assert sim.add_calls[(MEETING_ID, registration.email_normalized)] == 2  # within Zoom's 3 a day


def test_daily_limit_of_the_account_reschedules_every_row_at_zooms_reset_time(zoom_event, sim, drain_jobs):
    event = zoom_event()
    reset = (datetime.now(UTC) + timedelta(hours=7)).replace(microsecond=0)
    sim.set_daily_limit(0, reset_at=reset)
    registrations = [register(event, n) for n in range(3)]
    drain_jobs()
    for registration in registrations:
        fresh = reload(registration.id)
        assert fresh.zoom_state == SyncState.PENDING and fresh.zoom_attempts == 0
        assert reset < fresh.zoom_next_attempt_at <= reset + timedelta(seconds=sync.DAILY_RESET_JITTER_SECONDS)
        assert "daily" in fresh.zoom_last_error
    assert len(sim.api_requests()) == 1  # the first 429 paused the account: the others asked nothing
    sim.set_daily_limit(None)
    assert reconcile_zoom_job() == 0  # not before the reset time


def test_the_per_registrant_daily_limit_parks_only_that_row_until_utc_midnight(zoom_event, sim, zoom_client,
                                                                              drain_jobs):
    event = zoom_event()
    parked = register(event, 0)
    for _ in range(3):  # three adds of this email today already (e.g. answers lost on the way back)
        added = zoom_client.add_registrant("meetings", MEETING_ID, {"email": parked.email, "first_name": "María-José"})
    zoom_client.delete_registrant("meetings", MEETING_ID, added["registrant_id"])  # and an organiser removed them
    others = [register(event, n) for n in range(1, 5)]
    drain_jobs()
    fresh = reload(parked.id)
    midnight = next_utc_midnight(datetime.now(UTC))
    assert fresh.zoom_state == SyncState.PENDING and fresh.zoom_attempts == 0  # its retry budget is untouched
    assert midnight < fresh.zoom_next_attempt_at <= midnight + timedelta(seconds=sync.DAILY_RESET_JITTER_SECONDS)
    assert "registrant" in fresh.zoom_last_error
    for registration in others:  # everyone else went on
        assert reload(registration.id).zoom_state == SyncState.DONE
    sim.clock.set(midnight + timedelta(minutes=10))  # Zoom's day is over
    after = midnight + timedelta(minutes=10)
    assert sync.sync_registration(db.session, zoom_client, parked.id, now=after) == "done"
    assert_exactly_once(sim, [parked, *others], MEETING_ID)


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
    assert_exactly_once(sim, registrations, MEETING_ID)
