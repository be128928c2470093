"""Pacing under Zoom's per-second limit, and when Zoom's daily limits reset.

"Rate limits" (https://developers.zoom.us/docs/api/rate-limits/): the per-second limit is counted per
account, and daily limits reset at 00:00 UTC ("You may resume these requests at GMT 00:00:00").
The pacer runs here on a fake clock, so every wait is exact and nothing sleeps.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from requests.structures import CaseInsensitiveDict

from panel_app.zoom.ratelimit import LocalPacer, classify_429, next_utc_midnight, parse_retry_after


class FakeClock:
    """A monotonic clock that only moves when the pacer sleeps (or the test says so)."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds


def pacer(rate: float, clock: FakeClock) -> LocalPacer:
    return LocalPacer(rate, sleep=clock.sleep, clock=clock)


def test_requests_leave_one_interval_apart_and_the_first_leaves_at_once():
    clock = FakeClock()
    pace = pacer(10, clock)
    for _ in range(4):
        pace.acquire()
    assert clock.sleeps == [0.1, 0.1, 0.1]  # 10 a second: the first at once, then every 100 ms
    assert clock.now == pytest.approx(1000.3)


def test_the_first_request_leaves_at_once_whatever_the_monotonic_clocks_origin():
    # time.monotonic()'s reference point is undefined (Python docs): it may read near zero after a boot.
    clock = FakeClock(start=0.0)
    pace = pacer(10, clock)
    pace.acquire()
    pace.acquire()
    assert clock.sleeps == [0.1]


def test_a_rate_below_one_a_second_spaces_requests_by_more_than_a_second():
    clock = FakeClock()
    pace = pacer(0.5, clock)
    pace.acquire()
    pace.acquire()
    assert clock.sleeps == [2.0]


def test_a_caller_who_comes_after_a_quiet_spell_waits_for_nothing():
    clock = FakeClock()
    pace = pacer(10, clock)
    pace.acquire()
    clock.now += 5  # no request for five seconds: the slot is long free
    pace.acquire()
    assert clock.sleeps == []


def test_a_rate_of_zero_means_no_pacing():
    clock = FakeClock()
    pace = pacer(0, clock)
    for _ in range(3):
        pace.acquire()
    assert clock.sleeps == []


def test_a_penalty_after_a_429_pushes_every_later_request_back():
    clock = FakeClock()
    pace = pacer(10, clock)
    pace.acquire()
    pace.penalise(2.0)
    pace.acquire()
    pace.acquire()
    assert clock.sleeps == [2.0, 0.1]  # the next request waits out the penalty, the one after keeps the pace


def test_a_penalty_shorter_than_the_next_slot_changes_nothing():
    clock = FakeClock()
    pace = pacer(1, clock)
    pace.acquire()
    pace.penalise(0.25)
    pace.acquire()
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(("now", "reset"), [
    # 23:59:30 in Paris on 1 December is 22:59:30 UTC: Zoom resets at the coming 00:00 UTC.
    (datetime(2026, 12, 1, 23, 59, 30, 250_000, tzinfo=timezone(timedelta(hours=1))),
     datetime(2026, 12, 2, tzinfo=UTC)),
    # 00:30 in Paris on 2 December is still 1 December in UTC.
    (datetime(2026, 12, 2, 0, 30, 45, tzinfo=timezone(timedelta(hours=1))), datetime(2026, 12, 2, tzinfo=UTC)),
    # 10:15:59 in Auckland on 2 December (UTC+13) is 21:15:59 UTC on 1 December.
    (datetime(2026, 12, 2, 10, 15, 59, tzinfo=timezone(timedelta(hours=13))), datetime(2026, 12, 2, tzinfo=UTC)),
    # Exactly midnight UTC: the next reset is a day later.
    (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)),
])
def test_daily_limits_reset_at_the_next_midnight_utc(now, reset):
    assert next_utc_midnight(now) == reset
    assert next_utc_midnight(now).utcoffset() == timedelta(0)


def test_the_daily_reset_is_midnight_utc_whatever_the_servers_own_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        reset = next_utc_midnight(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert reset == datetime(2026, 12, 2, tzinfo=UTC) and reset.utcoffset() == timedelta(0)


# -- reading a 429 -----------------------------------------------------------------------------------
# Wordings are Zoom's, from the forum threads cited in panel_app/zoom/ratelimit.py; headers from "Rate limits"
# (`X-RateLimit-Type: Daily-limit` or `QPS`, `Retry-After`). Headers arrive as requests' case-insensitive dict.

NOW = datetime(2026, 11, 30, 21, 15, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 1, tzinfo=UTC)
ADD = ("POST", "/meetings/85746065432/registrants")


def headers(**values: str) -> CaseInsensitiveDict:
    return CaseInsensitiveDict({name.replace("_", "-"): value for name, value in values.items()})


@pytest.mark.parametrize(("request_line", "answer_headers", "message", "expected"), [
    # The account's daily quota announced by the header alone, without a date: until Zoom's midnight.
    (("GET", "/meetings/85746065432"), headers(X_RateLimit_Type="Daily-limit"), "Too many requests.",
     ("account", MIDNIGHT)),
    # A registrant's limit named by "GMT 00:00:00" only (no "daily"), on a status change, not an add.
    (("PUT", "/meetings/85746065432/registrants/status"), headers(),
     "Too many requests for this registrant. You may resume these requests at GMT 00:00:00.", ("item", MIDNIGHT)),
    # A registrant's limit on a read: the wording says daily, the endpoint is not an add.
    (("GET", "/meetings/85746065432/registrants"), headers(),
     "You have exceeded the daily rate limit of requests for this registrant.", ("item", MIDNIGHT)),
    # An add refused for its registrant without the word "daily": still that item only.
    (ADD, headers(), "Too many requests for this registrant.", ("item", MIDNIGHT)),
    # An add refused with daily wording that names no registrant: the endpoint tells.
    (ADD, headers(), "You have reached the daily limit for this email address.", ("item", MIDNIGHT)),
    # A daily limit for one user (meeting updates).
    (("PATCH", "/meetings/85746065432"), headers(),
     "You have exceeded the daily rate limit (100) of Meeting Update API requests for this user.", ("item", MIDNIGHT)),
    # Daily wording that names neither the account, a user nor a registrant: the account stops, to be safe.
    (("GET", "/report/meetings/85746065432/participants"), headers(),
     "You have reached the daily rate limit of 2000 requests.", ("account", MIDNIGHT)),
    # Per second, with a short Retry-After in seconds.
    (("GET", "/meetings/85746065432/registrants"), headers(Retry_After="1"),
     "You have reached the maximum per-second rate limit for this API.", ("second", NOW + timedelta(seconds=1))),
    # A Retry-After of exactly one minute is still a per-second wait; longer is the account's.
    (("GET", "/meetings/85746065432/registrants"), headers(Retry_After="60"), "Too many requests.",
     ("second", NOW + timedelta(seconds=60))),
    (("GET", "/meetings/85746065432/registrants"), headers(Retry_After="61"), "Too many requests.",
     ("account", NOW + timedelta(seconds=61))),
    # A daily limit on creating meetings: a POST, but not a registrant's add, so the account stops.
    (("POST", "/users/me/meetings"), headers(), "You have reached the daily rate limit of 2000 requests.",
     ("account", MIDNIGHT)),
    # A registrant's add written with a trailing slash, or in a batch, is still one item's limit.
    (("POST", "/meetings/85746065432/registrants/"), headers(), "You have reached the daily limit for this email.",
     ("item", MIDNIGHT)),
    (("POST", "/webinars/85746065432/batch_registrants"), headers(),
     "You have reached the daily limit for this email address.", ("item", MIDNIGHT)),
    # Nothing to go by: per second, no date.
    (("GET", "/meetings/85746065432/registrants"), headers(), "", ("second", None)),
])
def test_each_429_is_read_as_the_limit_zoom_means(request_line, answer_headers, message, expected):
    method, path = request_line
    assert classify_429(method, path, answer_headers, message, NOW) == expected


@pytest.mark.parametrize(("value", "instant"), [
    ("120", NOW + timedelta(seconds=120)),
    ("2026-12-01T00:00:00Z", MIDNIGHT),
    ("2026-12-01T02:00:00+02:00", MIDNIGHT),  # an offset is kept, not replaced by UTC
    ("2026-12-01T00:00:00", MIDNIGHT),  # no offset: Zoom's instants are UTC
    ("Tue, 01 Dec 2026 00:00:00 GMT", MIDNIGHT),
    ("soon", None),
    ("", None),
])
def test_retry_after_is_read_as_an_instant_in_utc(value, instant):
    parsed = parse_retry_after(value, NOW)
    assert parsed == instant
    assert parsed is None or parsed.utcoffset() == timedelta(0)


def test_retry_after_without_an_offset_is_utc_whatever_the_servers_own_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/Santiago")
    time.tzset()
    try:
        parsed = parse_retry_after("2026-12-01T00:00:00", NOW)
        offset = parse_retry_after("2026-12-01T02:00:00+02:00", NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert parsed == MIDNIGHT and parsed.utcoffset() == timedelta(0)
    assert offset == MIDNIGHT and offset.utcoffset() == timedelta(0)
