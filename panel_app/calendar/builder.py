"""The one calendar builder: personal invites (REQUEST / CANCEL) and the public event.ics.

Rules it follows (RFC 5545, iTIP RFC 5546, iMIP RFC 6047):
- UID never changes for a registration (`registration_uid`), so updates and cancellations
  replace the entry in the registrant's calendar instead of adding another.
- SEQUENCE is chosen by the caller (see `mail.services.invite_sequence`); DTSTAMP is the
  send time in UTC, so a resend with the same SEQUENCE is still recognised as the newer copy.
- DTSTART/DTEND carry `TZID=<event zone>` with an RRULE-style VTIMEZONE from
  `calendar.vtimezone` (never icalendar's RDATE lists, which ical.js and Outlook misread).
- Text values are escaped and folded at 75 octets by icalendar; names are flattened to
  one line first (a newline has no business in a CN parameter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText
from icalendar.parser import param_value

PRODID = "-//Panel registrations//Invites 1.0//EN"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(value: str | None) -> str:
    """`value` with control characters and line breaks collapsed to single spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def uid_domain(base_url: str) -> str:
    """The host part used in UIDs (the app's public host name)."""
    return urlsplit(base_url).hostname or "panel.invalid"


def registration_uid(registration, domain: str) -> str:
    """The UID of a registration's calendar entry; stable for the registration's lifetime.

    Its local part is a random key stored on the row, not the row number, so a restored
    database or another deployment on the same host never reuses a UID that is already in
    someone's calendar (RFC 5545 §3.8.4.7: UIDs must be globally unique).
    """
    key = registration.calendar_uid or f"registration-{registration.id}.event-{registration.event_id}"
    return f"{key}@{domain}"


def event_uid(event, domain: str) -> str:
    """The UID of the public event.ics (random key stored on the event, see `registration_uid`)."""
    return f"{event.calendar_uid or f'event-{event.id}'}@{domain}"


@dataclass(frozen=True)
class InviteText:
    """Translated, already-formatted text pieces for one personal invite."""

    summary: str
    description: str


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method:
        cal.add("METHOD", method)
    return cal


def _ambiguous(local: datetime) -> bool:
    """True for a wall time that happens twice (the hour repeated when clocks go back)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def _zoned(instant: datetime, zone) -> datetime:
    # RFC 5545 says a repeated local time means its first occurrence, but ical.js takes the
    # second; such an instant is written in UTC, which every parser reads the same way.
    local = instant.astimezone(zone)
    return instant.astimezone(timezone.utc) if _ambiguous(local) else local


def _add_times(vevent: Event, event) -> None:
    zone = event.zone
    vevent.add("DTSTART", _zoned(event.starts_at, zone))
    vevent.add("DTEND", _zoned(event.ends_at, zone))


def _finish(cal: Calendar, vevent: Event, event) -> bytes:
    from panel_app.calendar.vtimezone import vtimezone

    cal.add_component(vtimezone(event.timezone, event.starts_at, event.ends_at))
    cal.add_component(vevent)
    return cal.to_ical()


def personal_invite(
    registration,
    *,
    method: str,
    sequence: int,
    dtstamp: datetime,
    text: InviteText,
    join_url: str | None,
    organiser: tuple[str, str],
    domain: str,
) -> bytes:
    """The registrant's invite as .ics bytes: METHOD:REQUEST, or METHOD:CANCEL.

    `join_url` goes into LOCATION and URL (REQUEST only; a cancellation carries no link).

    Invites go out in bursts (one per registrant, same event), so the parts every
    registrant shares (calendar header, VTIMEZONE, SUMMARY, DTSTART/DTEND, ORGANIZER,
    STATUS) are serialised once by icalendar and cached, keyed by every value they are
    made of; only the personal lines are written here, with icalendar's own escaping,
    parameter quoting and folding rules (tests compare the output byte for byte with a
    pure icalendar build).
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    event = registration.event
    cancelled = method == "CANCEL"
    head, tail = _shared_parts(method, event.timezone, event.starts_at, event.ends_at, one_line(text.summary),
                               organiser[0] or "", organiser[1], cancelled)
    stamp = dtstamp.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = one_line(registration.full_name)
    attendee = (f"ATTENDEE;CN={param_value(name, always_quote=any(c in name for c in _CN_QUOTE))}"
                f";CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE"
                f":mailto:{registration.email}")
    lines = [
        head,
        f"DTSTAMP:{stamp}\r\n",
        _fold("UID:" + _escape(registration_uid(registration, domain))),
        f"SEQUENCE:{int(sequence)}\r\n",
        _fold(attendee),
        _fold("DESCRIPTION:" + _escape(text.description)),
    ]
    linked = bool(join_url) and not cancelled
    if linked:
        lines.append(_fold("LOCATION:" + _escape(join_url)))
    lines.append(tail)
    if linked:
        lines.append(_fold("URL:" + join_url))
    lines.append("END:VEVENT\r\nEND:VCALENDAR\r\n")
    return "".join(lines).encode("utf-8")


#: CN values containing these are always quoted (icalendar's Parameters.quote_also).
_CN_QUOTE = " '"
_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n", "\r": "\\n"})


def _escape(value: str) -> str:
    """RFC 5545 TEXT escaping, exactly as icalendar's vText does it."""
    return value.replace("\\N", "\n").replace("\r\n", "\n").translate(_ESCAPES)


def _fold(line: str) -> str:
    """One content line folded at 75 octets (icalendar's rule), with its CRLF."""
    if len(line) < 75 and line.isascii():
        return line + "\r\n"
    if not line.isascii():
        return _fold_octets(line) + "\r\n"
    # ASCII fast path of icalendar's foldline: 74-character pieces, and a piece never
    # ends with the first character of an escape (backslash or caret).
    pieces = []
    start, size = 0, len(line)
    while size - start > 74:
        end = start + 74
        if line[end - 1] in "\\^":
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces) + "\r\n"



def _fold_octets(line: str) -> str:
    """icalendar's folding for non-ASCII lines: pieces of at most 74 UTF-8 octets, a
    character never split, and an escape's first character carried to the next piece."""
    data = line.encode("utf-8")
    pieces = []
    start, size = 0, len(data)
    while size - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        if data[end - 1] in b"\\^" and end - start > 1:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")


@lru_cache(maxsize=256)
def _shared_parts(method: str, zone_name: str, starts_at: datetime, ends_at: datetime, summary: str,
                  organiser_name: str, organiser_address: str, cancelled: bool) -> tuple[str, str]:
    """(everything up to DTEND, ORGANIZER..TRANSP) of a personal invite, built by icalendar.

    The cache key is every input of these lines, so a changed time, zone, title, organiser
    or status is a different entry, never a stale one.
    """
    from zoneinfo import ZoneInfo

    class _Event:  # what _add_times needs
        pass

    shell = _Event()
    shell.zone, shell.timezone, shell.starts_at, shell.ends_at = ZoneInfo(zone_name), zone_name, starts_at, ends_at
    cal = _calendar(method)
    vevent = Event()
    _add_times(vevent, shell)
    vevent.add("SUMMARY", summary)
    organizer = vCalAddress(f"mailto:{organiser_address}")
    if organiser_name:
        organizer.params["CN"] = vText(organiser_name)
    vevent.add("ORGANIZER", organizer)
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    # icalendar sorts SUMMARY, DTSTART, DTEND first, then the rest by name: split after DTEND.
    text = _finish(cal, vevent, shell).decode("utf-8")
    head, _, rest = text.partition("BEGIN:VEVENT\r\n")
    vevent_lines = rest.partition("END:VEVENT\r\n")[0]
    dtend_end = vevent_lines.index("\r\n", vevent_lines.index("DTEND")) + 2
    # Continuation lines of DTEND (never folded in practice, TZIDs are short) stay with it.
    while vevent_lines.startswith(" ", dtend_end):
        dtend_end = vevent_lines.index("\r\n", dtend_end) + 2
    return head + "BEGIN:VEVENT\r\n" + vevent_lines[:dtend_end], vevent_lines[dtend_end:]


def public_event(event, *, dtstamp: datetime, summary: str, description: str, page_url: str, domain: str,
                 organiser: tuple[str, str] | None = None) -> bytes:
    """The event as .ics without personal data (no attendee, no join link): METHOD:PUBLISH.

    `organiser` (display name, address) becomes ORGANIZER, so calendars show who runs the
    panel and where to write; RFC 5546 §3.2.1 lists ORGANIZER as required in a PUBLISH.
    """
    cal = _calendar("PUBLISH")
    vevent = Event()
    if organiser and organiser[1]:
        organizer = vCalAddress(f"mailto:{organiser[1]}")
        if organiser[0]:
            organizer.params["CN"] = vText(one_line(organiser[0]))
        vevent.add("ORGANIZER", organizer)
    vevent.add("UID", event_uid(event, domain))
    vevent.add("SEQUENCE", int(event.calendar_sequence or 0))
    vevent.add("DTSTAMP", dtstamp.astimezone(timezone.utc).replace(microsecond=0))
    _add_times(vevent, event)
    vevent.add("SUMMARY", one_line(summary))
    vevent.add("DESCRIPTION", description)
    vevent.add("URL", page_url)
    vevent.add("STATUS", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    vevent.add("TRANSP", "OPAQUE")
    return _finish(cal, vevent, event)
