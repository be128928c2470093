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
from email.utils import parseaddr
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Panel registrations//Invites 1.0//EN"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(value: str | None) -> str:
    """`value` with control characters and line breaks collapsed to single spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def uid_domain(base_url: str) -> str:
    """The host part used in UIDs (the app's public host name)."""
    return urlsplit(base_url).hostname or "panel.invalid"


def registration_uid(registration, domain: str) -> str:
    """The UID of a registration's calendar entry; stable for the registration's lifetime."""
    return f"registration-{registration.id}.event-{registration.event_id}@{domain}"


def event_uid(event, domain: str) -> str:
    return f"event-{event.id}@{domain}"


def organiser_mailbox(event, default_sender: str) -> tuple[str, str]:
    """(display name, address) of the event's organiser, falling back to the default sender."""
    if event.organiser_email:
        return one_line(event.organiser_name), event.organiser_email.strip()
    name, address = parseaddr(default_sender)
    return one_line(event.organiser_name or name), address


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
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    event = registration.event
    cancelled = method == "CANCEL"
    cal = _calendar(method)
    vevent = Event()
    vevent.add("UID", registration_uid(registration, domain))
    vevent.add("SEQUENCE", int(sequence))
    vevent.add("DTSTAMP", dtstamp.astimezone(timezone.utc).replace(microsecond=0))
    _add_times(vevent, event)
    vevent.add("SUMMARY", one_line(text.summary))
    vevent.add("DESCRIPTION", text.description)
    if join_url and not cancelled:
        vevent.add("LOCATION", join_url)
        vevent.add("URL", join_url)
    organiser_name, organiser_address = organiser
    organizer = vCalAddress(f"mailto:{organiser_address}")
    if organiser_name:
        organizer.params["CN"] = vText(organiser_name)
    vevent.add("ORGANIZER", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["CN"] = vText(one_line(registration.full_name))
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    vevent.add("ATTENDEE", attendee)
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    return _finish(cal, vevent, event)


def public_event(event, *, dtstamp: datetime, summary: str, description: str, page_url: str, domain: str) -> bytes:
    """The event as .ics without personal data (no attendee, no join link): METHOD:PUBLISH."""
    cal = _calendar("PUBLISH")
    vevent = Event()
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
