"""Letters to directory contacts go through the one mail pipeline: one notification per
contact (registration NULL), sent over real SMTP on loopback in the contact's language, each
contact mailed once however often sending restarts, inactive contacts skipped, placeholders
filled in and escaped, and each contact's letters sent in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.directory import letters
from panel_app.mail import services as mail_services
from panel_app.models import Contact, EventInvitation, Notification, utcnow
from tests.conftest import utc

K = letters.K


def _event(make_event, **overrides):
    values = {"title": "Parliamentary solidarity: Supporting MPs under threat", "starts_at": utc(2027, 9, 28, 13),
              "ends_at": utc(2027, 9, 28, 14, 30), "timezone": "Europe/Zurich", "languages": ["en", "fr", "es"],
              "translations": {"fr": {"title": "Solidarité parlementaire : soutenir les parlementaires menacés"},
                               "es": {"title": "Solidaridad parlamentaria: apoyar a los parlamentarios amenazados"}}}
    values.update(overrides)
    return make_event(**values)


def _send(app, db, event, author, kind=K.INVITATION, texts=None, filters=None, now=None, **kwargs):
    texts = texts or letters.default_texts(kind, event.languages)
    letter, created = letters.send_letter(db.session, event, kind, texts, filters or letters.default_filters(kind),
                                          now=now or utcnow(), user=author, secret_key=app.config["SECRET_KEY"],
                                          **kwargs)
    db.session.commit()
    return letter


def _by_address(server):
    return {m["To"].addresses[0].addr_spec: m for m in server.messages}


def _text(mail):
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _html(mail):
    return mail.get_body(("html",)).get_content()


def test_an_invitation_reaches_a_few_hundred_contacts_once_each_in_their_language_with_their_parliaments_link(
        app, db, make_event, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event)
    directory = make_directory(240)
    letter = _send(app, db, event, author)
    assert letter.recipient_count == 240 and letter.state == "pending"

    report = drain()

    assert report.sent == 240
    received = _by_address(smtp_server)
    assert len(smtp_server.messages) == 240 and len(received) == 240
    copies = {c.contact_id: c for c in db.session.scalars(sa.select(Notification))}
    tokens = {i.organisation_id: i.token for i in db.session.scalars(sa.select(EventInvitation))}
    for contact in directory.contacts:
        mail = received[contact.email]
        copy = copies[contact.id]
        assert (copy.kind, copy.outreach_id, copy.registration_id, copy.state) == ("outreach", letter.id, None, "sent")
        assert mail["Message-ID"] == f"<{copy.message_key}@panel.test>"
        assert mail["To"].addresses[0].display_name == contact.name
        assert mail["Reply-To"].addresses[0].addr_spec == event.organiser_email
        link = f"http://panel.test/events/{event.slug}/register?invitation={tokens[contact.organisation_id]}"
        assert link in _text(mail) and f'href="{link}"' in _html(mail)
        # A contact whose language the event does not offer ("de") reads the first event language.
        language = contact.language if contact.language in event.languages else "en"
        assert mail["Content-Language"] == language
        expected_subject = {"en": "Invitation: Parliamentary solidarity: Supporting MPs under threat",
                            "fr": "Solidarité parlementaire : soutenir les parlementaires menacés",
                            "es": "Solidaridad parlamentaria: apoyar a los parlamentarios amenazados"}[language]
        assert expected_subject in mail["Subject"]
    french = received[directory.contacts[0].email]
    assert "mardi 28 septembre 2027, 15\u00a0h\u00a000 – 16\u00a0h\u00a030 CEST (UTC+02:00)" in _text(french)
    assert "Assemblée nationale de Côte d'Ivoire — fr (000)" in _text(french)  # the parliament's French name
    spanish = received[directory.contacts[1].email]
    assert "martes, 28 de septiembre de 2027" in _text(spanish) and "Dña. María-José Ñúñez" in _text(spanish)
    db.session.refresh(letter)
    assert letter.state == "sent" and letter.finished_at is not None
    figures = letters.progress(db.session, [letter])[letter.id]
    assert (figures.total, figures.sent, figures.waiting, figures.failed) == (240, 240, 0, 0)


def test_a_restarted_send_mails_each_contact_once(app, db, make_event, make_directory, author, smtp_server,
                                                  mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event)
    directory = make_directory(120)
    letter = _send(app, db, event, author)
    first = mail_services.deliver_due(db.session, now=utcnow(), limit=50)
    assert first.sent == 50
    # The sending is restarted: the copies are queued again for everyone, then delivered.
    ids = [c.id for c in directory.contacts]
    assert mail_services.queue_outreach(db.session, letter, ids, now=utcnow()) == 120
    db.session.commit()
    drain()
    addresses = [m["To"].addresses[0].addr_spec for m in smtp_server.messages]
    assert len(addresses) == 120 and sorted(addresses) == sorted(c.email for c in directory.contacts)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 120


def test_the_same_form_posted_twice_sends_one_letter(app, db, make_event, make_directory, author):
    event = _event(make_event)
    make_directory(30)
    one = _send(app, db, event, author, submission_key="k" * 32)
    two = _send(app, db, event, author, submission_key="k" * 32)
    assert one.id == two.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 30


def test_a_contact_made_inactive_before_its_turn_is_skipped(app, db, make_event, make_directory, author,
                                                            smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event)
    directory = make_directory(12)
    letter = _send(app, db, event, author)
    gone = directory.contacts[3]
    gone.active = False
    db.session.commit()

    report = drain()

    assert report.sent == 11 and report.skipped == 1
    assert gone.email not in _by_address(smtp_server)
    copy = db.session.scalar(sa.select(Notification).where(Notification.contact_id == gone.id))
    assert copy.state == "skipped"
    db.session.refresh(letter)
    assert letter.state == "sent"
    assert letters.progress(db.session, [letter])[letter.id].skipped == 1


def test_a_coverage_reminder_is_skipped_for_a_parliament_that_registered_before_its_turn(
        app, db, make_event, make_directory, make_registration, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event)
    directory = make_directory(12)
    letter = _send(app, db, event, author, kind=K.COVERAGE_REMINDER)
    by_link, by_name = directory.organisations[2], directory.organisations[7]
    linked, _ = make_registration(event, organisation="Secrétariat général")
    linked.organisation_id = by_link.id
    make_registration(event, organisation=by_name.translations["fr"])  # typed in French, before any link
    cancelled, _ = make_registration(event, organisation=directory.organisations[5].name, status="cancelled")
    db.session.commit()

    report = drain()

    assert report.sent == 10 and report.skipped == 2
    reached = _by_address(smtp_server)
    assert directory.contacts[2].email not in reached and directory.contacts[7].email not in reached
    assert directory.contacts[5].email in reached  # a cancelled registration represents nobody
    assert letters.progress(db.session, [letter])[letter.id].skipped == 2


def test_placeholders_are_filled_in_and_every_value_is_escaped_in_the_html_part(
        app, db, make_event, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event, languages=["en"])
    directory = make_directory(1)
    contact = directory.contacts[0]
    contact.name = 'Ada <script>alert("x")</script> & Ö'
    contact.language = "en"
    db.session.commit()
    body = ("Dear {contact_name},\n\n<b>{parliament}</b> is invited to {event_title} on {event_date} "
            "by {organisation}.\n{registration_link}\n\nBraces stay: {not a placeholder} and {{event_title}}.")
    _send(app, db, event, author, texts={"en": {"subject": "For {parliament}", "body": body}})
    drain()
    mail = smtp_server.messages[0]
    text, html = _text(mail), _html(mail)
    assert "Dear Ada <script>alert(\"x\")</script> & Ö," in text
    assert "<script>" not in html and "Ada &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Ö" in html
    assert "&lt;b&gt;" in html and "<b>" not in html  # the organiser's own text is text, not markup
    assert "Tuesday, 28 September 2027, 15:00 – 16:30 CEST (UTC+02:00)" in text
    assert "by Inter-Parliamentary Union." in text
    assert "{not a placeholder} and {Parliamentary solidarity: Supporting MPs under threat}." in text
    assert mail["Subject"] == f"For {directory.organisations[0].name}"


@pytest.mark.parametrize("bad", ["{contact_name_}", "{title}", "{follow_up_link}", "{Contact}"])
def test_a_letter_with_an_unknown_placeholder_is_refused_before_anything_is_queued(app, db, make_event,
                                                                                     make_directory, author, bad):
    event = _event(make_event, languages=["en", "fr"])
    make_directory(3)
    texts = letters.default_texts(K.INVITATION, event.languages)
    texts["fr"]["body"] += f"\n{bad}"
    with pytest.raises(letters.LetterError) as refused:
        _send(app, db, event, author, texts=texts)
    assert [m for m in refused.value.messages if "French" in m and bad in m]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize("written", ["{contact.__class__}", "{event_title.__globals__}", "{0}",
                                     "{registration_link!r}", "{parliament:>99999}"])
def test_braces_that_are_not_a_placeholder_reach_nothing_and_are_sent_as_written(
        app, db, make_event, make_directory, author, smtp_server, mail_to_smtp, drain, written):
    mail_to_smtp(smtp_server)
    event = _event(make_event, languages=["en"])
    make_directory(1)
    _send(app, db, event, author, texts={"en": {"subject": "Note", "body": f"Dear {{contact_name}}: {written}"}})
    drain()
    assert f": {written}" in _text(smtp_server.messages[0])


def test_each_contacts_letters_go_out_one_at_a_time_in_order(app, db, make_event, make_directory, author):
    event = _event(make_event)
    directory = make_directory(4)
    first = _send(app, db, event, author)
    second = _send(app, db, event, author, kind=K.COVERAGE_REMINDER)
    now = utcnow()
    due = mail_services.due_ids(db.session, now=now)
    chosen = db.session.scalars(sa.select(Notification).where(Notification.id.in_(due))).all()
    assert sorted(n.contact_id for n in chosen) == sorted(c.id for c in directory.contacts)
    assert {n.outreach_id for n in chosen} == {first.id}
    # A contact whose first letter is being sent gets nothing else until it is settled.
    busy = chosen[0]
    assert mail_services.claim(db.session, busy.id, now=now, lease=timedelta(minutes=5)) == 1
    db.session.commit()
    due = mail_services.due_ids(db.session, now=now)
    rows = db.session.scalars(sa.select(Notification).where(Notification.id.in_(due))).all()
    assert busy.contact_id not in {n.contact_id for n in rows} and len(rows) == 3
    assert second.recipient_count == 4


def test_a_contact_letter_and_a_registrants_mail_share_the_pipeline_without_blocking_each_other(
        app, db, make_event, make_registration, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = _event(make_event)
    make_directory(3)
    registration, _ = make_registration(event, email="amina.diallo@assemblee.sn")
    from panel_app.mail.queueing import queue_message

    queue_message(db.session, registration, "confirmed", now=utcnow())
    db.session.commit()
    _send(app, db, event, author)
    assert drain().sent == 4
    assert "amina.diallo@assemblee.sn" in _by_address(smtp_server)
    assert db.session.scalar(sa.select(Contact).limit(1)) is not None
