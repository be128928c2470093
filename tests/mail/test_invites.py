"""Invites over real SMTP (aiosmtpd on loopback): MIME structure, calendar part, flows."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from panel_app.calendar import updates
from panel_app.mail import services
from panel_app.models import Notification, Registration, utcnow
from panel_app.registration import services as registration_services
from panel_app.registration.services import RegistrationInput
from tests.factories import registration_form_data


def _calendar_parts(message):
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def _vevent(message):
    part = _calendar_parts(message)[0]
    cal = Calendar.from_ical(part.get_content())
    return cal, cal.walk("VEVENT")[0]


def _register(client, submit_form, event, **fields):
    fields.setdefault("language", "en")  # the texts checked below are the English ones
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data(**fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].split("/registrations/")[1].split("?")[0]


def test_registration_sends_imip_invite_with_mime_structure_and_personal_links(
    app, db, client, make_event, submit_form, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event(title="Parliamentary solidarity: MPs, staff; all")
    token = _register(client, submit_form, event, first_name="Amina", last_name="Diallo, Jr.",
                      email="amina@parl.example", language="fr")

    report = drain()

    assert report.sent == 1
    [message] = smtp_server.messages
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    # The mail system's own address in From: (DMARC), the organiser in Reply-To:.
    assert message["From"].addresses[0].addr_spec == "noreply@panel.test"
    assert message["Reply-To"].addresses[0].addr_spec == event.organiser_email
    assert message["Sender"] is None
    assert message["To"].addresses[0].addr_spec == "amina@parl.example"
    assert message["Content-Language"] == "fr"

    cal, vevent = _vevent(message)
    registration = db.session.scalar(sa.select(Registration))
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(vevent["ATTENDEE"]) == "mailto:amina@parl.example"
    assert vevent["ATTENDEE"].params["CN"] == "Amina Diallo, Jr."
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(vevent["ORGANIZER"]) == f"mailto:{event.organiser_email}"
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["LOCATION"]) == event.join_url
    assert f"http://panel.test/registrations/{token}" in str(vevent["DESCRIPTION"])
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent["DTSTART"].params["TZID"] == "Europe/Zurich"
    attached = Calendar.from_ical(attachment.get_content())
    assert attached.walk("VEVENT")[0]["UID"] == vevent["UID"]
    text = alternative.get_payload()[0].get_content()
    assert f"http://panel.test/registrations/{token}" in text
    # Add-to-calendar links (kilobyte-long URLs) are in the HTML part only.
    assert "calendar.google.com" not in text
    assert "calendar.google.com" in alternative.get_payload()[1].get_content()
    assert registration.invite_state == "done"
    assert registration.invite_sequence == 0


def test_registrant_cancellation_withdraws_the_invite_with_a_higher_sequence(
    app, db, client, make_event, submit_form, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    token = _register(client, submit_form, event)
    drain()
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/registrations/{token}/cancel", data={"csrf_token": csrf}).status_code == 303

    drain()

    invite, cancel = smtp_server.messages
    _, first = _vevent(invite)
    cal, withdrawn = _vevent(cancel)
    assert str(cal["METHOD"]) == "CANCEL"
    assert _calendar_parts(cancel)[0].get_param("method") == "CANCEL"
    assert withdrawn["UID"] == first["UID"]
    assert withdrawn["SEQUENCE"] > first["SEQUENCE"]
    assert str(withdrawn["STATUS"]) == "CANCELLED"


def test_pending_approval_mail_has_no_invite_and_approval_sends_one(
    app, db, client, make_event, submit_form, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event(approval_mode="manual")
    _register(client, submit_form, event)
    drain()
    registration = db.session.scalar(sa.select(Registration))
    assert registration.invite_state == "none"
    registration_services.approve(db.session, registration, now=utcnow(), actor="organiser")
    db.session.commit()
    drain()

    pending, approved = smtp_server.messages
    assert not _calendar_parts(pending)
    assert pending.get_content_type() == "multipart/alternative"
    assert "review" in pending.get_body(("plain",)).get_content()
    assert _calendar_parts(approved)[0].get_param("method") == "REQUEST"
    assert "approved" in approved["Subject"]


def test_waitlisted_registrant_gets_a_notice_then_an_invite_when_promoted(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain, client, submit_form
):
    mail_to_smtp(smtp_server)
    event = make_event(capacity=1)
    _register(client, submit_form, event, email="first@parl.example")
    second_token = _register(client, submit_form, event, email="second@parl.example")
    drain()
    first = db.session.scalar(sa.select(Registration).where(Registration.email == "first@parl.example"))
    registration_services.cancel(db.session, first, now=utcnow(), actor="registrant")
    db.session.commit()
    drain()

    to_second = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == "second@parl.example"]
    waitlisted, promoted = to_second
    assert "waiting list" in waitlisted["Subject"] and not _calendar_parts(waitlisted)
    assert _calendar_parts(promoted)[0].get_param("method") == "REQUEST"
    assert second_token in promoted.get_body(("plain",)).get_content()


def test_registering_twice_sends_the_details_with_the_private_link_again(
    app, db, client, make_event, submit_form, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    token = _register(client, submit_form, event)
    registration = db.session.scalar(sa.select(Registration))
    data = {f: getattr(registration, f) for f in RegistrationInput.__dataclass_fields__}
    outcome = registration_services.register(
        db.session, registration.event, RegistrationInput(**data), now=utcnow(),
        privacy_notice_version="test", secret_key=app.config["SECRET_KEY"],
    )
    db.session.commit()
    assert not outcome.created
    drain()
    confirmation, details = smtp_server.messages
    assert "details" in details["Subject"]
    assert f"/registrations/{token}" in details.get_body(("plain",)).get_content()


def test_event_change_sends_updated_invite_with_next_sequence_to_every_confirmed_registrant(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    for _ in range(3):
        registration, _token = make_registration(event, language="en")
        services.queue_message(db.session, registration, "confirmed", now=utcnow())
    make_registration(event, language="en", status="waitlisted", invite_state="none")
    db.session.commit()
    drain()
    assert len(smtp_server.messages) == 3

    event.starts_at += timedelta(hours=2)
    event.ends_at += timedelta(hours=2)
    assert updates.event_changed(db.session, event, now=utcnow()) == 3
    db.session.commit()
    drain()

    updated = smtp_server.messages[3:]
    assert len(updated) == 3
    for message in updated:
        _, vevent = _vevent(message)
        assert vevent["SEQUENCE"] == 1
        assert vevent.decoded("DTSTART") == event.starts_at
        assert message["Subject"].startswith("Updated")


def test_event_cancellation_cancels_invites_and_notifies_the_waiting_list_without_calendar(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    confirmed, _ = make_registration(event, language="en", email="seat@parl.example")
    services.queue_message(db.session, confirmed, "confirmed", now=utcnow())
    make_registration(event, language="en", status="waitlisted", email="wait@parl.example", invite_state="none")
    db.session.commit()
    drain()

    event.status = "cancelled"
    assert updates.event_cancelled(db.session, event, now=utcnow()) == 2
    db.session.commit()
    drain()

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages[1:]}
    cal, vevent = _vevent(by_recipient["seat@parl.example"])
    assert str(cal["METHOD"]) == "CANCEL" and vevent["SEQUENCE"] == 1
    assert not _calendar_parts(by_recipient["wait@parl.example"])
    assert by_recipient["wait@parl.example"]["Subject"].startswith("Cancelled")


def test_personal_zoom_link_arriving_later_goes_out_as_next_sequence_and_plain_resend_repeats_it(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    registration, _ = make_registration(event, language="en")
    services.queue_message(db.session, registration, "confirmed", now=utcnow())
    db.session.commit()
    drain()

    registration.zoom_join_url = "https://zoom.example/w/99?tk=personal"
    services.request_invite(db.session, registration, now=utcnow())
    db.session.commit()
    drain()
    services.request_invite(db.session, registration, now=utcnow())
    db.session.commit()
    drain()

    first, personal, resend = (_vevent(m)[1] for m in smtp_server.messages)
    assert first["UID"] == personal["UID"] == resend["UID"]
    assert str(first["LOCATION"]) == event.join_url
    assert str(personal["LOCATION"]) == "https://zoom.example/w/99?tk=personal"
    assert personal["SEQUENCE"] == first["SEQUENCE"] + 1
    assert resend["SEQUENCE"] == personal["SEQUENCE"]
    assert resend.decoded("DTSTAMP") >= personal.decoded("DTSTAMP")


def test_changes_before_sending_fold_into_the_waiting_invite(app, db, make_event, make_registration, smtp_server,
                                                           mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = make_event()
    registration, _ = make_registration(event, language="en")
    services.queue_message(db.session, registration, "confirmed", now=utcnow())
    db.session.commit()
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    updates.event_changed(db.session, event, now=utcnow())
    db.session.commit()

    drain()

    [message] = smtp_server.messages
    _, vevent = _vevent(message)
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent["SEQUENCE"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1

