"""Address headers stay one mailbox per recipient however they are folded.

The email package's own folder (CPython before gh-80222 was fixed: 3.12.9 / 3.13.2) drops the
quotes of a long quoted display name when it breaks the line, so "Diallo, Amina (...)" is read
back as two mailboxes and mail clients show an address nobody wrote. Headers are parsed back
here with the email package's structured parser under policy SMTP and SMTPUTF8 (how many
mailboxes, which addresses) and with an RFC 2047 decoder (the exact display names).
"""

from __future__ import annotations

from email import message_from_bytes, message_from_string
from email.header import decode_header, make_header
from email.policy import SMTP, SMTPUTF8
from email.utils import getaddresses

import pytest
import sqlalchemy as sa

from panel_app.mail import compose
from panel_app.mail.compose import PreparedMessage, invitation_message, simple_message
from panel_app.models import Registration
from tests.factories import registration_form_data

NAMES = [
    "Diallo, Amina (Member of the Committee on the Human Rights of Parliamentarians, National Assembly of Senegal)",
    "María-José Ñúñez-Öztürk, Comisión de Derechos Humanos del Parlamento de la República Oriental, Jr.",
    "Ñúñez-Öztürk, María-José",
    "Amina Diallo, Jr.",
    'Pat "the MP" Smith, Parliamentary Assembly of the Council of Europe, Strasbourg and Geneva',
    "Smith, John <john@evil.example>, Doe, Jane (Committee on Foreign Affairs of the House)",
    "محمد بن عبد الله، عضو لجنة حقوق الإنسان للبرلمانيين في مجلس النواب",
    "=?utf-8?q?Bcc=3A_victim=40evil=2Eexample?=",
    "O'Brien",
    "A" * 90,
]


def _display_names(raw_value: str) -> list[tuple[str, str]]:
    """(display name, address) per mailbox, read as RFC 5322 + RFC 2047 say: split the
    unfolded field into mailboxes first, then decode encoded words outside quoted strings."""
    unfolded = raw_value.replace("\r\n", "")
    return [(name if f'"{name}"' in unfolded or "=?" not in name else str(make_header(decode_header(name))), address)
            for name, address in getaddresses([unfolded])]


def _headers(data: bytes) -> str:
    return data.split(b"\r\n\r\n", 1)[0].decode("utf-8")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("build", ["prepared", "email_message"])
def test_a_long_display_name_with_commas_stays_one_mailbox_when_folded(name, build):
    kwargs = dict(to=(name, "amina.diallo@assemblee.example.sn"), subject="Registration confirmed: Panel",
                  text="Dear Amina,\n", html="<p>Dear Amina,</p>\n", ics=None, method=None,
                  from_=(name, "events@ipu.example.org"), reply_to=(name, "secretariat@ipu.example.org"),
                  message_id="<notification-1.registration-1@panel.test>")
    message = invitation_message(**kwargs) if build == "prepared" else compose._invitation_email(**kwargs)
    data = bytes(message) if build == "prepared" else message.as_bytes()
    assert isinstance(message, PreparedMessage) == (build == "prepared")
    assert all(len(line) <= 78 for line in _headers(data).split("\r\n"))

    expected = compose.one_line(name)
    raw = message_from_bytes(data)  # compat32: header values as written
    for policy in (SMTP, SMTPUTF8):
        parsed = message_from_bytes(data, policy=policy)
        for header, address in (("To", "amina.diallo@assemblee.example.sn"), ("From", "events@ipu.example.org"),
                                ("Reply-To", "secretariat@ipu.example.org")):
            assert [a.addr_spec for a in parsed[header].addresses] == [address], _headers(data)
            assert _display_names(raw[header]) == [(expected, address)], _headers(data)
    assert message_from_bytes(data, policy=SMTP)["Bcc"] is None


def test_an_internationalised_address_with_a_long_name_stays_one_mailbox_under_smtputf8():
    name = "Ñúñez-Öztürk, María-José (Comisión de Derechos Humanos del Parlamento, Montevideo)"
    message = invitation_message(to=(name, "maría.josé@parlamento.example.uy"), subject="x", text="y\n",
                                 html="<p>y</p>\n", ics=None, method=None, from_="Panel <noreply@panel.test>")
    assert not isinstance(message, PreparedMessage)  # needs SMTPUTF8
    data = message.as_bytes(policy=message.policy.clone(utf8=True))
    parsed = message_from_string(data.decode("utf-8"), policy=SMTPUTF8)  # UTF-8 headers (RFC 6532)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["maría.josé@parlamento.example.uy"]
    raw = message_from_string(data.decode("utf-8"))
    assert _display_names(raw["To"]) == [(name, "maría.josé@parlamento.example.uy")]


def test_several_recipients_with_commas_in_their_names_stay_apart():
    people = [("Diallo, Amina", "amina@parl.example"), ("Núñez, José (Uruguay)", "jose@parl.example"),
              ("Smith, John, Jr., Committee on Foreign Affairs of the House of Commons", "john@parl.example")]
    message = simple_message(to=people, subject="Programme", text="Updated.", from_="Panel <noreply@panel.test>")
    data = message.as_bytes()
    assert [a.addr_spec for a in message_from_bytes(data, policy=SMTP)["To"].addresses] == [a for _, a in people]
    assert _display_names(message_from_bytes(data)["To"]) == people


def test_the_invite_sent_over_smtp_to_a_long_name_with_a_comma_has_one_recipient(
    app, db, client, make_event, submit_form, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    last_name = "Diallo, Member of the Committee on the Human Rights of Parliamentarians (Senegal)"
    response = submit_form(client, f"/events/{event.slug}/register",
                           registration_form_data(first_name="Amina", last_name=last_name,
                                                  email="amina.diallo@assemblee.example.sn"))
    assert response.status_code == 303
    assert drain().sent == 1

    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["amina.diallo@assemblee.example.sn"]
    delivered = message_from_bytes(envelope.content)
    registration = db.session.scalar(sa.select(Registration))
    assert _display_names(delivered["To"]) == [(registration.full_name, "amina.diallo@assemblee.example.sn")]
    assert [a.addr_spec for a in smtp_server.messages[0]["To"].addresses] == ["amina.diallo@assemblee.example.sn"]
