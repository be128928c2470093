"""Add-to-calendar links (Google Calendar, Outlook.com, Microsoft 365), times in UTC.

These services take the event in their URL; we give UTC instants (`...Z`) so the
reader's own calendar converts them, whatever zone their account uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote_plus

GOOGLE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_COM_URL = "https://outlook.live.com/calendar/0/action/compose"
OFFICE_365_URL = "https://outlook.office.com/calendar/0/action/compose"
#: Keep URLs well under the ~2,000 characters browsers and mail clients handle safely.
MAX_DETAILS = 1000


@dataclass(frozen=True)
class CalendarLinks:
    ics: str
    google: str
    outlook_com: str
    office_365: str


def _compact(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1] + "…"


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    return quote_plus(value)


def _quote_text(value: str) -> str:
    # Quoting is byte by byte, so quoting each line and joining with an encoded newline is
    # quote_plus(value); the lines every registrant shares (title, time, description) are
    # quoted once per process instead of once per invite.
    return "%0A".join(_quoted(line) for line in value.split("\n"))


def _urlencode(fields: dict) -> str:
    """`urllib.parse.urlencode(fields)` for str values (the same bytes, faster)."""
    return "&".join(f"{_quoted(key)}={_quote_text(value)}" for key, value in fields.items())


def calendar_links(
    *, title: str, starts_at: datetime, ends_at: datetime, details: str, location: str | None, ics_url: str
) -> CalendarLinks:
    """Links that add the event to the common web calendars, plus the .ics download."""
    details = _shorten(details)
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_compact(starts_at)}/{_compact(ends_at)}",
        "details": details,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": _iso(starts_at),
        "enddt": _iso(ends_at),
        "body": details,
    }
    if location:
        google["location"] = location
        outlook["location"] = location
    query = _urlencode(outlook)
    return CalendarLinks(
        ics=ics_url,
        google=f"{GOOGLE_URL}?{_urlencode(google)}",
        outlook_com=f"{OUTLOOK_COM_URL}?{query}",
        office_365=f"{OFFICE_365_URL}?{query}",
    )
