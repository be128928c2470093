"""Every kind of email, parsed back as a mail client would (email.parser, policy default), in
English, French and Spanish: structure, headers, iMIP rules, what the text part may carry,
and the branded layout."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from icalendar import Calendar

from tests.calendar.test_timezones import ICAL_SCRIPT, ROOT
from tests.mail.kinds import CANCEL_KINDS, GENERAL_LINK, INVITE_KINDS, IPU, PARTNER, PERSONAL_LINK, render_every_kind

LANGUAGES = ["en", "fr", "es"]
#: The organisation's name in each language (the IPU's identity, tests/mail/kinds.py).
NAMES = {"en": "Inter-Parliamentary Union", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"}


@pytest.fixture
def ipu(app, monkeypatch):
    for name, value in IPU.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "IPU events <noreply@mail.ipu.example.org>")


def _parts(message) -> dict[str, object]:
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


@pytest.fixture(params=LANGUAGES)
def every_kind(request, db, app, ipu):
    return request.param, render_every_kind(db, app, request.param)


def test_every_kind_has_a_unique_random_message_id_and_dmarc_safe_sender_headers(every_kind):
    language, emails = every_kind
    ids = set()
    for kind, (notification, message) in emails.items():
        message_id = message["Message-ID"]
        assert message_id == f"<{notification.message_key}@panel.test>", kind
        assert re.fullmatch(r"<[0-9a-f]{24}@panel\.test>", message_id), kind  # not built from row numbers
        ids.add(message_id)
        [sender] = message["From"].addresses
        assert sender.addr_spec == "noreply@mail.ipu.example.org", kind
        assert message["Sender"] is None, kind
        [reply_to] = message["Reply-To"].addresses
        assert reply_to.addr_spec == "events@ipu.example.org", kind
        expected_name = PARTNER if kind == "event_cancelled" else NAMES[language]
        assert sender.display_name == reply_to.display_name == expected_name, kind
        assert message["Content-Language"] == language, kind
        assert message["Date"] and message["Auto-Submitted"] == "auto-generated", kind
    assert len(ids) == len(emails)


def test_every_kind_has_the_imip_structure_its_calendar_method_needs(every_kind):
    _, emails = every_kind
    for kind, (_, message) in emails.items():
        if kind in INVITE_KINDS or kind in CANCEL_KINDS:
            assert message.get_content_type() == "multipart/mixed", kind
            alternative, attachment = message.get_payload()
            assert [p.get_content_type() for p in alternative.get_payload()] == [
                "text/plain", "text/html", "text/calendar"], kind
            calendar_part = alternative.get_payload()[2]
            method = "REQUEST" if kind in INVITE_KINDS else "CANCEL"
            # RFC 6047 §2.4: the part's "method" parameter is the iCalendar METHOD.
            assert calendar_part.get_param("method") == method, kind
            assert attachment.get_filename() == "invite.ics", kind
            cal = Calendar.from_ical(calendar_part.get_content())
            assert str(cal["METHOD"]) == method, kind
            [vevent] = cal.walk("VEVENT")
            # RFC 5546 §3.2.2 (REQUEST) and §3.2.5 (CANCEL): required properties.
            for name in ("ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID"):
                assert name in vevent, (kind, name)
            assert ("DTSTART" in vevent and "SUMMARY" in vevent) if method == "REQUEST" else (
                str(vevent["STATUS"]) == "CANCELLED"), kind
            assert Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]["UID"] == vevent["UID"], kind
        else:
            assert message.get_content_type() == "multipart/alternative", kind
            assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"], kind


def test_every_kind_travels_in_seven_bits_whatever_the_relay_announces(every_kind, app, db):
    """8-bit bodies need a relay that announced 8BITMIME (RFC 6152): ours never need one."""
    from panel_app.mail import messages
    from panel_app.models import utcnow

    _, emails = every_kind
    notifications = [n for n, _ in emails.values()]
    for notification, result in zip(notifications, messages.render_batch(db.session, notifications, now=utcnow(),
                                                                          config=app.config), strict=True):
        data = bytes(result.message)
        assert max(data) < 128, notification.kind
        assert all(len(line) <= 998 for line in data.split(b"\r\n")), notification.kind


def test_text_parts_carry_no_long_calendar_urls_and_html_parts_the_branded_layout(every_kind):
    language, emails = every_kind
    for kind, (_, message) in emails.items():
        parts = _parts(message)
        text, html = parts["text/plain"].get_content(), parts["text/html"].get_content()
        assert "calendar.google.com" not in text and "outlook." not in text, kind
        longest = max((len(url) for url in re.findall(r"https?://\S+", text)), default=0)
        assert longest <= len(PERSONAL_LINK), kind
        name = PARTNER if kind == "event_cancelled" else NAMES[language]
        for page in (text, html):
            assert NAMES[language] in page and "events@ipu.example.org" in page, kind
            assert "http://panel.test/privacy" in page, kind
        assert f'lang="{language}"' in html and "<table role=\"presentation\"" in html, kind
        assert "<link" not in html and "<script" not in html, kind  # no external CSS, no script
        if kind != "group_message":
            assert name in text, kind  # the signature
        if kind in INVITE_KINDS:
            assert "calendar.google.com" in html, kind


def test_this_link_is_personal_only_where_it_is(every_kind):
    _, emails = every_kind
    personal = {"en": "This link is personal", "fr": "Ce lien vous est personnel", "es": "Este enlace es personal"}
    for kind, (_, message) in emails.items():
        parts = _parts(message)
        text, html = parts["text/plain"].get_content(), parts["text/html"].get_content()
        said = any(p in text or p in html for p in personal.values())
        assert said == (kind == "invite"), kind
        if kind == "invite":
            assert PERSONAL_LINK in text and PERSONAL_LINK.replace("&", "&amp;") in html
        elif kind in INVITE_KINDS:
            assert GENERAL_LINK in text


def test_an_event_cancelled_email_no_longer_offers_to_cancel_or_see_the_registration(every_kind):
    _, emails = every_kind
    _, message = emails["event_cancelled"]
    for part in _parts(message).values():
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode()
        assert "/registrations/" not in content
    _, confirmed = emails["confirmed"]
    assert "/registrations/" in _parts(confirmed)["text/plain"].get_content()


def test_a_change_of_channel_says_what_changed(every_kind):
    language, emails = every_kind
    _, message = emails["changed"]
    text = _parts(message)["text/plain"].get_content()
    before = {"en": "French", "fr": "anglais", "es": "inglés"}[language]
    now = {"en": "English", "fr": "français", "es": "español"}[language]
    assert before.lower() in text.lower() and now.lower() in text.lower()
    words = {"en": "now", "fr": "désormais", "es": "ahora"}[language]
    assert words in text


def test_add_to_calendar_links_stay_short_lead_with_the_join_link_and_never_carry_the_private_link(every_kind):
    from urllib.parse import parse_qs, urlsplit

    _, emails = every_kind
    for kind in INVITE_KINDS:
        _, message = emails[kind]
        html = _parts(message)["text/html"].get_content()
        links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)
                 if "calendar.google.com" in href or "outlook." in href]
        assert len(links) == 3, kind
        for link in links:
            assert len(link) <= 2000, (kind, len(link))
            assert "/registrations/" not in link, kind
            query = urlsplit(link).query
            assert query.index("location=") < query.index("details=" if "google" in link else "body="), kind
            text = parse_qs(query)["details" if "google" in link else "body"][0]
            join = PERSONAL_LINK if kind == "invite" else GENERAL_LINK
            assert text.split("\n")[0].endswith(join), kind


def test_invites_read_by_ical_js_carry_the_organiser_named_in_the_registrants_language(every_kind, tmp_path):
    language, emails = every_kind
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").exists():
        pytest.skip("node or node_modules/ical.js missing (run scripts/test.sh once)")
    files = []
    for kind in sorted(INVITE_KINDS):
        _, message = emails[kind]
        path = tmp_path / f"{kind}.ics"
        path.write_bytes(_parts(message)["application/ics"].get_content())
        files.append(path)
    out = subprocess.run([node, str(ICAL_SCRIPT), *map(str, files)], capture_output=True, text=True, timeout=60,
                         check=True)
    for read in json.loads(out.stdout):
        assert read["organizer"] == "mailto:events@ipu.example.org"
        assert read["organizer_cn"] == NAMES[language]
        assert read["attendee_cn"] == "María-José Ñúñez-Öztürk de la Fuente-Bäckström"


def test_from_the_organiser_stays_an_option_with_the_mail_system_as_sender(db, app, ipu, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM_ORGANISER", True)
    emails = render_every_kind(db, app, "fr")
    for kind in ("confirmed", "group_message", "pending"):
        _, message = emails[kind]
        [sender] = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Union interparlementaire", "events@ipu.example.org")
        assert message["Sender"].addresses[0].addr_spec == "noreply@mail.ipu.example.org"
        assert message["Reply-To"] is None
