"""The fast personal-invite writer matches a plain icalendar build byte for byte, and its
cache of shared parts never serves a stale time, sequence, link or name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event, vCalAddress, vText

from panel_app.calendar import builder
from panel_app.calendar.vtimezone import vtimezone
from tests.calendar.test_timezones import CASES, _fake_registration, _local


def _reference_invite(registration, *, method, sequence, dtstamp, text, join_url, organiser, domain) -> bytes:
    """The invite built entirely by icalendar (how the builder worked before it cached)."""
    event = registration.event
    cancelled = method == "CANCEL"
    cal = Calendar()
    cal.add("PRODID", builder.PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    vevent = Event()
    vevent.add("UID", builder.registration_uid(registration, domain))
    vevent.add("SEQUENCE", int(sequence))
    vevent.add("DTSTAMP", dtstamp.astimezone(timezone.utc).replace(microsecond=0))
    vevent.add("DTSTART", builder._zoned(event.starts_at, ZoneInfo(event.timezone)))
    vevent.add("DTEND", builder._zoned(event.ends_at, ZoneInfo(event.timezone)))
    vevent.add("SUMMARY", builder.one_line(text.summary))
    vevent.add("DESCRIPTION", text.description)
    if join_url and not cancelled:
        vevent.add("LOCATION", join_url)
        vevent.add("URL", join_url)
    organizer = vCalAddress(f"mailto:{organiser[1]}")
    if organiser[0]:
        organizer.params["CN"] = vText(organiser[0])
    vevent.add("ORGANIZER", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["CN"] = vText(builder.one_line(registration.full_name))
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    vevent.add("ATTENDEE", attendee)
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    cal.add_component(vtimezone(event.timezone, event.starts_at, event.ends_at))
    cal.add_component(vevent)
    return cal.to_ical()


NAMES = ["Amina Diallo", "Amina Diallo, Jr.", 'O\'Brien "Pat"; ^caret^', "محمد بن عبد الله 🎉",
         "A" * 120, "Ana\nMaría\tLópez", "x" * 40 + "\\" + "y" * 60]
TEXTS = [
    ("Panel", "Join"),
    ("Solidarité; \"MPs\", 🎉", "Line one, with; punctuation\nالسطر الثاني 🎉\n" * 4),
    ("P" * 200, ("a" * 73 + "\\" + "b" * 73 + "^" + "c" * 200 + ";,") * 3),
    ("Back\\slash \\N and\r\nCRLF", "\\N" + "x" * 72 + ",y\r\nz\rw"),
]
LINKS = [None, "https://zoom.example/j/1", "https://zoom.us/w/123?tk=a,b;c&pwd=" + "q" * 90]


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_fast_invite_matches_a_pure_icalendar_build_byte_for_byte(method):
    stamp = datetime(2026, 1, 1, 12, 30, 5, 123456, tzinfo=timezone.utc)
    for index, (zone, local_text) in enumerate(CASES):
        start = _local(zone, local_text).astimezone(timezone.utc)
        registration = _fake_registration(zone, start, name=NAMES[index % len(NAMES)],
                                          email=f"person{index}@parl.example")
        summary, description = TEXTS[index % len(TEXTS)]
        kwargs = dict(
            method=method,
            sequence=index % 3,
            dtstamp=stamp,
            text=builder.InviteText(summary=summary, description=description),
            join_url=LINKS[index % len(LINKS)],
            organiser=(["Inter-Parliamentary Union", "", 'O\'Neil, "IPU"'][index % 3], "events@ipu.example.org"),
            domain="panel.test",
        )
        assert builder.personal_invite(registration, **kwargs) == _reference_invite(registration, **kwargs), (
            zone,
            local_text,
        )


def test_cached_parts_follow_every_change_of_time_sequence_link_and_name():
    start = _local("Europe/Zurich", "2026-09-29 15:00").astimezone(timezone.utc)
    registration = _fake_registration("Europe/Zurich", start)
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def build(**changes):
        kwargs = dict(
            method="REQUEST",
            sequence=0,
            dtstamp=stamp,
            text=builder.InviteText("Panel", "Join"),
            join_url="https://zoom.example/j/1",
            organiser=("IPU", "events@ipu.example.org"),
            domain="panel.test",
        )
        kwargs.update(changes)
        return Calendar.from_ical(builder.personal_invite(registration, **kwargs)).walk("VEVENT")[0]

    first = build()
    registration.event.starts_at = start + timedelta(hours=2)  # same object, moved
    registration.event.ends_at = start + timedelta(hours=3, minutes=30)
    moved = build(sequence=1, join_url="https://zoom.example/w/9?tk=personal", text=builder.InviteText("New", "Desc"))
    registration.event.timezone, registration.event.zone = "America/New_York", ZoneInfo("America/New_York")
    rezoned = build(organiser=("Other organiser", "other@ipu.example.org"))
    cancelled = build(method="CANCEL")

    assert first.decoded("DTSTART") == start and first["SEQUENCE"] == 0
    assert moved.decoded("DTSTART") == start + timedelta(hours=2)
    assert moved["SEQUENCE"] == 1 and str(moved["LOCATION"]) == "https://zoom.example/w/9?tk=personal"
    assert str(moved["SUMMARY"]) == "New" and str(moved["DESCRIPTION"]) == "Desc"
    assert rezoned["DTSTART"].params["TZID"] == "America/New_York"
    assert rezoned.decoded("DTSTART") == start + timedelta(hours=2)
    assert str(rezoned["ORGANIZER"]) == "mailto:other@ipu.example.org"
    assert str(cancelled["STATUS"]) == "CANCELLED" and "LOCATION" not in cancelled


def test_calendar_links_encode_exactly_like_urlencode():
    from urllib.parse import urlencode

    from panel_app.calendar import links

    start = datetime(2026, 9, 29, 13, 0, tzinfo=timezone.utc)
    for details in [
        "Panel\n\nMardi 29 septembre 2026, 15\u00a0h\u00a000 – 16\u00a0h\u00a030 CEST\n\nJoin: https://z.example/j/1?a=b&c=d",
        "",
        "\n",
        "a+b c%d\r\n🎉 é\\n",
    ]:
        for location in (None, "https://zoom.us/w/1?tk=a b&pwd=+"):
            made = links.calendar_links(
                title="Solidarité & co",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                details=details,
                location=location,
                ics_url="https://p.example/r/t/invite.ics",
            )
            google = {"action": "TEMPLATE", "text": "Solidarité & co", "dates": "20260929T130000Z/20260929T140000Z"}
            outlook = {"path": "/calendar/action/compose", "rru": "addevent", "subject": "Solidarité & co",
                       "startdt": "2026-09-29T13:00:00Z", "enddt": "2026-09-29T14:00:00Z"}
            if location:
                google["location"] = outlook["location"] = location
            google["details"] = outlook["body"] = details
            assert made.google == f"{links.GOOGLE_URL}?{urlencode(google)}"
            assert made.outlook_com == f"{links.OUTLOOK_COM_URL}?{urlencode(outlook)}"
            assert made.office_365 == f"{links.OFFICE_365_URL}?{urlencode(outlook)}"

