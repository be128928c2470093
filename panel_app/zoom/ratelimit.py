"""Zoom's rate limits: pacing under the per-second limit, and reading a 429 right.

Pacing: each request reserves the next free slot (`1 / rate` seconds after the previous one)
and waits for it. Reserving rather than counting keeps a steady rhythm with no bursts, so a
limit of 10/s is used at ~95% without 429s. `RedisPacer` shares the rhythm between
processes (every worker draws from the same Zoom account's limit).

Reading a 429 (`classify_429`): Zoom answers 429 for three different limits, and only one
of them concerns the whole account.
- Per second (QPS): wait a moment and retry.
- The account's daily quota: `X-RateLimit-Type: Daily-limit` and `Retry-After` with the reset
  instant ("Rate limits", https://developers.zoom.us/docs/api/rate-limits/): every call waits.
- Limits on one resource, e.g. "Add a meeting/webinar registrant" three times a day for the
  same registrant, or 100 meeting updates a day per user. Zoom answers these with only a
  message, e.g. "You have exceeded the daily rate limit (3) of ... requests permitted for
  (email) this particular registrant. You may resume these requests at GMT 00:00:00.", often
  with neither `Retry-After` nor `X-RateLimit-Type` (Zoom Developer Forum, "Why are now limited
  to only 3 Add Webinar Registrant API calls PER DAY?",
  https://devforum.zoom.us/t/why-are-now-limited-to-only-3-add-webinar-registrant-api-calls-per-day/57798,
  and "Zoom API Create Meeting API Rate Limit - Sample error when breaching limit",
  https://devforum.zoom.us/t/zoom-api-create-meeting-api-rate-limit-sample-error-when-breaching-limit/18928).
  Only that item waits, until the next UTC midnight; the account goes on.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

#: A Retry-After further away than this is a daily limit, not a per-second one.
LONG_WAIT = timedelta(minutes=1)


class LocalPacer:
    """Pacing for the threads of one process."""

    def __init__(self, rate_per_second: float, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._next = 0.0
        self._sleep = sleep
        self._clock = clock

    def acquire(self) -> None:
        """Block until this caller's slot comes."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)

    def penalise(self, seconds: float) -> None:
        """Push every later slot back (after a 429), so all threads slow down together."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


class RedisPacer:
    """Pacing shared by every process through one Redis key (server clock, atomic script)."""

    _SCRIPT = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
    local slot = math.max(now, nxt)
    redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
    return slot - now
    """

    def __init__(self, redis_client, key: str, rate_per_second: float, *, sleep: Callable[[float], None] = time.sleep):
        self.redis = redis_client
        self.key = key
        self.interval_us = int(1_000_000 / rate_per_second) if rate_per_second > 0 else 0
        self._sleep = sleep
        self._script = redis_client.register_script(self._SCRIPT)

    def acquire(self) -> None:
        if not self.interval_us:
            return
        wait_us = int(self._script(keys=[self.key], args=[self.interval_us]))
        if wait_us > 0:
            self._sleep(wait_us / 1_000_000)

    def penalise(self, seconds: float) -> None:
        script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local nxt = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
        redis.call('SET', KEYS[1], nxt, 'PX', 60000)
        return 0
        """
        self.redis.eval(script, 1, self.key, int(seconds * 1_000_000))


# -- reading a 429 ------------------------------------------------------------------------------

def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as an instant: seconds, an HTTP date, or an ISO 8601 date-time (Zoom's daily limit)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def next_utc_midnight(now: datetime) -> datetime:
    """When Zoom's daily limits reset ("GMT 00:00:00")."""
    return (now.astimezone(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def is_registrant_add(method: str, path: str) -> bool:
    """POST /meetings|webinars/{id}/registrants (or batch_registrants): the calls Zoom limits per registrant."""
    return method.upper() == "POST" and path.rstrip("/").endswith(("/registrants", "/batch_registrants"))


def classify_429(method: str, path: str, headers: Mapping[str, str], message: str,
                 now: datetime) -> tuple[str, datetime | None]:
    """Which limit a 429 is (see module docstring): ("account" | "item" | "second", retry_at)."""
    text = (message or "").casefold()
    kind = (headers.get("X-RateLimit-Type") or "").casefold()
    retry_at = parse_retry_after(headers.get("Retry-After"), now)
    daily_message = "daily" in text or "gmt 00:00:00" in text
    if "registrant" in text and (daily_message or is_registrant_add(method, path)):
        return "item", retry_at or next_utc_midnight(now)  # the message names the reset: GMT 00:00:00
    if "daily" in kind or (daily_message and "account" in text):
        return "account", retry_at or next_utc_midnight(now)
    if daily_message and ("particular user" in text or "this user" in text):
        return "item", next_utc_midnight(now)
    if daily_message and retry_at is None and is_registrant_add(method, path):
        return "item", next_utc_midnight(now)  # Zoom's wording varies; the endpoint tells
    if retry_at is not None and retry_at - now > LONG_WAIT:
        return "account", retry_at
    if daily_message:
        return "account", next_utc_midnight(now)
    return "second", retry_at
