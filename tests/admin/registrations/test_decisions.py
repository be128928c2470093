"""Decisions an organiser can take and take back, with the guard rails around them, through HTTP
on a populated database: corrections that write to the person, undoing a decline, a seat over
capacity, someone added by hand, one person moved from the waiting list, honest bulk reports."""

from __future__ import annotations

import email
from datetime import timedelta
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services as mail_services
from panel_app.models import AuditEntry, Event, Notification, Registration, utcnow
from tests.factories import registration_form_data

pytestmark = pytest.mark.usefixtures("empty_queue")


def deliver(app) -> None:
    with app.app_context():
        mail_services.deliver_until_done(_db.session, now_fn=utcnow)


def mails(folder) -> list:
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


def fresh(db, registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def edit_data(registration, **changes) -> dict:
    values = {name: getattr(registration, name) or "" for name in (
        "salutation", "first_name", "last_name", "email", "country", "organisation", "affiliation_type", "role",
        "committees", "language", "accessibility_needs")}
    return {**values, **changes}


def action(post, client, event, registration, name, **kwargs):
    url = f"/admin/events/{event.slug}/registrations/{registration.id}"
    return post(client, url + "/action", {"action": name}, form_url=url, **kwargs)


# -- corrections (item 2) ------------------------------------------------------------------------

def test_correcting_a_confirmed_persons_address_moves_their_seat_and_invite_to_the_new_address(
        organiser, post, db, app, populated, outbox):
    person = populated.people[0]  # María-José Ñúñez-Öztürk, confirmed (the event is full)
    old_address = person.email
    url = f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}/edit"
    response = post(organiser, url, edit_data(person, email="Maria.Nunez@Congreso.example", first_name="María José"),
                    form_url=url)
    assert response.status_code == 303
    current = db.session.scalar(sa.select(Registration).where(
        Registration.email_normalized == "maria.nunez@congreso.example"))
    assert response.headers["Location"].endswith(f"/registrations/{current.id}")
    assert (fresh(db, person).status, current.status, current.first_name) == ("cancelled", "confirmed", "María José")
    assert current.created_at == person.created_at  # the same place in line
    deliver(app)
    sent = mails(outbox)
    new = [m for m in sent if "congreso.example" in m["To"].casefold()]
    old = [m for m in sent if old_address in m["To"]]
    assert new and any(p.get_param("method") == "REQUEST" for p in new[-1].walk()
                       if p.get_content_type() == "text/calendar")
    assert populated.upcoming.join_url in new[-1].get_body(("plain",)).get_content()
    assert old, "the old address is told the invite is withdrawn"
    page = organiser.get(f"/admin/events/{populated.upcoming.slug}/registrations/{current.id}").get_data(as_text=True)
    assert f"Email: {old_address} → Maria.Nunez@congreso.example" in page
    assert "First name: María-José → María José" in page
    old_page = organiser.get(f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}").get_data(
        as_text=True)
    assert "Confirmed → Cancelled" in old_page and f"Continued as registration: {current.id}" in old_page


def test_correcting_an_address_to_one_already_registered_is_refused(organiser, post, db, populated):
    person, other = populated.people[0], populated.people[1]
    url = f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}/edit"
    response = post(organiser, url, edit_data(person, email=other.email.upper()), form_url=url)
    assert response.status_code == 422 and "already uses this email" in response.get_data(as_text=True)
    assert fresh(db, person).status == "confirmed"


def test_changing_a_confirmed_persons_channel_sends_the_invite_again_in_the_new_channel(
        organiser, post, db, app, populated, outbox):
    person = populated.people[1]  # confirmed, French channel
    url = f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}/edit"
    assert post(organiser, url, edit_data(person, language="es"), form_url=url).status_code == 303
    assert fresh(db, person).language == "es"
    queued = db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == person.id)).all()
    assert "changed" in queued  # the invite again, saying what changed
    deliver(app)
    assert any(person.email in m["To"] for m in mails(outbox))
    page = organiser.get(f"/admin/events/{populated.upcoming.slug}/registrations/{person.id}").get_data(as_text=True)
    assert "Interpretation language: French → Spanish" in page


def test_correcting_someone_who_left_the_event_changes_only_the_record(organiser, post, db, populated):
    declined = populated.people[10]
    url = f"/admin/events/{populated.upcoming.slug}/registrations/{declined.id}/edit"
    response = post(organiser, url, edit_data(declined, email="new.address@parliament.example", language="es"),
                    form_url=url)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/registrations/{declined.id}")
    row = fresh(db, declined)
    assert (row.email, row.language, row.status) == ("new.address@parliament.example", "es", "declined")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.registration_id == declined.id)) == 0


# -- reversible decisions (item 5) ---------------------------------------------------------------

def test_undoing_a_decline_gives_a_free_seat_or_the_waiting_list(organiser, post, db, make_event, make_registration):
    event = make_event(capacity=1, approval_mode="manual")
    declined, _ = make_registration(event, status="declined", first_name="María-José", last_name="Ñúñez-Öztürk")
    later, _ = make_registration(event, status="declined", last_name="Diallo")
    html = action(post, organiser, event, declined, "reinstate", follow_redirects=True).get_data(as_text=True)
    assert "1 reinstated and confirmed" in html and fresh(db, declined).status == "confirmed"
    html = action(post, organiser, event, later, "reinstate", follow_redirects=True).get_data(as_text=True)
    assert "1 reinstated and placed on the waiting list (no free seat)" in html
    assert fresh(db, later).status == "waitlisted"
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == declined.id)).all()
    assert kinds == ["approved"]  # the reinstated person gets their invite
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == later.id)).all()
    assert kinds == ["waitlisted"]  # and the one without a seat is told where they stand


def test_a_speaker_can_be_confirmed_over_capacity(organiser, post, db, populated):
    event, speaker = populated.upcoming, populated.people[5]  # pending; the 5 seats are taken
    html = action(post, organiser, event, speaker, "confirm", follow_redirects=True).get_data(as_text=True)
    assert "1 without a free seat" in html and fresh(db, speaker).status == "pending"
    html = action(post, organiser, event, speaker, "confirm_over_capacity", follow_redirects=True).get_data(
        as_text=True)
    assert "1 confirmed over capacity" in html and fresh(db, speaker).status == "confirmed"
    dashboard = organiser.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    assert "120&nbsp;%" in dashboard  # 6 confirmed for 5 seats


def test_one_person_can_be_moved_from_the_waiting_list_when_a_seat_is_free(
        organiser, post, db, make_event, make_registration, future):
    event = make_event(capacity=2)
    make_registration(event, status="confirmed")
    first, _ = make_registration(event, status="waitlisted", created_at=future(minutes=-30))
    second, _ = make_registration(event, status="waitlisted", last_name="Ñúñez-Öztürk", created_at=future(minutes=-5))
    action(post, organiser, event, second, "confirm")  # the organiser picks the second, not the first
    assert (fresh(db, first).status, fresh(db, second).status) == ("waitlisted", "confirmed")
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.registration_id == second.id)).all()
    assert kinds == ["promoted"]


@pytest.mark.parametrize("notify", [True, False])
def test_an_organiser_adds_a_registrant_with_or_without_the_confirmation_email(
        organiser, post, db, app, populated, outbox, notify):
    event = populated.upcoming  # full, manual approval
    url = f"/admin/events/{event.slug}/registrations/new"
    page = organiser.get(url)
    assert page.status_code == 200 and 'name="notify"' in page.get_data(as_text=True)
    data = {k: v for k, v in registration_form_data(
        first_name="Nguyễn Thị", last_name="Bích-Ngọc", email="bich.ngoc@quochoi.example", country="VN",
        language="fr").items() if k != "consent"}
    data["placement"] = "confirm"
    if notify:
        data["notify"] = "y"
    response = post(organiser, url, data, form_url=url)
    assert response.status_code == 303
    added = db.session.scalar(sa.select(Registration).where(
        Registration.email_normalized == "bich.ngoc@quochoi.example"))
    assert added.status == "confirmed" and added.privacy_notice_version == "organiser"
    deliver(app)
    assert any("quochoi.example" in m["To"] for m in mails(outbox)) is notify
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.add"))
    assert entry.details == {"status": "confirmed", "notify": notify, "over_capacity": True}
    again = post(organiser, url, data, form_url=url)
    assert again.status_code == 422 and "already registered for this event" in again.get_data(as_text=True)


def test_adding_someone_to_a_full_event_the_usual_way_puts_them_on_the_waiting_list(
        organiser, post, db, populated):
    url = f"/admin/events/{populated.upcoming.slug}/registrations/new"
    data = {k: v for k, v in registration_form_data(email="late@parliament.example").items() if k != "consent"}
    assert post(organiser, url, {**data, "placement": "usual"}, form_url=url).status_code == 303
    added = db.session.scalar(sa.select(Registration).where(
        Registration.email_normalized == "late@parliament.example"))
    assert added.status == "waitlisted"


def test_a_declined_person_who_registers_again_is_told_the_decision_stands(client, db, populated, submit_form):
    declined = populated.people[10]
    event = populated.upcoming
    response = submit_form(client, f"/events/{event.slug}/register",
                           registration_form_data(email=declined.email, language="en"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "registering again does not change their decision" in html and event.organiser_email in html
    assert fresh(db, declined).status == "declined"


# -- guard rails (item 6) ------------------------------------------------------------------------

def test_attendance_is_marked_only_for_confirmed_people_once_the_event_has_started(
        organiser, post, db, populated):
    event, confirmed, pending = populated.upcoming, populated.people[0], populated.people[5]
    page = organiser.get(f"/admin/events/{event.slug}/registrations/{confirmed.id}").get_data(as_text=True)
    assert 'value="mark_attended"' not in page and "once the event has started" in page
    html = action(post, organiser, event, confirmed, "mark_attended", follow_redirects=True).get_data(as_text=True)
    assert "attendance can be marked once the event has started" in html and fresh(db, confirmed).attended is None
    past, attendee = populated.past, populated.attendees[5]  # the event is over: marking is allowed
    action(post, organiser, past, attendee, "mark_attended")
    assert fresh(db, attendee).attended is True and fresh(db, attendee).attendance_source == "manual"
    html = action(post, organiser, event, pending, "mark_absent", follow_redirects=True).get_data(as_text=True)
    assert "1 not confirmed" in html


def _event_form(event) -> dict:
    from panel_app.admin.events.forms import event_form_data

    data = event_form_data(event)
    return {k: v for k, v in data.items() if v is not None and k != "languages"} | {"languages": event.languages}


def test_lowering_capacity_below_the_confirmed_people_asks_what_to_do(organiser, post, db, populated):
    event = populated.upcoming  # 5 confirmed
    url = f"/admin/events/{event.slug}/edit"
    response = post(organiser, url, {**_event_form(event), "capacity": "3"}, form_url=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "5 people are already confirmed" in html
    assert 'name="keep_over_capacity"' in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 5
    response = post(organiser, url, {**_event_form(event), "capacity": "3", "keep_over_capacity": "y"}, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.status == "confirmed")) == 5  # nobody lost a seat


def test_moving_a_published_event_into_the_past_must_be_confirmed(organiser, post, db, populated):
    event = populated.upcoming
    url = f"/admin/events/{event.slug}/edit"
    past_start = (utcnow() - timedelta(days=3)).astimezone(event.zone)
    moved = {**_event_form(event), "start": f"{past_start:%Y-%m-%d %H:%M}",
             "end": f"{past_start + timedelta(hours=1):%Y-%m-%d %H:%M}"}
    response = post(organiser, url, moved, form_url=url)
    assert response.status_code == 422 and "The new start is in the past" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at > utcnow()
    assert post(organiser, url, {**moved, "accept_past": "y"}, form_url=url).status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at < utcnow()


def test_a_bulk_approval_reports_who_got_a_seat_and_who_waits(organiser, post, db, make_event, make_registration):
    event = make_event(capacity=3, approval_mode="manual")
    pending = [make_registration(event, status="pending", last_name=f"Ñúñez-{n}")[0] for n in range(6)]
    declined, _ = make_registration(event, status="declined")
    url = f"/admin/events/{event.slug}/registrations"
    html = post(organiser, url + "/bulk", {"action": "approve", "ids": [r.id for r in pending] + [declined.id]},
                form_url=url, follow_redirects=True).get_data(as_text=True)
    assert "Done: 3 approved and confirmed, 3 approved and placed on the waiting list (no free seat)." in html
    assert "Left as they were: 1 already declined." in html
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.bulk"))
    assert entry.details["outcomes"] == {"approve:confirmed": 3, "approve:waitlisted": 3}
    assert entry.details["unchanged"] == {"status_declined": 1}
