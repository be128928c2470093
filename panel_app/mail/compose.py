"""Building email messages: plain messages and iMIP invitations (RFC 6047).

Addresses go through `addresses.mailbox` (one valid mailbox, on one line, or ValueError)
and their headers are written by `addresses.address_header`, never folded by the email
package (see `addresses` for why). Other headers are set through the email package under
`email.policy.SMTP`.
"""

from __future__ import annotations

import random
import re
import sys
from datetime import UTC, datetime
from email import message_from_bytes

# The stdlib's own body encoders (what EmailMessage.set_content uses), so prepared
# messages choose the same transfer encoding byte for byte; tests compare both paths.
from email.contentmanager import _encode_base64, _encode_text
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import lru_cache

from panel_app.mail.addresses import address_header, mailbox, one_line

#: Messages built with the email package keep the address headers exactly as
#: `address_header` folded them (the generator would otherwise refold long lines).
#: Bodies are 7-bit (quoted-printable or base64 when not ASCII): a relay that does not
#: announce 8BITMIME must not get 8-bit data ("SMTP Service Extension for 8-bit MIME
#: Transport", RFC 6152 §3, https://www.rfc-editor.org/rfc/rfc6152), and messages are built
#: before any relay is known (and kept as outbox files).
POLICY = SMTP.clone(refold_source="none", cte_type="7bit")
#: Body encoding rules for parts (no header folding involved).
_PARTS = SMTP.clone(cte_type="7bit")


def _base(*, to, subject: str, from_=None, sender=None, reply_to=None, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    if from_ is not None:
        message.set_raw("From", address_header("From", [mailbox(from_)]))
    if sender is not None:
        sender_box = mailbox(sender)
        if from_ is None or sender_box.addr_spec.lower() != mailbox(from_).addr_spec.lower():
            message.set_raw("Sender", address_header("Sender", [sender_box]))
    recipients = to if isinstance(to, list) else [to]
    message.set_raw("To", address_header("To", [mailbox(r) for r in recipients]))
    if reply_to:
        message.set_raw("Reply-To", address_header("Reply-To", [mailbox(reply_to)]))
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    if message_id:
        message["Message-ID"] = message_id
    # Tell auto-responders and mailing lists this is machine-sent (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    return message


def simple_message(*, to, subject: str, text: str, from_, html: str | None = None, reply_to=None,
                   sender=None, message_id: str | None = None) -> EmailMessage:
    """A plain (optionally also HTML) message, e.g. an organiser's note to a group.

    `to` is one address or a list ("Name <a@b>", (name, address) or Address).
    """
    message = _base(to=to, subject=subject, from_=from_, sender=sender, reply_to=reply_to, message_id=message_id)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def invitation_message(*, to, subject: str, text: str, html: str, ics: bytes | None, method: str | None,
                       from_, sender=None, reply_to=None, message_id: str | None = None,
                       language: str | None = None) -> EmailMessage | PreparedMessage:
    """An iMIP message: multipart/mixed [ multipart/alternative [ text/plain, text/html,
    text/calendar; method=...; charset=UTF-8 ], invite.ics attachment ].

    This is the structure Google Calendar sends and Outlook, Apple Mail and Thunderbird
    show with Accept/Decline buttons. Without `ics` it is a plain multipart/alternative
    message (text + HTML).

    When every address is ASCII (the usual case) the result is a `PreparedMessage`, the
    same bytes `EmailMessage` would write (same headers, encodings and structure), built
    without the email package's per-message generator pass, which costs several
    milliseconds; otherwise (internationalised addresses need SMTPUTF8) an EmailMessage.
    Addresses are validated the same way on both paths (ValueError).
    """
    if method not in (None, "REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    recipients = to if isinstance(to, list) else [to]
    to_boxes = [mailbox(r) for r in recipients]
    from_box = mailbox(from_)
    sender_box = mailbox(sender) if sender is not None else None
    reply_box = mailbox(reply_to) if reply_to else None
    boxes = to_boxes + [from_box] + [b for b in (sender_box, reply_box) if b is not None]
    if not all(b.addr_spec.isascii() for b in boxes) or (message_id and not message_id.isascii()):
        return _invitation_email(to=to, subject=subject, text=text, html=html, ics=ics, method=method,
                                 from_=from_, sender=sender, reply_to=reply_to, message_id=message_id,
                                 language=language)
    head = [_address_header("From", from_box)]
    if sender_box is not None and sender_box.addr_spec.lower() != from_box.addr_spec.lower():
        head.append(_address_header("Sender", sender_box))
    head.append(_address_header("To", *to_boxes))
    if reply_box is not None:
        head.append(_address_header("Reply-To", reply_box))
    head.append(_cached_header("Subject", one_line(subject)))
    head.append(_cached_header("Date", format_datetime(datetime.now(UTC))))
    if message_id:
        head.append(_message_id_header(message_id))
    head.append(b"Auto-Submitted: auto-generated\r\n")
    text_part = _text_part("plain", text)
    html_part = _text_part("html", html)
    if ics is None:
        body, boundary = _multipart([text_part, html_part])
        head.append(b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"" + boundary + b"\"\r\n")
    else:
        cte, payload = _encode_text(ics.decode("utf-8"), "utf-8", None, _PARTS)
        calendar_part = (b"Content-Transfer-Encoding: " + cte.encode() + b"\r\nContent-Type: text/calendar; "
                         b"charset=\"utf-8\"; method=\"" + method.encode() + b"\"\r\n\r\n" + _wire(payload))
        inner, inner_boundary = _multipart([text_part, html_part, calendar_part])
        alternative = b"Content-Type: multipart/alternative;\r\n boundary=\"" + inner_boundary + b"\"\r\n\r\n" + inner
        attachment = (b"Content-Transfer-Encoding: base64\r\n"
                      b"Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
                      b"Content-Type: application/ics; name=\"invite.ics\"\r\n\r\n"
                      + _wire(_encode_base64(ics, SMTP.max_line_length)))
        body, boundary = _multipart([alternative, attachment])
        head.append(b"Content-Type: multipart/mixed; boundary=\"" + boundary + b"\"\r\nMIME-Version: 1.0\r\n")
    if language:
        head.append(_cached_header("Content-Language", language))
    head.append(b"\r\n")
    head.append(body)
    return PreparedMessage(b"".join(head), [b.addr_spec for b in to_boxes])


class PreparedMessage:
    """A message already in its wire form (CRLF line ends, RFC 2047 headers, 7/8-bit safe).

    Senders send `data` as is; reading headers (`message["To"]`, `get_all`, `walk`) parses
    it once on demand, for the rare caller that inspects it.
    """

    def __init__(self, data: bytes, recipients: list[str]):
        self.data = data
        self.recipients = recipients
        self._parsed: EmailMessage | None = None

    def __bytes__(self) -> bytes:
        return self.data

    def as_bytes(self, policy=None) -> bytes:
        """The wire bytes (every address is ASCII, so SMTP and SMTPUTF8 policies agree)."""
        return self.data

    def email(self) -> EmailMessage:
        """The message parsed back into an EmailMessage."""
        if self._parsed is None:
            self._parsed = message_from_bytes(self.data, _class=EmailMessage, policy=SMTP)
        return self._parsed

    def __getitem__(self, name):
        return self.email()[name]

    def get_all(self, name, failobj=None):
        return self.email().get_all(name, failobj)

    def walk(self):
        return self.email().walk()


def _header(name: str, value) -> bytes:
    """One header line as EmailMessage writes it under policy SMTP (parsed, folded, encoded)."""
    return SMTP.fold_binary(*SMTP.header_store_parse(name, value))


@lru_cache(maxsize=1024)
def _cached_header(name: str, value: str) -> bytes:
    # Subjects, senders and dates repeat across a burst of invites: fold each once.
    return _header(name, value)


def _address_header(name: str, *boxes: Address) -> bytes:
    if len(boxes) == 1 and name != "To":
        box = boxes[0]
        return _cached_address_header(name, box.display_name, box.username, box.domain)
    return f"{name}: {address_header(name, list(boxes))}\r\n".encode()


@lru_cache(maxsize=256)
def _cached_address_header(name: str, display_name: str, username: str, domain: str) -> bytes:
    # Senders repeat across a burst of invites: write each once.
    box = Address(display_name=display_name, username=username, domain=domain)
    return f"{name}: {address_header(name, [box])}\r\n".encode()


_PLAIN_MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+>")


def _message_id_header(message_id: str) -> bytes:
    line = f"Message-ID: {message_id}"
    if len(line) <= SMTP.max_line_length and _PLAIN_MESSAGE_ID.fullmatch(message_id):
        return line.encode("ascii") + b"\r\n"
    return _header("Message-ID", message_id)


def _wire(payload: str) -> bytes:
    """A part's encoded payload with CRLF line ends (what the generator writes)."""
    data = payload.encode("ascii", "surrogateescape")
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def _text_part(subtype: str, text: str) -> bytes:
    cte, payload = _encode_text(text, "utf-8", None, _PARTS)
    return (b"Content-Type: text/" + subtype.encode() + b"; charset=\"utf-8\"\r\nContent-Transfer-Encoding: "
            + cte.encode() + b"\r\n\r\n" + _wire(payload))


_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def _multipart(parts: list[bytes]) -> tuple[bytes, bytes]:
    """(body, boundary) of a multipart whose parts are already serialised.

    The boundary is drawn like the email package's and redrawn while any part contains it
    at the start of a line, so no part can end the multipart early.
    """
    while True:
        boundary = b"===============%0*d==" % (_BOUNDARY_DIGITS, random.randrange(sys.maxsize))
        if not any(b"--" + boundary in part for part in parts):
            break
    separator = b"\r\n--" + boundary + b"\r\n"
    return (b"--" + boundary + b"\r\n" + separator.join(parts) + b"\r\n--" + boundary + b"--\r\n", boundary)


def _invitation_email(*, to, subject: str, text: str, html: str, ics: bytes | None, method: str | None,
                      from_, sender=None, reply_to=None, message_id: str | None = None,
                      language: str | None = None) -> EmailMessage:
    """`invitation_message` built with the email package (internationalised addresses)."""
    message = _base(to=to, subject=subject, from_=from_, sender=sender, reply_to=reply_to, message_id=message_id)
    if ics is None:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if language:
            message["Content-Language"] = language
        return message

    ics_text = ics.decode("utf-8")
    alternative = EmailMessage(policy=_PARTS)
    alternative.set_content(text)
    alternative.add_alternative(html, subtype="html")
    alternative.add_alternative(ics_text, subtype="calendar", charset="utf-8", params={"method": method})
    message.make_mixed()
    message.attach(alternative)
    attachment = EmailMessage(policy=_PARTS)
    attachment.set_content(ics, maintype="application", subtype="ics", disposition="attachment",
                           filename="invite.ics", params={"name": "invite.ics"})
    message.attach(attachment)
    if "MIME-Version" not in message:
        message["MIME-Version"] = "1.0"
    if language:  # after make_mixed, which would move Content-* headers into a part
        message["Content-Language"] = language
    for part in message.walk():  # only the top level carries MIME-Version
        if part is not message:
            del part["MIME-Version"]
    return message


def envelope_address(value: str) -> str:
    """The bare address of "Name <a@b>" (for SMTP MAIL FROM)."""
    return parseaddr(value)[1]
