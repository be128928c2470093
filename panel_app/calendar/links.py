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
#: Longest add-to-calendar URL we write, after encoding. Browsers take far longer ones, but
#: mail clients, link scanners (Outlook Safe Links, Proofpoint) and Microsoft's compose page
#: are known to cut or refuse URLs past about 2,000 characters.
MAX_URL = 2000
#: Longest title kept in a link (the full title is in the invite itself).
MAX_TITLE = 200
ELLIPSIS = "…"


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


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _fit(text: str, budget: int) -> str:
    """The longest start of `text` whose encoded form (with an ellipsis when cut) takes at most
    `budget` characters; the text's start is what matters (the join link comes first)."""
    if len(_quote_text(text)) <= budget:
        return text
    room = budget - len(_quoted(ELLIPSIS))
    used = 0
    for index, char in enumerate(text):
        used += len(_quoted(char))
        if used > room:
            return text[:index].rstrip() + ELLIPSIS if index else ""
    return text


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
    """Links that add the event to the common web calendars, plus the .ics download.

    `details` is cut from its end so that every link stays within MAX_URL characters once
    encoded: put what must survive (the join link) first. Nothing private belongs in it:
    these links hand their whole content to Google or Microsoft.
    """
    title = _cut(title, MAX_TITLE)
    google, outlook = _fields(title, starts_at, ends_at, "", location)
    # The longest of the two URLs without details sets the room left for them.
    longest = max(len(f"{GOOGLE_URL}?{_urlencode(google)}"), len(f"{OUTLOOK_COM_URL}?{_urlencode(outlook)}"),
                  len(f"{OFFICE_365_URL}?{_urlencode(outlook)}"))
    details = _fit(details, MAX_URL - longest)
    google, outlook = _fields(title, starts_at, ends_at, details, location)
    query = _urlencode(outlook)
    return CalendarLinks(
        ics=ics_url,
        google=f"{GOOGLE_URL}?{_urlencode(google)}",
        outlook_com=f"{OUTLOOK_COM_URL}?{query}",
        office_365=f"{OFFICE_365_URL}?{query}",
    )


def _fields(title: str, starts_at: datetime, ends_at: datetime, details: str, location: str | None):
    """The query fields of Google's and Outlook's links (location before the long text)."""
    google = {"action": "TEMPLATE", "text": title, "dates": f"{_compact(starts_at)}/{_compact(ends_at)}"}
    outlook = {"path": "/calendar/action/compose", "rru": "addevent", "subject": title,
               "startdt": _iso(starts_at), "enddt": _iso(ends_at)}
    if location:
        google["location"] = location
        outlook["location"] = location
    google["details"] = details
    outlook["body"] = details
    return google, outlook
