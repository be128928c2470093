"""Client-side pacing so we stay just under Zoom's per-second limit instead of bouncing off it.

Each request reserves the next free slot (`1 / rate` seconds after the previous one) and
waits for it. Reserving rather than counting keeps a steady rhythm with no bursts, so a
limit of 10/s is used at ~95% without 429s. `RedisPacer` shares the rhythm between
processes (every worker draws from the same Zoom account's limit).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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
