"""Showing an event's time correctly: in its own zone, labelled for that date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone, get_timezone_location
from babel.support import NullTranslations, Translations

_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:  # noqa: N802  (marks a message for extraction; translated in `_text`)
    return message


#: How a zone is named: by its IANA city, in the reader's language ("Zurich time", "heure de Zurich").
ZONE_LABEL = N_("%(city)s time")


@lru_cache(maxsize=8)
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(str(_TRANSLATIONS), [locale]) if locale != "en" else NullTranslations()


def _text(message: str, locale: str) -> str:
    """`message` in `locale`, from the app's catalogs (works outside a request, e.g. in mail jobs)."""
    return _catalog(locale.split("_")[0]).gettext(message)


def utc_offset_label(offset: timedelta) -> str:
    """'UTC+02:00', 'UTC-03:30', 'UTC' for a zero offset."""
    total = int(offset.total_seconds() // 60)
    if total == 0:
        return "UTC"
    sign = "+" if total > 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_abbreviation(local: datetime) -> str:
    """The zone's abbreviation for that instant (CEST in summer, CET in winter).

    Some zones have no letters in the database (e.g. '+04'); then the UTC offset is
    the clearest label.
    """
    name = local.tzname() or ""
    if name.isalpha():
        return name
    return utc_offset_label(local.utcoffset() or timedelta(0))


def zone_label(zone_name: str, locale: str = "en") -> str:
    """The zone named by its city in `locale`: 'Zurich time', 'heure de Zurich', 'hora de Zúrich'.

    The rule: the IANA zone's own city (the last part of its name), as CLDR writes it in that
    language (Babel's `get_timezone_location`). Zones without a city (UTC, Etc/GMT+3) are named
    by themselves.
    """
    if "/" not in zone_name or zone_name.startswith("Etc/"):
        return zone_name
    try:
        city = get_timezone_location(get_timezone(zone_name), babel_locale(locale), return_city=True)
    except LookupError:
        city = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    return _text(ZONE_LABEL, locale) % {"city": city}


@dataclass(frozen=True)
class EventTime:
    """Pieces of an event's schedule as shown to a reader in `locale`."""

    date: str
    start: str
    end: str
    end_date: str | None  # set when the event ends on another local day
    abbreviation: str
    offset: str
    timezone: str
    starts_at_utc: str  # ISO 8601, for <time datetime> and the local-time script
    ends_at_utc: str
    #: The end's own abbreviation and offset: they differ from the start's when the event
    #: spans a daylight-saving change (01:30 CET – 03:30 CEST).
    end_abbreviation: str = ""
    end_offset: str = ""
    #: 'Zurich time' (see `zone_label`).
    zone_label: str = ""
    #: UTC offsets in minutes at the start and the end (the local-time script compares them).
    offset_minutes: int = 0
    end_offset_minutes: int = 0

    @property
    def crosses_offset_change(self) -> bool:
        return bool(self.end_offset) and self.end_offset != self.offset

    @property
    def summary(self) -> str:
        end = f"{self.end_date}, {self.end}" if self.end_date else self.end
        # A spaced en dash: French times contain spaces ("15 h 00 – 16 h 30"), and the
        # spaced form reads well in English and Spanish too.
        if self.crosses_offset_change:
            return (f"{self.date}, {self.start} {self.abbreviation} ({self.offset}) – "
                    f"{end} {self.end_abbreviation} ({self.end_offset})")
        return f"{self.date}, {self.start} – {end} {self.abbreviation} ({self.offset})"


def babel_locale(locale: str) -> str:
    """Formatting locale: international English (24-hour clock, day before month)."""
    return "en_GB" if locale == "en" else locale


def _time_pattern(locale: str) -> str:
    # French typography writes "15 h 00"; other languages use CLDR's short form. The
    # spaces are no-break spaces so "15 h" and "00" never land on different lines.
    return "HH\u00a0'h'\u00a0mm" if locale.startswith("fr") else "short"


def format_instant(local: datetime, locale: str = "en") -> str:
    """A local date and time with its zone label: '26 septembre 2023, 15 h 00 CEST'."""
    date = format_date(local.date(), format="long", locale=babel_locale(locale))
    time = format_time(local, format=_time_pattern(locale), locale=babel_locale(locale))
    return f"{date}, {time} {zone_abbreviation(local)}"


def event_time(starts_at: datetime, ends_at: datetime, zone_name: str, locale: str = "en") -> EventTime:
    """Describe an event's start and end in its own zone for `locale`."""
    zone = ZoneInfo(zone_name)
    start = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    pattern = _time_pattern(locale)
    locale = babel_locale(locale)
    return EventTime(
        date=format_date(start.date(), format="full", locale=locale),
        start=format_time(start, format=pattern, locale=locale),
        end=format_time(end, format=pattern, locale=locale),
        end_date=format_date(end.date(), format="full", locale=locale) if end.date() != start.date() else None,
        abbreviation=zone_abbreviation(start),
        offset=utc_offset_label(start.utcoffset() or timedelta(0)),
        timezone=zone_name,
        starts_at_utc=starts_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ends_at_utc=ends_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_abbreviation=zone_abbreviation(end),
        end_offset=utc_offset_label(end.utcoffset() or timedelta(0)),
        zone_label=zone_label(zone_name, locale),
        offset_minutes=int((start.utcoffset() or timedelta(0)).total_seconds() // 60),
        end_offset_minutes=int((end.utcoffset() or timedelta(0)).total_seconds() // 60),
    )


def parse_local(value: str, zone_name: str) -> datetime:
    """'YYYY-MM-DD HH:MM' in `zone_name` to an aware UTC datetime.

    Rejects local times that do not exist (spring-forward gap) or are ambiguous
    (autumn fall-back hour), since a panel's start must be one instant.
    """
    zone = ZoneInfo(zone_name)
    try:
        naive = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"{value!r} is not a date and time written like 2023-09-26 15:00") from None
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    try:
        if first.utcoffset() != second.utcoffset():
            roundtrip = first.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
            if roundtrip != naive:
                raise ValueError(f"{value} does not exist in {zone_name} (clocks go forward)")
            raise ValueError(f"{value} happens twice in {zone_name} (clocks go back); pick another time")
        return first.astimezone(ZoneInfo("UTC"))
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends by the offset
        raise ValueError(f"{value!r} is outside the range of dates that can be stored") from None
