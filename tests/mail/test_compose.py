"""Prepared (pre-serialised) invitation messages are the bytes EmailMessage would write:
same headers, encodings and MIME structure, and the same refusal of header injection."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.mail import compose
from panel_app.mail.compose import PreparedMessage, invitation_message

ICS = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Solidarité 🎉\r\nDESCRIPTION:" + "x" * 60
       + "\r\n " + "y" * 70 + "\r\nEND:VCALENDAR\r\n").encode("utf-8")
LONG_LINK = "https://calendar.google.com/calendar/render?action=TEMPLATE&text=" + "Panel%20" * 80
TEXTS = [
    "Dear Amina,\n\nYour registration is confirmed.\n",
    "Chère Hélène,\n\nVotre inscription est confirmée. 15\u00a0h\u00a000\n",
    f"Dear Amina,\n\n- Google Calendar: {LONG_LINK}\n",
    f"Estimada María,\n\n- Google Calendar: {LONG_LINK}é\n" + "línea\n" * 12,
    "From the start\n.\n..dots\n\r\nmixed\rendings",
]
HTML = ["<p>Dear Amina,</p>\n", "<p>Chère Hélène &amp; co</p>\n", f'<a href="{LONG_LINK}">Google</a>\n']
NAMES = ["Amina Diallo", "Amina Diallo, Jr.", "Hélène Dupont", "O'Brien", 'Pat "the MP" Smith', "A" * 90,
         "Ana María López-Núñez", "محمد بن عبد الله", "", "x.y", "Amina\r\nBcc: victim@evil.example"]
SENDERS = [
    dict(from_=("Inter-Parliamentary Union", "events@ipu.example.org"),
         sender="Panel registrations <noreply@panel.test>"),
    dict(from_="Panel registrations <noreply@panel.test>", reply_to=("IPU, Geneva", "events@ipu.example.org")),
    dict(from_="noreply@panel.test", sender="noreply@panel.test"),
]


def _normalise(data: bytes) -> bytes:
    boundaries = list(dict.fromkeys(re.findall(rb"===============\d+==", data)))
    for index, boundary in enumerate(boundaries):
        data = data.replace(boundary, b"BOUNDARY-%d" % index)
    return re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: X\r\n", data)


def _both(**kwargs):
    prepared = invitation_message(**kwargs)
    reference = compose._invitation_email(**kwargs)
    return prepared, reference


@pytest.mark.parametrize("with_ics", [True, False])
def test_prepared_message_is_byte_for_byte_what_email_message_writes(with_ics):
    cases = 0
    for index, name in enumerate(NAMES):
        kwargs = dict(
            to=(name, f"mp{index}@parliament.example"),
            subject=["Registration confirmed: Panel", "Inscription confirmée : Solidarité parlementaire 🎉",
                     "Reminder: " + "Long title " * 12][index % 3],
            text=TEXTS[index % len(TEXTS)], html=HTML[index % len(HTML)],
            ics=ICS if with_ics else None, method=("REQUEST", "CANCEL")[index % 2] if with_ics else None,
            message_id=f"<notification-{index}.registration-{index}@panel.test>",
            language=("en", "fr", "es")[index % 3], **SENDERS[index % len(SENDERS)],
        )
        prepared, reference = _both(**kwargs)
        assert isinstance(prepared, PreparedMessage)
        expected = reference.as_bytes()
        if not with_ics:  # the email package also stamps the HTML part; only the top needs it
            expected = expected.replace(b"Content-Transfer-Encoding: 7bit\r\nMIME-Version: 1.0\r\n",
                                        b"Content-Transfer-Encoding: 7bit\r\n")
            expected = expected.replace(b"Content-Transfer-Encoding: 8bit\r\nMIME-Version: 1.0\r\n",
                                        b"Content-Transfer-Encoding: 8bit\r\n")
            expected = re.sub(rb"(Content-Transfer-Encoding: (?:base64|quoted-printable)\r\n)MIME-Version: 1.0\r\n",
                              rb"\1", expected)
        assert _normalise(prepared.data) == _normalise(expected), name
        cases += 1
    assert cases == len(NAMES)


def test_prepared_message_parses_to_the_imip_structure_and_keeps_injection_out():
    message = invitation_message(
        to=("Amina\r\nBcc: victim@evil.example", "amina@parl.example"),
        subject="Hello\r\nBcc: other@evil.example", text="Body\n", html="<p>Body</p>\n", ics=ICS,
        method="REQUEST", from_=("IPU", "events@ipu.example.org"), message_id="<n-1.r-1@panel.test>", language="fr",
    )
    parsed = message_from_bytes(bytes(message), policy=default_policy)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["amina@parl.example"]
    assert message.recipients == ["amina@parl.example"]
    assert message["Message-ID"] == "<n-1.r-1@panel.test>"
    alternative, attachment = parsed.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    assert alternative.get_payload()[2].get_content().replace("\r\n", "\n") == ICS.decode().replace("\r\n", "\n")
    assert attachment.get_content() == ICS
    for bad in ("a@b.example\r\nBcc: c@d.example", "a@b.example, c@d.example", "not an address"):
        with pytest.raises(ValueError):
            invitation_message(to=bad, subject="x", text="y", html="z", ics=None, method=None, from_="p@q.example")
    with pytest.raises(ValueError):
        invitation_message(to="a@b.example", subject="x", text="y", html="z", ics=ICS,
                           method="REQUEST\r\nBcc: c@d.example", from_="p@q.example")


def test_a_part_containing_the_boundary_gets_another_boundary(monkeypatch):
    draws = iter([1, 1, 2, 3, 4])
    monkeypatch.setattr(compose.random, "randrange", lambda _: next(draws))
    clash = f"--==============={1:019d}=="
    message = invitation_message(to="a@b.example", subject="x", text=f"{clash}\n", html="<p>z</p>", ics=None,
                                 method=None, from_="p@q.example")
    parsed = message_from_bytes(bytes(message), policy=default_policy)
    assert f"==============={1:019d}==" not in parsed.get_boundary()
    assert [p.get_content().replace("\r\n", "\n") for p in parsed.get_payload()] == [f"{clash}\n", "<p>z</p>\n"]


def test_internationalised_addresses_fall_back_to_email_message():
    message = invitation_message(to=("José", "josé@parlamento.example"), subject="x", text="y", html="z", ics=ICS,
                                 method="REQUEST", from_="p@q.example")
    assert not isinstance(message, PreparedMessage)
    assert message["To"].addresses[0].addr_spec == "josé@parlamento.example"


def test_batch_rendered_bodies_equal_per_person_template_rendering_and_follow_event_changes(
    app, db, make_event, make_registration
):
    """The cached body skeletons give exactly what rendering the templates per registrant
    gives (HTML escaping included), and an event change within one batch is never stale."""
    from datetime import timedelta

    from flask import render_template
    from flask_babel import force_locale

    from panel_app.calendar import content
    from panel_app.mail import branding, messages, services
    from panel_app.models import Notification, utcnow

    event = make_event(title="Solidarity <b>&</b> \"MPs\"")
    names = [("Amina", "<script>alert('x')</script>"), ("Hélène", "D'Arc & Co"), ("José", "Núñez \"Pepe\"")]
    for (first, last), language in zip(names, ("en", "fr", "es"), strict=True):
        registration, _ = make_registration(event, first_name=first, last_name=last, language=language,
                                            zoom_join_url=f"https://zoom.example/w/1?tk={first}&x=<y>")
        services.queue_message(db.session, registration, "confirmed", now=utcnow(), deliver=False)
    db.session.commit()
    notifications = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    now = utcnow()

    results = messages.render_batch(db.session, notifications, now=now, config=app.config)

    for notification, result in zip(notifications, results, strict=True):
        registration = notification.registration
        parsed = message_from_bytes(bytes(result.message), policy=default_policy)
        locale = registration.language
        with app.test_request_context(), force_locale(locale):
            manage = content.manage_url(registration, app.config)
            organiser = content.organiser(event, locale, app.config, db.session)
            shared = messages._shared(event, locale, notification.kind, registration.language, None, organiser,
                                      app.config)
            context = dict(registration=registration, event=event, kind=notification.kind, title=shared["title"],
                           subject=shared["subject"], times=shared["times"], paragraphs=shared["paragraphs"],
                           language=shared["language"], event_url=shared["event_url"],
                           join_url=registration.join_url, personal_link=True, manage_url=manage,
                           links=content.registration_links(registration, manage=manage, locale=locale),
                           organiser_name=shared["organiser_name"], has_invite=True, lang=locale,
                           brand=branding.brand(db.session, locale, app.config))
            text = render_template("emails/registration.txt", **context)
            html = render_template("emails/registration.html", **context)
        plain = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert plain == text + "\n" * (not text.endswith("\n"))
        assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == html + "\n" * (not html.endswith("\n"))
        escaped_link = registration.join_url.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert "<script>" not in html and escaped_link in html

    # Same batch, event moved and re-titled between two messages: the second is not stale.
    first, second = notifications[0], notifications[1]
    cache = messages.BatchCache(db.session, [first, second])
    before = messages._render_one(db.session, first, now=now, config=app.config, cache=cache)
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    event.title = "Renamed panel"
    event.translations = {}
    after = messages._render_one(db.session, first, now=now, config=app.config, cache=cache)
    old_text = message_from_bytes(bytes(before.message), policy=default_policy).get_body(("plain",)).get_content()
    new = message_from_bytes(bytes(after.message), policy=default_policy)
    assert "Renamed panel" in new["Subject"] and "Renamed panel" in new.get_body(("plain",)).get_content()
    assert new.get_body(("plain",)).get_content() != old_text
    ics = [p for p in new.walk() if p.get_content_type() == "text/calendar"][0].get_content()
    from icalendar import Calendar

    assert Calendar.from_ical(ics).walk("VEVENT")[0].decoded("DTSTART") == event.starts_at
