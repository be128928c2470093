"""RRULE-style VTIMEZONE components built from the zone database (zoneinfo).

Why not icalendar's `Timezone.from_tzid()` / `add_missing_timezones()`: they describe every
transition as a comma-separated RDATE list, which ical.js (Thunderbird, Nextcloud) and
vobject misread (a 15:00 CEST panel shows at 16:00), and Outlook only understands
RRULE-based definitions. Exchange itself writes one STANDARD and one DAYLIGHT component,
each with `RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=..`; we write the same shape.

How: find every offset change of the zone in a window around the event (from 1 January two
years before it to 31 December of the year after, so an event near a DST switch or in the
southern hemisphere has the rules on both sides, and every rule has already repeated at least
once before the event: ts-ics (a TypeScript parser) drops a rule's first occurrence, its
DTSTART, so with rules starting only the year before it read a January or late-March event
in Geneva as summer time). Transitions are found by sampling
zoneinfo every 12 hours and bisecting to the second, so dates after 2038 work too (zoneinfo
continues with the zone's POSIX rule). Transitions are grouped by observance (offsets and
name); each run of consecutive years following the same "nth/last weekday of month at
this wall time" rule becomes one component with a yearly RRULE (open-ended when the rule
is still in force at the end of the window, else with UNTIL one day after its last change,
never exactly on it: RFC 5545 makes UNTIL inclusive, but parsers that compare it with the
local DTSTART, or treat it as exclusive, would drop that last change). Anything irregular (a rule
change, a one-off shift) becomes a component with a single DTSTART, never an RDATE list.
When no transition precedes the event inside the window, a no-op observance anchors the
offset at the window's start, so every parser knows the offset before the first change.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Offsets never change twice within this span, so sampling at it finds every transition.
_SAMPLE_STEP = timedelta(hours=12)
#: How far past a rule's last change its UNTIL is put (see the module docstring).
_UNTIL_MARGIN = timedelta(days=1)
#: Years of rules written before the event's year (see the module docstring).
_YEARS_BEFORE = 2


@dataclass(frozen=True)
class Transition:
    """One offset change: the UTC instant it happens and the observance it starts."""

    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def local_onset(self) -> datetime:
        """Wall-clock time of the change, read in the offset before it (RFC 5545 DTSTART)."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or ""


def _label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}" if mins else f"{sign}{hours:02d}"


def _name(state: tuple[timedelta, timedelta, str]) -> str:
    return state[2] or _label(state[0])


def transitions(zone_name: str, start: datetime, end: datetime) -> list[Transition]:
    """Every change of offset, DST flag or abbreviation of `zone_name` in [start, end)."""
    zone = ZoneInfo(zone_name)
    found: list[Transition] = []
    cursor = start
    state = _state(zone, cursor)
    while cursor < end:
        step_end = min(cursor + _SAMPLE_STEP, end)
        new_state = _state(zone, step_end)
        if new_state != state:
            low, high = cursor, step_end  # state(low) == state, state(high) != state
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            after = _state(zone, high)
            found.append(
                Transition(
                    at_utc=high, offset_from=state[0], offset_to=after[0], name=_name(after), is_dst=bool(after[1])
                )
            )
            state = after
            cursor = high
            continue
        cursor = step_end
    return found


def _position(day: datetime) -> tuple[int | None, bool]:
    """(nth weekday of the month 1-4, or None for a fifth; is it the last such weekday?)."""
    nth = (day.day - 1) // 7 + 1
    last = day.day + 7 > _calendar.monthrange(day.year, day.month)[1]
    return (nth if nth <= 4 else None), last


def _rule_key(onset: datetime) -> tuple:
    return onset.month, onset.weekday(), onset.time()


def _byday(onsets: list[datetime]) -> str | None:
    """The BYDAY value all `onsets` share ("2SU", "-1SU"), or None when there is none."""
    positions = [_position(o) for o in onsets]
    weekday = _WEEKDAYS[onsets[0].weekday()]
    # "Last Sunday" first: a last Sunday that happened to be the 4th in every year of the
    # window must stay "last" when a client extends the rule beyond the window.
    if all(p[1] for p in positions):
        return f"-1{weekday}"
    nths = {p[0] for p in positions}
    if len(nths) == 1 and None not in nths:
        return f"{nths.pop()}{weekday}"
    return None


def _runs(group: list[Transition]) -> list[list[Transition]]:
    """Split an observance's transitions into runs that one yearly RRULE describes."""
    runs: list[list[Transition]] = []
    for item in group:
        if runs:
            current = runs[-1]
            previous = current[-1]
            same_rule = _rule_key(previous.local_onset) == _rule_key(item.local_onset)
            next_year = item.local_onset.year == previous.local_onset.year + 1
            if same_rule and next_year and _byday([t.local_onset for t in current + [item]]):
                current.append(item)
                continue
        runs.append([item])
    return runs


def _component(kind_dst: bool, name: str, offset_from: timedelta, offset_to: timedelta, dtstart: datetime):
    sub = TimezoneDaylight() if kind_dst else TimezoneStandard()
    sub.add("TZNAME", name)
    sub.add("TZOFFSETFROM", offset_from)
    sub.add("TZOFFSETTO", offset_to)
    sub.add("DTSTART", dtstart)
    return sub


@lru_cache(maxsize=256)
def _vtimezone_text(zone_name: str, first_year: int, last_year: int, event_start_utc: datetime) -> bytes:
    zone = ZoneInfo(zone_name)
    window_start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    window_end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    changes = transitions(zone_name, window_start, window_end)

    tz = Timezone()
    tz.add("TZID", zone_name)
    if not changes or changes[0].at_utc > event_start_utc:
        initial = _state(zone, window_start)
        tz.add_component(
            _component(
                bool(initial[1]),
                _name(initial),
                initial[0],
                initial[0],
                (window_start + initial[0]).replace(tzinfo=None),
            )
        )

    groups: dict[tuple, list[Transition]] = {}
    for change in changes:
        groups.setdefault((change.offset_from, change.offset_to, change.name, change.is_dst), []).append(change)
    components = []
    for group in groups.values():
        runs = _runs(group)
        for index, run in enumerate(runs):
            first = run[0]
            sub = _component(first.is_dst, first.name, first.offset_from, first.offset_to, first.local_onset)
            if len(run) > 1:
                rule = {"FREQ": "YEARLY", "BYMONTH": first.local_onset.month,
                        "BYDAY": _byday([t.local_onset for t in run])}
                ongoing = index == len(runs) - 1 and run[-1].local_onset.year == last_year
                if not ongoing:
                    # A day later changes nothing for the rule (its next date is a year away)
                    # and keeps the last change inside UNTIL for every reading of it.
                    rule["UNTIL"] = run[-1].at_utc.replace(tzinfo=timezone.utc) + _UNTIL_MARGIN
                sub.add("RRULE", rule)
            components.append((first.at_utc, sub))
    for _, sub in sorted(components, key=lambda item: item[0]):
        tz.add_component(sub)
    return tz.to_ical()


def vtimezone(zone_name: str, starts_at: datetime, ends_at: datetime | None = None) -> Timezone:
    """A VTIMEZONE for `zone_name` valid around an event from `starts_at` to `ends_at` (UTC)."""
    ends_at = ends_at or starts_at
    zone = ZoneInfo(zone_name)
    first_year = starts_at.astimezone(zone).year - _YEARS_BEFORE
    last_year = ends_at.astimezone(zone).year + 1
    # Cache per (zone, window, and whether a transition precedes the event): bursts of
    # invites for one event build it once.
    return _vtimezone_component(zone_name, first_year, last_year, starts_at.astimezone(timezone.utc))


@lru_cache(maxsize=256)
def _vtimezone_component(zone_name: str, first_year: int, last_year: int, event_start_utc: datetime) -> Timezone:
    # Shared, read-only: calendars only serialise it (bursts of invites reuse one object).
    return Timezone.from_ical(_vtimezone_text(zone_name, first_year, last_year, event_start_utc))
