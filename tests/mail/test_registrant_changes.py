"""What a registrant's own changes do to their mail: a new channel or email language sends the
invite again saying what changed (higher SEQUENCE, same UID); erasing their data deletes the
outbox folder's copies of their messages; rows from before random keys keep their identifiers."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import sqlalchemy as sa
from icalendar import Calendar

from panel_app.models import Notification, Registration, utcnow
from panel_app.registration import services as registration_services
from tests.conftest import csrf_from
from tests.factories import registration_form_data


def _register(client, submit_form, event, **fields):
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data(**fields))
    assert response.status_code == 303
    return response.headers["Location"].split("?")[0].rsplit("/", 1)[1]


def _read(path):
    return message_from_bytes(path.read_bytes(), policy=default_policy)


def _vevent(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_content()).walk("VEVENT")[0]


def test_a_new_channel_and_email_language_resend_the_invite_saying_what_changed_with_a_higher_sequence(
    db, client, make_event, submit_form, outbox, drain
):
    event = make_event(translations={"es": {"title": "Solidaridad parlamentaria"}})
    _register(client, submit_form, event, first_name="María-José", last_name="Ñúñez-Öztürk", language="fr")
    drain()
    registration = db.session.scalar(sa.select(Registration))

    assert registration_services.change_languages(db.session, registration, language="es", email_language=None,
                                                  now=utcnow())
    db.session.commit()
    drain()

    first, second = (_read(p) for p in sorted(outbox.glob("*.eml")))
    assert second["Subject"] == "Inscripción modificada: Solidaridad parlamentaria"
    text = second.get_body(("plain",)).get_content()
    assert "Idioma de interpretación: ahora español (antes: francés)." in text
    assert "Idioma de sus correos y de su invitación: ahora español (antes: francés)." in text
    before, after = _vevent(first), _vevent(second)
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert str(after["SUMMARY"]) == "Solidaridad parlamentaria"


def test_changes_made_before_the_notice_went_out_are_told_together_against_the_first_values(
    db, client, make_event, submit_form, outbox, drain
):
    event = make_event()
    _register(client, submit_form, event, language="en")
    drain()
    registration = db.session.scalar(sa.select(Registration))
    registration_services.change_languages(db.session, registration, language="fr", email_language=None, now=utcnow())
    db.session.commit()
    registration_services.change_languages(db.session, registration, language="es", email_language="en",
                                           now=utcnow())
    db.session.commit()
    drain()

    notices = db.session.scalars(sa.select(Notification).where(Notification.kind == "changed")).all()
    assert len(notices) == 1
    assert notices[0].details["previous"] == {"language": "en", "email_language": "en"}
    text = _read(sorted(outbox.glob("*.eml"))[-1]).get_body(("plain",)).get_content()
    assert "Interpretation language: now Spanish (before: English)." in text
    assert "Language of your emails" not in text  # French for a while, English again now


def test_erasing_ones_data_deletes_the_outbox_copies_of_ones_messages_only(
    db, client, browser, make_event, submit_form, outbox, drain
):
    event = make_event()
    token = _register(client, submit_form, event, first_name="María-José", last_name="Ñúñez-Öztürk",
                      email="maria.jose@parlamento.example")
    other = browser()
    _register(other, submit_form, event, email="amina.diallo@assemblee.example")
    _register(client, submit_form, event, email="maria.jose@parlamento.example")  # "details again" email
    drain()
    assert len(list(outbox.glob("*.eml"))) == 3

    url = f"/registrations/{token}/erase"
    response = client.post(url, data={"csrf_token": csrf_from(client, url)})
    assert response.status_code == 303

    [left] = outbox.glob("*.eml")
    assert _read(left)["To"].addresses[0].addr_spec == "amina.diallo@assemblee.example"


def test_rows_from_before_random_keys_keep_the_uid_and_message_id_they_were_sent_with(
    db, make_event, make_registration
):
    """Migration 0004_mail_ids: existing invites keep their UID, so updates still replace them."""
    from flask_migrate import downgrade, upgrade

    event = make_event()
    registration, _ = make_registration(event)
    notification = Notification(registration_id=registration.id, kind="confirmed", state="sent", attempts=1,
                                next_attempt_at=utcnow(), created_at=utcnow())
    db.session.add(notification)
    db.session.commit()
    ids = (event.id, registration.id, notification.id)
    db.session.remove()
    downgrade(revision="0004_public_pages")
    try:
        assert "calendar_uid" not in {c["name"] for c in sa.inspect(db.engine).get_columns("registrations")}
    finally:
        upgrade()
        db.engine.dispose()

    event_id, registration_id, notification_id = ids
    assert db.session.get(Registration, registration_id).calendar_uid == (
        f"registration-{registration_id}.event-{event_id}")
    assert db.session.get(Notification, notification_id).message_key == (
        f"notification-{notification_id}.registration-{registration_id}")
    assert db.session.get(Registration, registration_id).event.calendar_uid == f"event-{event_id}"
