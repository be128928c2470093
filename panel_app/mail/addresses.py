"""Mailboxes and address headers (From, Sender, To, Reply-To), and the Message-ID.

`mailbox` accepts exactly one valid mailbox: a display name such as "Amina\\r\\nBcc: x@evil"
is flattened to one line, and anything that does not parse as a single mailbox is refused
with `ValueError`.

`address_header` writes and folds address headers itself. The email package's folder drops
the quotes of a long quoted display name ("Diallo, Amina (Committee on ...)") when it breaks
the line, so one recipient reads as two and clients show an address nobody wrote (CPython
gh-80222, https://github.com/python/cpython/issues/80222, fixed only in 3.12.9 / 3.13.2).
Here a line breaks only between whole tokens; a display name that needs quoting and does not
fit on a line is written as RFC 2047 encoded words ("MIME Part Three: Message Header
Extensions for Non-ASCII Text", https://www.rfc-editor.org/rfc/rfc2047), which fold safely.
"""

from __future__ import annotations

import base64
import re
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from panel_app.models import Notification

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


#: RFC 5322 §3.2.3 atext: words made of it need no quoting in a display name.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PHRASE = re.compile(rf"{_ATEXT}(?: {_ATEXT})*")
#: RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; RFC 2047 §2: an encoded word at most 75.
_LINE = 78
_WORD = 75
#: RFC 2047 §5 (3): characters an encoded word in a phrase may carry unencoded ("_" is a space).
_Q_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def address_header(name: str, boxes: list[Address]) -> str:
    """The value of the address header `name` (From, To...), folded with CRLF + space; ASCII
    except for internationalised addresses (which need SMTPUTF8 anyway).

    Every line break falls between whole tokens: plain words, a quoted display name kept on
    one line, RFC 2047 encoded words (for names that are not ASCII or too long to quote on a
    line) and `<address>`. Nothing can be split inside a quoted string, so unfolding and
    parsing the header always gives back exactly these mailboxes.
    """
    room = _LINE - len(name) - 2  # what the first line holds after "Name: "; later lines hold more
    tokens: list[str] = []
    for index, box in enumerate(boxes):
        words = _display_words(box.display_name, room)
        words.append(f"<{box.addr_spec}>" if words else box.addr_spec)
        if index < len(boxes) - 1:
            words[-1] += ","
        tokens += words
    lines = [tokens[0]]
    for token in tokens[1:]:
        limit = room if len(lines) == 1 else _LINE - 1
        if len(lines[-1]) + 1 + len(token) > limit:
            lines.append(token)
        else:
            lines[-1] += " " + token
    return "\r\n ".join(lines)


def _display_words(display_name: str, room: int) -> list[str]:
    if not display_name:
        return []
    words = display_name.split(" ")
    if _PLAIN_PHRASE.fullmatch(display_name) and "=?" not in display_name and max(map(len, words)) < room:
        return words  # ("=?" would read as an encoded word: quoted below)
    if display_name.isascii() and display_name.isprintable():
        quoted = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) <= room:
            return [quoted]
    return _encoded_words(display_name, min(room, _WORD))


def _encoded_words(text: str, size: int) -> list[str]:
    """`text` as RFC 2047 encoded words of at most `size` characters, whole characters each
    (RFC 2047 §5); Q encoding when it is not longer than base64."""
    q_parts = ["_" if c == " " else c if c in _Q_SAFE else "".join(f"={b:02X}" for b in c.encode("utf-8"))
               for c in text]
    use_q = sum(map(len, q_parts)) <= _b64_length(text)
    room = size - len("=?utf-8?q??=")
    words: list[str] = []
    chunk: list[str] = []
    for char, q in zip(text, q_parts, strict=True):
        candidate = chunk + [q if use_q else char]
        length = sum(map(len, candidate)) if use_q else _b64_length("".join(candidate))
        if chunk and length > room:
            words.append(_word(chunk, use_q))
            candidate = [q if use_q else char]
        chunk = candidate
    words.append(_word(chunk, use_q))
    return words


def _b64_length(text: str) -> int:
    return 4 * -(-len(text.encode("utf-8")) // 3)


def _word(chunk: list[str], use_q: bool) -> str:
    if use_q:
        return f"=?utf-8?q?{''.join(chunk)}?="
    return f"=?utf-8?b?{base64.b64encode(''.join(chunk).encode('utf-8')).decode('ascii')}?="


def message_id(notification: Notification, domain: str) -> str:
    """The same Message-ID on every attempt, so a duplicate after a crash is recognisable.

    Its local part is the row's random key, never the row number alone, so a restored
    database or another deployment never reuses an identifier a mail client has already
    seen (RFC 5322 §3.6.4: a Message-ID must be unique to one message).
    """
    recipient = (f"registration-{notification.registration_id}" if notification.registration_id is not None
                 else f"contact-{notification.contact_id}")
    key = notification.message_key or f"notification-{notification.id}.{recipient}"
    return f"<{key}@{domain}>"


def sender_headers(event, config, organiser: tuple[str, str]) -> dict:
    """From/Sender/Reply-To for mail about `event`; `organiser` is (name, address) in the
    reader's language.

    By default From: is the mail system's own address (MAIL_DEFAULT_SENDER) under the
    organiser's name, and Reply-To: the organiser: receiving servers check From:'s domain
    against SPF/DKIM (DMARC, RFC 7489 §3.1, https://www.rfc-editor.org/rfc/rfc7489), so an
    organiser address whose domain publishes "p=reject" would otherwise lose invites.
    MAIL_FROM_ORGANISER=true puts the organiser in From: and the system in Sender: (for
    relays allowed to send for the organiser's domain).
    """
    default = config["MAIL_DEFAULT_SENDER"]
    default_name, default_address = parseaddr(default)
    name, address = organiser
    if event.organiser_email and config.get("MAIL_FROM_ORGANISER"):
        return {"from_": (name, address), "sender": default, "reply_to": None}
    reply_to = (name, address) if address and address.lower() != default_address.lower() else None
    return {"from_": (name or default_name, default_address), "sender": None, "reply_to": reply_to}
