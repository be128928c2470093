"""What each field of Zoom's notifications changes here: participant identities, instance starts, reused ids.

Payloads follow Zoom's webhook reference ("Meetings" events, https://developers.zoom.us/docs/api/meetings/events/:
meeting.participant_joined / _left carry `object.uuid`, `object.start_time` and the `participant` object with
`user_name`, `email`, `registrant_id`, `id`, `participant_user_id`, `participant_uuid`, `join_time` /
`leave_time`; meeting.ended carries `start_time` and `end_time`; registration_* carry `registrant`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from panel_app.attendance.importer import FIRST_DELAY
from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState, utcnow
from panel_app.models.attendance import AttendanceImport, AttendanceSession, WalkIn, ZoomMeetingInstance
from panel_app.models.zoom import ZoomWebhookDelivery
from panel_app.registration import services as registration_services
from panel_app.zoom.jobs import reconcile_zoom_job
from tests.zoom.conftest import MEETING_ID, WEBINAR_ID
from tests.zoom.helpers import participant, participant_event, register, reload, zoom_time
from tests.zoom.test_webhooks import hook_url, status_log  # noqa: F401 - hook_url: the shared fixture

JOINED, LEFT = "meeting.participant_joined", "meeting.participant_left"


def running_event(zoom_event, *, ago=timedelta(hours=2), length=timedelta(hours=3)):
    """A panel that started `ago` (two hours by default) and is still running."""
    start = utcnow().replace(microsecond=0) - ago
    return zoom_event(starts_at=start, ends_at=start + length)


def send(sim, url, name, uuid, started, person, *, start_time=True):
    payload = participant_event(sim, MEETING_ID, uuid, started, person)
    if not start_time:
        del payload["object"]["start_time"]
    response = sim.send_webhook(url, name, payload)
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def stays() -> list[AttendanceSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AttendanceSession).order_by(AttendanceSession.id)))


def walk_ins() -> list[tuple[str, int]]:
    db.session.expire_all()
    return sorted((w.name, w.attended_minutes) for w in db.session.scalars(sa.select(WalkIn)))


# -- participants: the instance -----------------------------------------------------------------

def test_a_leave_whose_join_was_lost_counts_from_the_instances_start(sim, hook_url, zoom_event, drain_jobs,  # noqa: F811
                                                                     make_registration):
    event = running_event(zoom_event)
    start = event.starts_at
    amina, _ = make_registration(event, zoom_registrant_id="reg-amina", zoom_state=SyncState.DONE,
                                 first_name="Amina", last_name="Diallo", email="a.diallo@assemblee.sn",
                                 email_normalized="a.diallo@assemblee.sn")
    opened = start - timedelta(minutes=5)  # the host opened the room early for the sound check
    # Zoom dropped her first join: the first thing heard is her leave, 40 minutes in.
    send(sim, hook_url, LEFT, "inst-7/Ab==", opened,
         participant(registrant_id="reg-amina", name="Amina Diallo", at=start + timedelta(minutes=40), leave=True))
    send(sim, hook_url, JOINED, "inst-7/Ab==", opened,
         participant(registrant_id="reg-amina", name="Amina Diallo", at=start + timedelta(minutes=50)))
    send(sim, hook_url, LEFT, "inst-7/Ab==", opened,
         participant(registrant_id="reg-amina", name="Amina Diallo", at=start + timedelta(minutes=70), leave=True))
    assert drain_jobs() == 3
    fresh = reload(amina.id)
    assert fresh.attended is True
    assert fresh.first_joined_at == opened and fresh.attended_minutes == 45 + 20  # from the instance's start
    [instance] = db.session.scalars(sa.select(ZoomMeetingInstance)).all()
    assert (instance.event_id, instance.uuid, instance.started_at) == (event.id, "inst-7/Ab==", opened)
    assert [(s.meeting_uuid, s.registration_id) for s in stays()] == [("inst-7/Ab==", amina.id)] * 3


def test_a_session_of_the_same_id_that_started_hours_before_the_panel_is_not_counted(sim, hook_url, zoom_event,  # noqa: F811
                                                                                       drain_jobs, make_registration,
                                                                                       caplog):
    event = running_event(zoom_event)
    start = event.starts_at
    søren, _ = make_registration(event, zoom_registrant_id="reg-soren", zoom_state=SyncState.DONE,
                                 email="soren@ft.example", email_normalized="soren@ft.example")
    morning = start - timedelta(hours=5)  # another meeting on the same id, before the panel's window
    caplog.set_level(logging.INFO, logger="panel_app.zoom.webhook_events")
    # Joins and leaves inside the panel's window, of an instance that started outside it.
    send(sim, hook_url, JOINED, "morning==", morning,
         participant(registrant_id="reg-soren", email="soren@ft.example", at=start - timedelta(hours=2)))
    send(sim, hook_url, LEFT, "morning==", morning,
         participant(email="guest@else.example", name="Gäst", at=start - timedelta(minutes=90), leave=True))
    assert drain_jobs() == 2
    assert reload(søren.id).attended is None
    assert stays() == [] and walk_ins() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomMeetingInstance)) == 0
    ignored = [r.getMessage() for r in caplog.records if r.name == "panel_app.zoom.webhook_events"]
    assert "zoom participant_joined of a session outside every event's window ignored" in ignored
    assert "zoom participant_left of a session outside every event's window ignored" in ignored


def test_notifications_without_start_time_are_placed_by_their_join_or_leave_instant(sim, hook_url, zoom_event,  # noqa: F811
                                                                                    drain_jobs, make_registration):
    this_week = running_event(zoom_event)
    last_week = running_event(zoom_event, ago=timedelta(days=7, hours=2))
    ours, _ = make_registration(this_week, zoom_registrant_id="reg-now", zoom_state=SyncState.DONE)
    theirs, _ = make_registration(last_week, zoom_registrant_id="reg-before", zoom_state=SyncState.DONE)
    start, before = this_week.starts_at, last_week.starts_at
    send(sim, hook_url, JOINED, "now==", start,
         participant(registrant_id="reg-now", at=start + timedelta(minutes=15)), start_time=False)
    send(sim, hook_url, LEFT, "now==", start,
         participant(registrant_id="reg-now", at=start + timedelta(minutes=45), leave=True), start_time=False)
    # A late retry of last week's leave: it belongs to last week's panel.
    send(sim, hook_url, LEFT, "before==", before,
         participant(registrant_id="reg-before", at=before + timedelta(minutes=30), leave=True), start_time=False)
    # Two days ago: no panel's window holds it.
    send(sim, hook_url, JOINED, "other==", start,
         participant(email="stray@else.example", name="Stray", at=start - timedelta(days=2)), start_time=False)
    assert drain_jobs() == 4
    assert (reload(ours.id).first_joined_at, reload(ours.id).attended_minutes) == (start + timedelta(minutes=15), 30)
    assert reload(theirs.id).attended is True  # its leave counted on last week's panel
    assert [(s.event_id, s.registration_id) for s in stays()] == [
        (this_week.id, ours.id), (this_week.id, ours.id), (last_week.id, theirs.id)]
    assert walk_ins() == []


# -- participants: who it is ------------------------------------------------------------------

def test_walk_ins_are_told_apart_by_zoom_user_id_then_by_participant_uuid(sim, hook_url, zoom_event, drain_jobs):  # noqa: F811
    event = running_event(zoom_event)
    start = event.starts_at

    def stay(fields, joined, left):
        fields = dict(fields)
        extra = fields.pop("extra", {})
        for minutes, leave in ((joined, False), (left, True)):
            person = participant(at=start + timedelta(minutes=minutes), leave=leave, **fields)
            person.update(extra)
            send(sim, hook_url, LEFT if leave else JOINED, "inst==", start, person)

    # Signed in to the host's account: `participant_user_id`, a new participant_uuid on each device.
    stay({"name": "Søren K. (iPhone)", "participant_uuid": "pu-s1", "extra": {"participant_user_id": "uZ9kq-S"}},
         1, 11)
    stay({"name": "Søren K. (Mac)", "participant_uuid": "pu-s2", "extra": {"participant_user_id": "uZ9kq-S"}},
         20, 35)
    # An older payload shape with the user's id in `id` only (participant_user_id blank).
    stay({"name": "Nguyễn T. M. K.", "participant_uuid": "pu-n1", "extra": {"id": "vN4-user"}}, 5, 10)
    stay({"name": "Nguyễn T. M. K.", "participant_uuid": "pu-n2", "extra": {"id": "vN4-user"}}, 12, 20)
    # Two phone guests with the same display name and nothing else: only participant_uuid tells them apart.
    stay({"name": "iPhone", "participant_uuid": "pu-g1"}, 3, 33)
    stay({"name": "iPhone", "participant_uuid": "pu-g2"}, 40, 50)
    assert drain_jobs() == 12
    assert walk_ins() == [("Nguyễn T. M. K.", 13), ("Søren K. (iPhone)", 25), ("iPhone", 10), ("iPhone", 30)]


# -- meeting.ended ----------------------------------------------------------------------------

def test_meeting_ended_closes_stays_from_the_start_it_reports(sim, hook_url, zoom_event, drain_jobs,  # noqa: F811
                                                              make_registration):
    event = running_event(zoom_event)
    start = event.starts_at
    zoë, _ = make_registration(event, zoom_registrant_id="reg-zoe", zoom_state=SyncState.DONE)
    # Her leave arrives without the instance's start (and her join was lost)...
    send(sim, hook_url, LEFT, "inst-e==", start,
         participant(registrant_id="reg-zoe", at=start + timedelta(minutes=50), leave=True), start_time=False)
    assert drain_jobs() == 1
    assert reload(zoë.id).attended_minutes == 50  # from the scheduled start, all we know yet
    # ...then meeting.ended says the instance started ten minutes early.
    ended = start + timedelta(minutes=100)
    payload = sim.ended_payload(MEETING_ID, "inst-e==", ended)
    payload["object"]["start_time"] = zoom_time(start - timedelta(minutes=10))
    assert sim.send_webhook(hook_url, "meeting.ended", payload).status_code == 200
    assert drain_jobs() == 1
    assert reload(zoë.id).attended_minutes == 60 and reload(zoë.id).first_joined_at == start - timedelta(minutes=10)
    job = db.session.get(AttendanceImport, event.id)
    assert job.state == "pending" and job.next_attempt_at == ended + FIRST_DELAY


def test_the_end_of_an_earlier_meeting_on_the_same_id_schedules_no_import(sim, hook_url, zoom_event, drain_jobs):  # noqa: F811
    event = zoom_event(starts_at=utcnow().replace(microsecond=0) + timedelta(minutes=30),
                       ends_at=utcnow().replace(microsecond=0) + timedelta(minutes=120))
    start = event.starts_at
    # A morning meeting on the same id: started five hours before the panel, ended an hour before it.
    payload = sim.ended_payload(MEETING_ID, "morning==", start - timedelta(hours=1))
    payload["object"]["start_time"] = zoom_time(start - timedelta(hours=5))
    assert sim.send_webhook(hook_url, "meeting.ended", payload).status_code == 200
    assert drain_jobs() == 1
    assert db.session.get(AttendanceImport, event.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomMeetingInstance)) == 0


def test_meeting_ended_without_start_time_is_placed_by_its_end(sim, hook_url, zoom_event, drain_jobs,  # noqa: F811
                                                               make_registration):
    event = running_event(zoom_event)
    start = event.starts_at
    registration, _ = make_registration(event, zoom_registrant_id="reg-jb", zoom_state=SyncState.DONE)
    send(sim, hook_url, JOINED, "inst-f==", start, participant(registrant_id="reg-jb", at=start + timedelta(minutes=5)))
    ended = start + timedelta(minutes=95)
    payload = sim.ended_payload(MEETING_ID, "inst-f==", ended)
    del payload["object"]["start_time"]
    assert sim.send_webhook(hook_url, "meeting.ended", payload).status_code == 200
    assert drain_jobs() == 2
    assert reload(registration.id).attended_minutes == 90  # closed at the end Zoom reported
    assert db.session.get(AttendanceImport, event.id).next_attempt_at == ended + FIRST_DELAY


# -- registrants: which registration a notification is about ----------------------------------

def test_a_registrant_of_an_earlier_event_of_a_reused_id_is_found_by_registrant_id(sim, hook_url, zoom_event,  # noqa: F811
                                                                                   drain_jobs):
    soon = zoom_event(starts_at=utcnow() + timedelta(days=2), ends_at=utcnow() + timedelta(days=2, hours=1))
    later = zoom_event(starts_at=utcnow() + timedelta(days=9), ends_at=utcnow() + timedelta(days=9, hours=1))
    others = [register(later, 0), register(later, 1), register(soon, 2)]
    maria = register(soon, 3)
    drain_jobs()
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == maria.email_normalized)
    person.status = "denied"  # cancelled in Zoom's interface; the latest event on the id is `later`
    sim.send_webhook(hook_url, "meeting.registration_cancelled", sim.registrant_payload(MEETING_ID, person))
    drain_jobs()
    fresh = reload(maria.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_synced_status == "denied"
    assert [reload(r.id).status for r in others] == [RegistrationStatus.CONFIRMED] * 3


def test_a_registration_whose_zoom_id_was_lost_is_found_by_email_and_learns_it(sim, hook_url, zoom_event,  # noqa: F811
                                                                               make_event, drain_jobs):
    elsewhere = make_event()  # another panel, not on Zoom, where the same person registered first
    same_person_elsewhere = register(elsewhere, 4)
    event = zoom_event()
    others = [register(event, 0), register(event, 1)]
    søren = register(event, 4)  # Søren Kierkegaard-Åberg, the same address as on the other panel
    drain_jobs()
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == søren.email_normalized)
    fresh = reload(søren.id)
    fresh.zoom_registrant_id = None  # our add reached Zoom but its answer was lost
    db.session.commit()
    person.status = "denied"
    payload = sim.registrant_payload(MEETING_ID, person)
    payload["object"]["registrant"]["email"] = "  " + person.email.upper() + " "
    sim.send_webhook(hook_url, "meeting.registration_cancelled", payload)
    drain_jobs()
    fresh = reload(søren.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_registrant_id == person.id
    assert [reload(r.id).status for r in others] == [RegistrationStatus.CONFIRMED] * 2
    untouched = reload(same_person_elsewhere.id)
    assert untouched.status == RegistrationStatus.CONFIRMED and untouched.zoom_registrant_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 4


def test_an_approval_in_zoom_of_someone_we_never_heard_of_imports_them(sim, hook_url, zoom_event, zoom_client,  # noqa: F811
                                                                        drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    # Registered on Zoom directly; Zoom gave up delivering registration_created, then the host approved.
    zoom_client.add_registrant("meetings", MEETING_ID, {
        "email": "Amina.Diallo@Assemblee.sn", "first_name": "Amina", "last_name": "Diallo", "country": "SN",
        "custom_questions": [{"title": "Interpretation language", "value": "fr"}]})
    [person] = sim.registrants(MEETING_ID)
    person.status = "approved"
    sim.send_webhook(hook_url, "meeting.registration_approved", sim.registrant_payload(MEETING_ID, person))
    drain_jobs()
    imported = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id))
    assert imported.email_normalized == "amina.diallo@assemblee.sn" and imported.zoom_registrant_id == person.id
    assert imported.status == RegistrationStatus.CONFIRMED and imported.zoom_join_url == person.join_url


def test_an_approval_in_zoom_approves_a_pending_registration_and_keeps_its_join_link(sim, hook_url, zoom_event,  # noqa: F811
                                                                                     drain_jobs):
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    others = [register(event, 0), register(event, 1)]
    nguyen = register(event, 4)
    drain_jobs()
    assert reload(nguyen.id).status == RegistrationStatus.PENDING
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == nguyen.email_normalized)
    person.status = "approved"  # the host approved in Zoom's interface
    payload = sim.registrant_payload(MEETING_ID, person)
    del payload["object"]["registrant"]["status"]  # registration_approved's registrant carries no status
    approved_at = utcnow().replace(microsecond=0) + timedelta(seconds=5)
    sim.send_webhook(hook_url, "meeting.registration_approved", payload, event_ts=int(approved_at.timestamp() * 1000))
    drain_jobs()
    fresh = reload(nguyen.id)
    assert fresh.status == RegistrationStatus.CONFIRMED and fresh.zoom_synced_status == "approved"
    assert fresh.zoom_join_url == person.join_url and fresh.zoom_changed_at == approved_at
    assert fresh.zoom_state == SyncState.DONE and sim.status_updates == []  # nothing pushed back
    assert status_log(nguyen.id)[-1] == ("zoom", "pending", "confirmed")
    assert [reload(r.id).status for r in others] == [RegistrationStatus.PENDING] * 2


def lose_zoom_answer(registration_id):
    """Our "add a registrant" reached Zoom, but its answer (the registrant id and join link) never came back."""
    fresh = reload(registration_id)
    fresh.zoom_registrant_id, fresh.zoom_synced_status, fresh.zoom_join_url = None, None, None
    fresh.zoom_state = SyncState.PENDING
    db.session.commit()


def test_a_registration_created_notice_gives_back_a_lost_answer_without_a_call_to_zoom(sim, hook_url,  # noqa: F811
                                                                                        zoom_event, drain_jobs):
    import time

    event = zoom_event()
    others = [register(event, 0), register(event, 1)]
    søren = register(event, 4)
    drain_jobs()
    lose_zoom_answer(søren.id)
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == søren.email_normalized)
    since = time.monotonic()
    sim.send_webhook(hook_url, "meeting.registration_created", sim.registrant_payload(MEETING_ID, person),
                     event_ts=int((utcnow() + timedelta(seconds=5)).timestamp() * 1000))
    drain_jobs()
    fresh = reload(søren.id)
    assert (fresh.zoom_registrant_id, fresh.zoom_synced_status, fresh.zoom_join_url) == (
        person.id, "approved", person.join_url)
    assert fresh.status == RegistrationStatus.CONFIRMED and fresh.zoom_state == SyncState.DONE
    assert sim.api_requests(since) == []  # Zoom's notice said it all: no add, no read
    assert [reload(r.id).zoom_state for r in others] == [SyncState.DONE] * 2


def test_a_pending_registration_created_notice_leaves_a_manual_approval_pending(sim, hook_url, zoom_event,  # noqa: F811
                                                                                drain_jobs):
    import time

    # Zoom's registration_created registrant carries `status`: "pending" when the meeting's
    # approval is manual (Meetings events reference, meeting.registration_created).
    sim.meetings[MEETING_ID].approval = "manual"
    event = zoom_event(approval_mode="manual")
    nguyen = register(event, 4)
    drain_jobs()
    lose_zoom_answer(nguyen.id)
    [person] = sim.registrants(MEETING_ID)
    assert person.status == "pending"
    since = time.monotonic()
    sim.send_webhook(hook_url, "meeting.registration_created", sim.registrant_payload(MEETING_ID, person),
                     event_ts=int((utcnow() + timedelta(seconds=5)).timestamp() * 1000))
    drain_jobs()
    fresh = reload(nguyen.id)
    assert fresh.zoom_registrant_id == person.id and fresh.zoom_synced_status == "pending"
    assert fresh.status == RegistrationStatus.PENDING  # not approved by Zoom's mere record of the request
    assert fresh.zoom_join_url is None and fresh.zoom_state == SyncState.DONE
    assert sim.api_requests(since) == []


def test_zoom_approving_someone_cancelled_here_is_undone_in_zoom(sim, hook_url, zoom_event, drain_jobs):  # noqa: F811
    event = zoom_event()
    amina = register(event, 2)
    drain_jobs()
    registration_services.cancel(db.session, reload(amina.id), now=utcnow())
    db.session.commit()
    drain_jobs()  # Zoom denies her
    [person] = sim.registrants(MEETING_ID)
    assert person.status == "denied"
    updates = list(sim.status_updates)
    person.status = "approved"  # someone re-approved her in Zoom's interface by mistake
    sim.send_webhook(hook_url, "meeting.registration_approved", sim.registrant_payload(MEETING_ID, person),
                     event_ts=int((utcnow() + timedelta(seconds=5)).timestamp() * 1000))
    drain_jobs()
    fresh = reload(amina.id)
    assert fresh.status == RegistrationStatus.CANCELLED  # our record wins...
    assert fresh.zoom_state == SyncState.PENDING and fresh.zoom_synced_status == "approved"
    assert reconcile_zoom_job() == 1  # the minute's sweep queues the Zoom call
    drain_jobs()
    fresh = reload(amina.id)
    assert person.status == "denied" and sim.status_updates[len(updates):] == [(MEETING_ID, "cancel", [person.id])]
    assert fresh.zoom_state == SyncState.DONE and fresh.zoom_synced_status == "denied"  # ...and Zoom follows


def test_a_cancellation_in_zoom_is_audited_as_zooms_and_costs_no_call_to_zoom(sim, hook_url, zoom_event,  # noqa: F811
                                                                               drain_jobs, caplog):
    import time

    event = zoom_event(capacity=1)
    jean = register(event, 1)
    zoe = register(event, 5)  # waiting list
    drain_jobs()
    person = next(p for p in sim.registrants(MEETING_ID) if p.email.casefold() == jean.email_normalized)
    changed_at = reload(jean.id).zoom_changed_at
    person.status = "denied"
    caplog.set_level(logging.INFO, logger="panel_app.zoom.webhook_events")
    # A stale notice first (older than our own add): ignored, said so, and not retried.
    sim.send_webhook(hook_url, "meeting.registration_cancelled", sim.registrant_payload(MEETING_ID, person),
                     event_ts=int(changed_at.timestamp() * 1000) - 60_000)
    drain_jobs()
    assert reload(jean.id).status == RegistrationStatus.CONFIRMED
    assert (f"zoom registration_cancelled for registration {jean.id} ignored: not newer than {changed_at}"
            in [r.getMessage() for r in caplog.records])
    assert all(d.processed_at is not None and d.last_error is None
               for d in db.session.scalars(sa.select(ZoomWebhookDelivery)))
    since = time.monotonic()
    sim.send_webhook(hook_url, "meeting.registration_cancelled", sim.registrant_payload(MEETING_ID, person))
    drain_jobs()  # Jean-Baptiste cancelled in Zoom: Zoë gets the seat, and only she is added to Zoom
    fresh = reload(jean.id)
    assert fresh.status == RegistrationStatus.CANCELLED and fresh.zoom_state == SyncState.DONE
    assert status_log(jean.id)[-1] == ("zoom", "confirmed", "cancelled")
    assert status_log(zoe.id)[-1] == ("zoom", "waitlisted", "confirmed")
    assert [(method, path.rsplit("/", 1)[-1]) for _, method, path, _ in sim.api_requests(since)] == [
        ("POST", "registrants"), ("GET", reload(zoe.id).zoom_registrant_id)]


# -- which event a notification is about ------------------------------------------------------

def test_webinar_notifications_go_to_the_webinars_event_and_unknown_ids_are_logged(sim, hook_url, zoom_event,  # noqa: F811
                                                                                    drain_jobs, make_registration,
                                                                                    caplog):
    start = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    webinar = zoom_event(zoom_meeting_id=None, zoom_webinar_id=WEBINAR_ID, starts_at=start,
                         ends_at=start + timedelta(hours=2))
    panelist, _ = make_registration(webinar, zoom_registrant_id="reg-web", zoom_state=SyncState.DONE)
    caplog.set_level(logging.INFO, logger="panel_app.zoom.webhook_events")
    person = participant(registrant_id="reg-web", at=start + timedelta(minutes=2))
    payload = participant_event(sim, WEBINAR_ID, "web-1==", start, person)
    sim.send_webhook(hook_url, "webinar.participant_joined", payload)
    sim.send_webhook(hook_url, "meeting.participant_joined", payload)  # a meeting with that id: none of ours
    unknown = participant_event(sim, MEETING_ID, "m-1==", start, participant(email="x@y.example", at=start))
    unknown["object"]["id"] = "8" * 60  # no event has it (and an id is never that long)
    sim.send_webhook(hook_url, "meeting.participant_joined", unknown)
    assert drain_jobs() == 3
    assert reload(panelist.id).first_joined_at == start + timedelta(minutes=2)
    assert [s.registration_id for s in stays()] == [panelist.id] and walk_ins() == []
    logged = [r.getMessage() for r in caplog.records if r.name == "panel_app.zoom.webhook_events"]
    assert logged == [f"zoom meeting.participant_joined for unknown meeting {WEBINAR_ID} ignored",
                      f"zoom meeting.participant_joined for unknown meeting {'8' * 40} ignored"]


def test_of_two_panels_on_one_id_the_same_day_a_session_goes_to_the_later_one_it_fits(sim, hook_url, zoom_event,  # noqa: F811
                                                                                      drain_jobs, make_registration):
    now = utcnow().replace(microsecond=0)
    morning = zoom_event(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2))
    afternoon = zoom_event(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=30))
    early, _ = make_registration(morning, email="amina@assemblee.sn", email_normalized="amina@assemblee.sn")
    late, _ = make_registration(afternoon, email="amina@assemblee.sn", email_normalized="amina@assemblee.sn")
    # The afternoon session opened 75 minutes early: inside both panels' windows.
    opened = afternoon.starts_at - timedelta(minutes=75)
    send(sim, hook_url, JOINED, "pm==", opened,
         participant(email="amina@assemblee.sn", at=opened + timedelta(minutes=1)))
    assert drain_jobs() == 1
    assert reload(late.id).attended is True and reload(early.id).attended is None


def test_fields_zoom_leaves_out_for_guests_do_not_merge_them(sim, hook_url, zoom_event, drain_jobs):  # noqa: F811
    """Zoom's reference: `registrant_id` "only returns if the participant registered", `email` only when known;
    for guests from outside the host's account `id` and `participant_user_id` are left out too."""
    event = running_event(zoom_event)
    start = event.starts_at
    for n, (name, joined, left) in enumerate([("Invitado de Bolivia", 5, 25), ("Gast aus Wien", 10, 50)]):
        for minutes, leave in ((joined, False), (left, True)):
            person = participant(name=name, at=start + timedelta(minutes=minutes), leave=leave,
                                 participant_uuid=f"pu-guest-{n}")
            for absent in ("registrant_id", "email", "id", "participant_user_id"):
                del person[absent]
            send(sim, hook_url, LEFT if leave else JOINED, "inst-g==", start, person)
    assert drain_jobs() == 4
    assert walk_ins() == [("Gast aus Wien", 40), ("Invitado de Bolivia", 20)]
    assert [(s.name, s.email, s.registrant_id) for s in stays()][:2] == [("Invitado de Bolivia", "", None)] * 2


def test_a_notice_on_a_meeting_id_a_panel_no_longer_uses_leaves_that_panels_registrations_alone(
        sim, hook_url, zoom_event, make_registration, drain_jobs):  # noqa: F811
    moved = zoom_event()  # registered on MEETING_ID, then moved to a new meeting by the organiser
    kept, _ = make_registration(moved, zoom_registrant_id="Tq7hRk2sQxWcB1m9uV4nAa", zoom_state=SyncState.DONE,
                                zoom_synced_status="approved", email="søren@ft.example",
                                email_normalized="søren@ft.example")
    moved.zoom_meeting_id = "89012345678"
    db.session.commit()
    zoom_event()  # the next panel on MEETING_ID
    obj = sim.meeting_object(MEETING_ID, f"sim{MEETING_ID}==")
    obj["registrant"] = {"id": "Tq7hRk2sQxWcB1m9uV4nAa", "email": "søren@ft.example", "first_name": "Søren",
                         "last_name": "Kierkegaard-Åberg", "status": "denied"}
    sim.send_webhook(hook_url, "meeting.registration_cancelled", {"account_id": sim.account_id, "object": obj})
    assert drain_jobs() == 1
    assert reload(kept.id).status == RegistrationStatus.CONFIRMED and reload(kept.id).zoom_synced_status == "approved"


def test_a_delivery_whose_processing_fails_is_rolled_back_and_kept_with_its_error(sim, hook_url, zoom_event,  # noqa: F811
                                                                                 drain_jobs, caplog):
    from panel_app.zoom.jobs import process_webhook_job

    event = running_event(zoom_event)
    payload = sim.ended_payload(MEETING_ID, "inst-z==", event.ends_at)
    payload["object"]["start_time"] = zoom_time(event.starts_at)
    payload["object"]["end_time"] = "9999-12-31T23:59:59Z"  # no report can be scheduled 15 minutes after that
    sim.send_webhook(hook_url, "meeting.ended", payload)
    caplog.set_level(logging.ERROR, logger="panel_app.zoom.webhook_events")
    assert drain_jobs() == 1
    db.session.expire_all()
    delivery = db.session.scalar(sa.select(ZoomWebhookDelivery))
    assert delivery.processed_at is None and delivery.attempts == 1
    assert delivery.last_error == "OverflowError: date value out of range"
    assert [r.getMessage() for r in caplog.records if r.name == "panel_app.zoom.webhook_events"] == [
        f"zoom webhook delivery {delivery.id} failed"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomMeetingInstance)) == 0  # rolled back
    process_webhook_job(delivery.id)  # the sweep's retry fails the same way
    db.session.expire_all()
    assert (delivery.attempts, delivery.processed_at) == (2, None)
