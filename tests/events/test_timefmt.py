"""Event times in the event's own zone, labelled for that date (never a hard-coded CEST)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from panel_app.events.timefmt import (
    event_time,
    parse_local,
    utc_offset_label,
    zone_abbreviation,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_summer_event_in_geneva_is_cest():
    t = event_time(utc(2023, 9, 26, 13, 0), utc(2023, 9, 26, 14, 30), "Europe/Zurich", "en")
    assert (t.start, t.end, t.abbreviation, t.offset) == ("15:00", "16:30", "CEST", "UTC+02:00")
    assert t.date == "Tuesday, 26 September 2023"
    assert t.end_date is None
    assert (t.starts_at_utc, t.ends_at_utc) == ("2023-09-26T13:00:00Z", "2023-09-26T14:30:00Z")


def test_winter_event_in_geneva_is_cet():
    t = event_time(utc(2024, 1, 16, 14, 0), utc(2024, 1, 16, 15, 30), "Europe/Zurich", "en")
    assert (t.start, t.abbreviation, t.offset) == ("15:00", "CET", "UTC+01:00")
    assert t.starts_at_utc == "2024-01-16T14:00:00Z"


def test_label_follows_the_date_not_the_present():
    """The same zone gives different labels either side of the October change."""
    before = event_time(utc(2024, 10, 26, 13), utc(2024, 10, 26, 14), "Europe/Zurich")
    after = event_time(utc(2024, 10, 28, 14), utc(2024, 10, 28, 15), "Europe/Zurich")
    assert (before.abbreviation, before.start) == ("CEST", "15:00")
    assert (after.abbreviation, after.start) == ("CET", "15:00")


@pytest.mark.parametrize(
    "zone, expected",
    [
        ("Asia/Dubai", "UTC+04:00"),  # tz database writes "+04"
        ("America/Sao_Paulo", "UTC-03:00"),
        ("Asia/Kathmandu", "UTC+05:45"),
        ("America/St_Johns", "NST"),
        ("America/New_York", "EST"),
        ("UTC", "UTC"),
    ],
)
def test_zones_without_letter_abbreviations_show_the_offset(zone, expected):
    t = event_time(utc(2024, 1, 10, 13), utc(2024, 1, 10, 14), zone)
    assert t.abbreviation == expected


def test_utc_offset_label():
    from datetime import timedelta

    assert utc_offset_label(timedelta(0)) == "UTC"
    assert utc_offset_label(timedelta(hours=-3, minutes=-30)) == "UTC-03:30"
    assert utc_offset_label(timedelta(hours=5, minutes=45)) == "UTC+05:45"


def test_event_crossing_midnight_names_both_dates():
    t = event_time(utc(2024, 6, 12, 21, 30), utc(2024, 6, 12, 23, 0), "Europe/Zurich", "en")
    assert (t.start, t.end) == ("23:30", "01:00")
    assert t.date == "Wednesday, 12 June 2024"
    assert t.end_date == "Thursday, 13 June 2024"
    assert "Thursday, 13 June 2024, 01:00" in t.summary


def test_midnight_in_utc_but_not_locally_is_one_day():
    """23:00-00:30 UTC is 01:00-02:30 in Geneva: the same local day."""
    t = event_time(utc(2024, 6, 12, 23, 0), utc(2024, 6, 13, 0, 30), "Europe/Zurich")
    assert t.end_date is None
    assert t.date == "Thursday, 13 June 2024"


@pytest.mark.parametrize(
    "locale, start, date",
    [
        ("fr", "15\u00a0h\u00a000", "mardi 26 septembre 2023"),
        ("es", "15:00", "martes, 26 de septiembre de 2023"),
        ("en", "15:00", "Tuesday, 26 September 2023"),
    ],
)
def test_times_are_written_in_the_readers_language(locale, start, date):
    t = event_time(utc(2023, 9, 26, 13), utc(2023, 9, 26, 14, 30), "Europe/Zurich", locale)
    assert (t.start, t.date, t.abbreviation) == (start, date, "CEST")


def test_parse_local_converts_to_utc():
    assert parse_local("2023-09-26 15:00", "Europe/Zurich") == utc(2023, 9, 26, 13, 0)
    assert parse_local(" 2024-01-16 15:00 ", "Europe/Zurich") == utc(2024, 1, 16, 14, 0)
    assert parse_local("2024-01-16 15:00", "America/New_York") == utc(2024, 1, 16, 20, 0)
    assert parse_local("2024-03-31 03:00", "Europe/Zurich") == utc(2024, 3, 31, 1, 0)


def test_parse_local_rejects_a_time_skipped_by_spring_forward():
    with pytest.raises(ValueError, match="does not exist"):
        parse_local("2024-03-31 02:30", "Europe/Zurich")
    with pytest.raises(ValueError, match="does not exist"):
        parse_local("2024-03-10 02:15", "America/New_York")


def test_parse_local_rejects_an_ambiguous_time_at_fall_back():
    with pytest.raises(ValueError, match="happens twice"):
        parse_local("2024-10-27 02:30", "Europe/Zurich")
    with pytest.raises(ValueError, match="happens twice"):
        parse_local("2024-11-03 01:30", "America/New_York")


@pytest.mark.parametrize(
    "value", ["", "26/09/2023 15:00", "2023-09-26", "2023-02-30 10:00", "2023-09-26 25:00", "tomorrow"]
)
def test_parse_local_rejects_malformed_values(value):
    with pytest.raises(ValueError):
        parse_local(value, "Europe/Zurich")


def test_zone_abbreviation_of_aware_local_time():
    from zoneinfo import ZoneInfo

    assert zone_abbreviation(utc(2023, 7, 1, 12).astimezone(ZoneInfo("Europe/Zurich"))) == "CEST"
    assert zone_abbreviation(utc(2023, 7, 1, 12).astimezone(ZoneInfo("Asia/Dubai"))) == "UTC+04:00"


@pytest.mark.parametrize(
    "value, zone", [("0001-01-01 00:10", "Europe/Zurich"), ("9999-12-31 23:59", "America/New_York")]
)
def test_parse_local_refuses_dates_pushed_off_the_calendar_by_the_offset(value, zone):
    # A ValueError (a clear message in the CLI and the console form), not an OverflowError (a crash).
    with pytest.raises(ValueError, match="outside the range of dates"):
        parse_local(value, zone)


@pytest.mark.parametrize(("zone", "locale", "label"), [
    ("Europe/Zurich", "en", "Zurich time"), ("Europe/Zurich", "fr", "heure de Zurich"),
    ("Europe/Zurich", "es", "hora de Zúrich"), ("America/New_York", "es", "hora de Nueva York"),
    ("Asia/Kolkata", "fr", "heure de Calcutta"), ("UTC", "en", "UTC"), ("Etc/GMT+3", "fr", "Etc/GMT+3"),
])
def test_zones_are_named_by_their_city_in_the_readers_language(zone, locale, label):
    from panel_app.events.timefmt import zone_label

    assert zone_label(zone, locale) == label


def test_an_event_across_a_daylight_saving_change_labels_its_end_with_the_ends_offset():
    # Geneva springs forward on 29 March 2026 at 02:00 CET: 01:00 CET to 04:00 CEST.
    t = event_time(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0), "Europe/Zurich", "en")
    assert (t.abbreviation, t.offset, t.end_abbreviation, t.end_offset) == ("CET", "UTC+01:00", "CEST", "UTC+02:00")
    assert t.crosses_offset_change
    assert t.summary == "Sunday, 29 March 2026, 01:00 CET (UTC+01:00) – 04:00 CEST (UTC+02:00)"
    assert (t.offset_minutes, t.end_offset_minutes) == (60, 120)


def test_an_event_within_one_offset_keeps_the_single_label():
    t = event_time(utc(2023, 9, 26, 13, 0), utc(2023, 9, 26, 14, 30), "Europe/Zurich", "en")
    assert not t.crosses_offset_change
    assert t.summary == "Tuesday, 26 September 2023, 15:00 – 16:30 CEST (UTC+02:00)"
