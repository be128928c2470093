"""Building email messages: plain messages and iMIP invitations (RFC 6047).

Headers are set through `email.headerregistry` objects under `email.policy.SMTP`, never
by pasting strings: a display name such as "Amina\\r\\nBcc: x@evil" is flattened to one
line and encoded as a phrase, so it cannot add a header. Addresses that do not parse as a
single mailbox are refused with `ValueError`.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr
from datetime import datetime, timezone

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")


def one_line(value: str | None) -> str:
    """`value` with line breaks and control characters collapsed to single spaces."""
    return " ".join(_LINE_BREAKS.sub(" ", value or "").split())


def mailbox(value: str | Address | tuple[str, str]) -> Address:
    """An `Address` from "Name <a@b>", (name, address) or an Address; refuses anything else.

    Raises ValueError for empty, multiple or malformed addresses, and for addresses that
    carry control characters (header injection attempts).
    """
    if isinstance(value, Address):
        name, address = value.display_name, value.addr_spec
    elif isinstance(value, tuple):
        name, address = value
    else:
        if _LINE_BREAKS.search(value or ""):
            raise ValueError("address contains a line break or control character")
        parsed = getaddresses([value])
        if len(parsed) != 1:
            raise ValueError(f"expected one address, got {value!r}")
        name, address = parsed[0]
    address = (address or "").strip()
    if not address or _LINE_BREAKS.search(address) or " " in address or address.count("@") != 1:
        raise ValueError(f"not a valid email address: {address!r}")
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"not a valid email address: {address!r}")
    return Address(display_name=one_line(name), username=local, domain=domain)


def _base(*, to, subject: str, from_=None, sender=None, reply_to=None, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    if from_ is not None:
        message["From"] = mailbox(from_)
    if sender is not None:
        sender_box = mailbox(sender)
        if from_ is None or sender_box.addr_spec.lower() != mailbox(from_).addr_spec.lower():
            message["Sender"] = sender_box
    recipients = to if isinstance(to, list) else [to]
    message["To"] = [mailbox(r) for r in recipients]
    if reply_to:
        message["Reply-To"] = mailbox(reply_to)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    if message_id:
        message["Message-ID"] = message_id
    # Tell auto-responders and mailing lists this is machine-sent (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    return message


def simple_message(*, to, subject: str, text: str, html: str | None = None, reply_to=None,
                   from_=None, sender=None) -> EmailMessage:
    """A plain (optionally also HTML) message, e.g. an organiser's note to a group.

    `to` is one address or a list ("Name <a@b>", (name, address) or Address). From: defaults
    to the app's MAIL_DEFAULT_SENDER when called inside the app.
    """
    if from_ is None:
        from flask import current_app, has_app_context

        if has_app_context():
            from_ = current_app.config["MAIL_DEFAULT_SENDER"]
    message = _base(to=to, subject=subject, from_=from_, sender=sender, reply_to=reply_to)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def invitation_message(*, to, subject: str, text: str, html: str, ics: bytes | None, method: str | None,
                       from_, sender=None, reply_to=None, message_id: str | None = None,
                       language: str | None = None) -> EmailMessage:
    """An iMIP message: multipart/mixed [ multipart/alternative [ text/plain, text/html,
    text/calendar; method=...; charset=UTF-8 ], invite.ics attachment ].

    This is the structure Google Calendar sends and Outlook, Apple Mail and Thunderbird
    show with Accept/Decline buttons. Without `ics` it is a plain multipart/alternative
    message (text + HTML).
    """
    message = _base(to=to, subject=subject, from_=from_, sender=sender, reply_to=reply_to, message_id=message_id)
    if ics is None:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if language:
            message["Content-Language"] = language
        return message

    ics_text = ics.decode("utf-8")
    alternative = EmailMessage(policy=SMTP)
    alternative.set_content(text)
    alternative.add_alternative(html, subtype="html")
    alternative.add_alternative(ics_text, subtype="calendar", charset="utf-8", params={"method": method})
    message.make_mixed()
    message.attach(alternative)
    attachment = EmailMessage(policy=SMTP)
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
