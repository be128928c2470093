"""Invites land at the right instant: ical.js (Thunderbird, Nextcloud) and dateutil's
VTIMEZONE reader (what vobject uses) both read every generated invite to the UTC instant the
zone database gives, in summer, winter, next to DST switches and after 2038."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz
from icalendar import Calendar

from panel_app.calendar import builder
from panel_app.calendar.vtimezone import transitions, vtimezone

ROOT = Path(__file__).resolve().parents[2]
ICAL_SCRIPT = ROOT / "tests" / "js" / "ics_to_utc.mjs"

# (zone, local start) chosen for summer, winter, hours next to DST switches, and post-2038.
CASES = [
    ("Europe/Zurich", "2023-09-26 15:00"),  # the IPU panel, CEST
    ("Europe/Zurich", "2024-01-16 15:00"),  # CET
    ("Europe/Zurich", "2026-03-29 03:00"),  # first hour after spring-forward
    ("Europe/Zurich", "2026-03-28 15:00"),  # the day before it
    ("Europe/Zurich", "2026-10-25 03:30"),  # just after fall-back
    ("Europe/Zurich", "2045-09-26 15:00"),  # beyond 2038
    ("America/New_York", "2026-03-08 03:30"),
    ("America/New_York", "2026-11-01 09:00"),
    ("America/New_York", "2026-07-04 12:00"),
    ("America/New_York", "2041-12-01 10:00"),
    ("Australia/Sydney", "2026-04-05 03:00"),  # first hour after DST ends
    ("Australia/Sydney", "2026-10-04 03:00"),  # first hour after DST starts
    ("Australia/Sydney", "2026-06-15 18:00"),
    ("Australia/Sydney", "2050-01-10 09:00"),
    ("Asia/Kolkata", "2026-05-01 19:30"),
    ("Asia/Kolkata", "2040-01-01 08:00"),
    ("America/Sao_Paulo", "2026-12-01 10:00"),  # no DST any more
    ("America/Sao_Paulo", "2019-01-26 10:00"),  # the last summer with DST
    ("Pacific/Chatham", "2026-09-27 03:45"),  # 45-minute offsets, first hour of DST
    ("Pacific/Chatham", "2026-04-05 02:45"),  # happens twice (clocks go back): written in UTC
    ("Europe/Zurich", "2026-10-25 02:30"),  # happens twice: written in UTC
    ("Pacific/Chatham", "2044-07-01 12:00"),
]

AMBIGUOUS = {("Pacific/Chatham", "2026-04-05 02:45"), ("Europe/Zurich", "2026-10-25 02:30")}


def _local(zone: str, text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone))


def _fake_registration(zone: str, start_utc: datetime, name="Amina Diallo", email="amina@parl.example"):
    event = SimpleNamespace(
        id=7, starts_at=start_utc, ends_at=start_utc + timedelta(minutes=90), timezone=zone, zone=ZoneInfo(zone),
        organiser_email="events@ipu.example.org", organiser_name="Inter-Parliamentary Union",
        calendar_sequence=0, status="published", calendar_uid="e0c1a2b3c4d5e6f7a8b9c0d1",
    )
    return SimpleNamespace(id=42, event_id=7, event=event, email=email, full_name=name,
                           calendar_uid="9f8e7d6c5b4a39281706f5e4")


def _invite(registration, summary="Panel", description="Join", join_url="https://zoom.example/j/1") -> bytes:
    return builder.personal_invite(
        registration, method="REQUEST", sequence=0, dtstamp=datetime(2026, 1, 1, tzinfo=timezone.utc),
        text=builder.InviteText(summary=summary, description=description), join_url=join_url,
        organiser=("Inter-Parliamentary Union", "events@ipu.example.org"), domain="panel.test",
    )


def _ical_js(paths: list[Path]) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").exists():
        pytest.skip("node or node_modules/ical.js missing (run scripts/test.sh once)")
    out = subprocess.run(
        [node, str(ICAL_SCRIPT), *map(str, paths)], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)


def _dateutil_utc(ics: bytes) -> datetime:
    """Second, independent reader: dateutil's RFC 5545 VTIMEZONE parser (vobject's engine)."""
    text = ics.decode("utf-8")
    vtz = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE") + len("END:VTIMEZONE")]
    zones = dateutil_tz.tzical(io.StringIO(vtz.replace("\r\n", "\n")))
    match = re.search(r"^DTSTART;TZID=([^:]+):(\d{8}T\d{6})", text, re.M)
    if match is None:  # written in UTC
        match = re.search(r"^DTSTART:(\d{8}T\d{6})Z", text, re.M)
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    local = datetime.strptime(match.group(2), "%Y%m%dT%H%M%S").replace(tzinfo=zones.get(match.group(1)))
    return local.astimezone(timezone.utc)


def test_every_parser_reads_invites_at_the_zone_database_instant(tmp_path):
    expected, paths, files = [], [], {}
    for index, (zone, local_text) in enumerate(CASES):
        start = _local(zone, local_text).astimezone(timezone.utc)
        ics = _invite(_fake_registration(zone, start))
        path = tmp_path / f"case{index}.ics"
        path.write_bytes(ics)
        paths.append(path)
        files[str(path)] = ics
        expected.append((zone, local_text, start))

    results = _ical_js(paths)

    assert len(results) == len(CASES)
    for (zone, local_text, start), result, path in zip(expected, results, paths, strict=True):
        label = f"{zone} {local_text}"
        assert result["start_zone"] == (zone if result["tzid"] else "UTC"), label
        assert (result["tzid"] is None) == ((zone, local_text) in AMBIGUOUS), label
        assert result["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ"), label
        assert result["end_utc"] == (start + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%SZ"), label
        assert _dateutil_utc(files[str(path)]) == start, label


@pytest.mark.parametrize("zone", ["Europe/Zurich", "America/New_York", "Australia/Sydney", "Pacific/Chatham"])
def test_vtimezone_uses_one_yearly_rrule_per_observance_and_no_rdate_lists(zone):
    text = vtimezone(zone, datetime(2030, 6, 1, tzinfo=timezone.utc)).to_ical().decode()
    assert "RDATE" not in text
    assert text.count("BEGIN:STANDARD") == 1 and text.count("BEGIN:DAYLIGHT") == 1
    assert text.count("RRULE:FREQ=YEARLY") == 2 and "UNTIL" not in text


def test_last_sunday_rules_stay_last_sunday_even_when_the_window_only_shows_fourth_sundays():
    # 2044-2046: the last Sunday of March is also the 4th each year; in 2047 it is the 5th.
    text = vtimezone("Europe/Zurich", datetime(2045, 6, 1, tzinfo=timezone.utc)).to_ical().decode()
    assert "BYDAY=-1SU;BYMONTH=3" in text and "BYDAY=-1SU;BYMONTH=10" in text


def test_transitions_match_the_zone_database_to_the_second():
    found = transitions(
        "America/New_York", datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    assert [t.at_utc for t in found] == [
        datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc),
        datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc),
    ]
    assert [t.name for t in found] == ["EDT", "EST"]


def test_awkward_names_survive_escaped_and_folded_at_75_octets(tmp_path):
    name = "Amina; Diallo, \U0001f389 Jr.\nمحمد بن عبد الله"
    summary = 'Solidarité parlementaire; soutien, "MPs" 🎉\nالتضامن البرلماني ' * 2
    description = "Line one, with; punctuation\nالسطر الثاني 🎉\n" * 4
    start = _local("Europe/Zurich", "2026-09-29 15:00").astimezone(timezone.utc)
    ics = _invite(_fake_registration("Europe/Zurich", start, name=name), summary=summary, description=description)

    for line in ics.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    path = tmp_path / "names.ics"
    path.write_bytes(ics)
    [result] = _ical_js([path])
    flat_name = " ".join(name.split())
    assert result["attendee_cn"] == flat_name
    assert result["summary"] == builder.one_line(summary)
    assert result["description"] == description
    vevent = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert vevent["ATTENDEE"].params["CN"] == flat_name
    assert str(vevent["DESCRIPTION"]) == description
    assert "\n" not in ics.decode().split("BEGIN:VEVENT")[1].replace("\r\n", "")


TS_ICS_SCRIPT = ROOT / "tests" / "js" / "ics_ts_ics.mjs"


def _ts_ics(paths: list[Path]) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ts-ics").exists():
        pytest.skip("node or node_modules/ts-ics missing (run scripts/test.sh once)")
    out = subprocess.run(
        [node, str(TS_ICS_SCRIPT), *map(str, paths)], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)


def test_ts_ics_reads_every_invite_at_the_zone_database_instant_winter_events_included(tmp_path):
    """ts-ics skips the first date of each VTIMEZONE rule (its DTSTART): with rules starting
    the year before, it read a January or late-March event in Geneva as summer time."""
    paths, expected = [], []
    for index, (zone, local_text) in enumerate(CASES + [("Europe/Zurich", "2027-01-12 15:00"),
                                                        ("America/New_York", "2027-02-02 10:00")]):
        start = _local(zone, local_text).astimezone(timezone.utc)
        path = tmp_path / f"case{index}.ics"
        path.write_bytes(_invite(_fake_registration(zone, start)))
        paths.append(path)
        expected.append((f"{zone} {local_text}", start))

    results = _ts_ics(paths)

    assert len(results) == len(expected)
    for (label, start), result in zip(expected, results, strict=True):
        assert result["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ"), label
        assert result["end_utc"] == (start + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%SZ"), label


def test_vtimezone_rules_have_repeated_before_the_event():
    text = vtimezone("Europe/Zurich", datetime(2027, 1, 12, 14, tzinfo=timezone.utc)).to_ical().decode()
    starts = re.findall(r"^DTSTART:(\d{4})", text, re.M)
    assert starts and max(map(int, starts)) <= 2025  # every rule has a date in 2026, before the event


def test_a_rule_that_ended_has_its_until_after_its_last_change_not_on_it():
    # Sao Paulo dropped DST in 2019: its last summer ended on 17 February 2019 at 02:00 UTC.
    text = vtimezone("America/Sao_Paulo", datetime(2019, 1, 26, 12, tzinfo=timezone.utc)).to_ical().decode()
    untils = [datetime.strptime(u, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
              for u in re.findall(r"UNTIL=(\d{8}T\d{6}Z)", text)]
    assert untils
    last_changes = {t.at_utc for t in transitions("America/Sao_Paulo", datetime(2016, 1, 1, tzinfo=timezone.utc),
                                                  datetime(2021, 1, 1, tzinfo=timezone.utc))}
    for until in untils:
        assert until not in last_changes
        latest = max(t for t in last_changes if t < until)
        assert timedelta(0) < until - latest < timedelta(days=300)  # past the last change, before a next one


@pytest.mark.parametrize(("zone", "when"), [
    ("Europe/Zurich", datetime(2023, 9, 26, 13, tzinfo=timezone.utc)),
    ("America/New_York", datetime(2026, 11, 1, 14, tzinfo=timezone.utc)),
    ("Australia/Sydney", datetime(2026, 4, 5, 1, tzinfo=timezone.utc)),
    ("Pacific/Chatham", datetime(2026, 9, 26, 14, tzinfo=timezone.utc)),
    ("America/Sao_Paulo", datetime(2019, 1, 26, 12, tzinfo=timezone.utc)),
])
def test_every_onset_is_the_wall_clock_time_before_the_change_so_it_names_the_zone_database_instant(zone, when):
    # RFC 5545 3.6.5: DTSTART of a STANDARD or DAYLIGHT component is the onset in the local time
    # in force before it (TZOFFSETFROM); DTSTART - TZOFFSETFROM is the instant of the change.
    from dateutil.rrule import rrulestr

    calendar = Calendar.from_ical(vtimezone(zone, when).to_ical())
    instants = {t.at_utc for t in transitions(zone, datetime(when.year - 3, 1, 1, tzinfo=timezone.utc),
                                              datetime(when.year + 3, 1, 1, tzinfo=timezone.utc))}
    window_end = datetime(when.year + 2, 1, 1)
    checked = 0
    for component in calendar.walk():
        if component.name not in ("STANDARD", "DAYLIGHT"):
            continue
        onset = component.decoded("DTSTART")
        offset_from = component.decoded("TZOFFSETFROM")
        onsets = [onset]
        if "RRULE" in component:
            rule = component["RRULE"].to_ical().decode()
            rule = re.sub(r"UNTIL=(\d{8}T\d{6})Z", r"UNTIL=\1", rule)  # compared with the local DTSTART
            onsets = list(rrulestr(rule, dtstart=onset).between(onset, window_end, inc=True))
        if component.decoded("TZOFFSETTO") == offset_from:
            continue  # the anchor observance: no change happens at its onset
        for local in onsets:
            assert (local - offset_from).replace(tzinfo=timezone.utc) in instants, (zone, local)
            checked += 1
    assert checked >= 4


def test_geneva_clocks_change_at_two_in_spring_and_three_in_autumn_local_time():
    text = vtimezone("Europe/Zurich", datetime(2026, 3, 29, 1, tzinfo=timezone.utc)).to_ical().decode()
    daylight = text[text.index("BEGIN:DAYLIGHT"):text.index("END:DAYLIGHT")]
    standard = text[text.index("BEGIN:STANDARD"):text.index("END:STANDARD")]
    assert re.search(r"^DTSTART:\d{8}T020000\r?$", daylight, re.M), daylight  # 02:00 CET becomes 03:00 CEST
    assert re.search(r"^DTSTART:\d{8}T030000\r?$", standard, re.M), standard  # 03:00 CEST becomes 02:00 CET


@pytest.mark.parametrize(("day", "position"), [
    (datetime(2026, 3, 1), (1, False)), (datetime(2026, 3, 15), (3, False)),
    (datetime(2026, 5, 24), (4, False)),  # the 31st is a Sunday too: the 24th is not the last
    (datetime(2026, 5, 25), (4, True)),  # no Monday after it in May
    (datetime(2026, 5, 31), (None, True)),  # a fifth Sunday: only "last" describes it
    (datetime(2026, 3, 29), (None, True)), (datetime(2027, 3, 28), (4, True)),
])
def test_a_change_day_is_named_by_its_weekdays_rank_in_the_month_and_whether_it_is_the_last(day, position):
    from panel_app.calendar.vtimezone import _position

    assert _position(day) == position


def test_a_zone_at_utc_in_winter_writes_a_zero_offset_not_a_missing_one():
    text = vtimezone("Europe/London", datetime(2026, 1, 20, 14, tzinfo=timezone.utc)).to_ical().decode()
    standard = text[text.index("BEGIN:STANDARD"):text.index("END:STANDARD")]
    assert "TZOFFSETTO:+0000" in standard and "TZNAME:GMT" in standard
    assert "TZOFFSETFROM:+0100" in standard
