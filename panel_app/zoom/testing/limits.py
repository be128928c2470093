"""Zoom's rate limits: per second, per account and day, and per registrant and day on "Add a registrant".

Source for the first two: "Rate limits" (https://developers.zoom.us/docs/api/rest/rate-limits/): limits
apply per account, by request type (Light, Medium, Heavy, Resource-intensive: each endpoint's "Rate
Limit Label"), either per second (QPS) or per day; an exceeded limit answers HTTP 429 with the headers
X-RateLimit-Category, X-RateLimit-Type (QPS | Daily-limit), X-RateLimit-Limit, X-RateLimit-Remaining and,
for a daily limit, Retry-After as an ISO date-time (the page's example: `Retry-After: 2020-05-31T00:00:00Z`).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from datetime import date, datetime

from panel_app.zoom.testing.model import ApiError, iso, next_utc_midnight

#: Rate Limit Label of each simulated endpoint, from its API reference page.
CATEGORY_HEAVY = "Heavy"
CATEGORY_LIGHT = "Light"
CATEGORY_MEDIUM = "Medium"

#: "You have reached the maximum per-second rate limit for this API. Try again later." ("Zoom API errors",
#: and the Zoom staff answer in https://devforum.zoom.us/t/18928).
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."

#: "Add a meeting registrant" / "Add a webinar registrant": at most 3 requests a day for one registrant
#: (email) of one meeting; the 4th answers 429 until 00:00 UTC. Zoom staff: "If I call the Add a meeting
#: registrant endpoint more than 3 times, I get the expected 429 error" (https://devforum.zoom.us/t/125510);
#: the changelog quoted in https://devforum.zoom.us/t/57798 ("Maximum 3 requests per day", "You may resume
#: these requests at GMT 00:00:00"); observed wording in https://devforum.zoom.us/t/141856.
REGISTRANT_DAILY_ADDS = 3


class LimitsMixin:
    """`set_rate_limit`, `set_daily_limit`, the per-registrant add limit, all on the sim clock but QPS."""

    def _init_limits(self) -> None:
        self.rate_limit: int | None = None
        self._window: dict[str, deque[float]] = defaultdict(deque)
        self._daily_limit: int | None = None
        self._daily_remaining: int | None = None
        self._daily_reset_at: datetime | None = None
        self._daily_category: str | None = None
        self.registrant_daily_adds = REGISTRANT_DAILY_ADDS
        #: (meeting id, casefolded email, UTC date) -> add requests that day.
        self._registrant_adds: dict[tuple[str, str, date], int] = defaultdict(int)

    def set_rate_limit(self, per_second: int | None) -> None:
        """Requests per rolling second and rate-limit category before 429 QPS (None: unlimited)."""
        with self._lock:
            self.rate_limit = per_second
            self._window.clear()

    def set_daily_limit(self, remaining: int | None, reset_at: datetime | None = None, *,
                        category: str | None = None) -> None:
        """Allow `remaining` more API calls until `reset_at` (default: next 00:00 UTC on the sim clock), then
        429 Daily-limit with `Retry-After: <reset_at>`; at `reset_at` the allowance is `remaining` again.

        `category` restricts the limit to one request type: on paid plans Zoom's daily limit covers only
        Heavy and Resource-intensive APIs (reports); on free accounts every type has one ("Rate limits").
        None counts every API call. `remaining=None` lifts the limit.
        """
        with self._lock:
            self._daily_limit = remaining
            self._daily_remaining = remaining
            self._daily_reset_at = reset_at or next_utc_midnight(self.clock.now())
            self._daily_category = category

    # -- checks, called by the dispatcher for every authenticated API call ---------------------

    def _check_limits(self, category: str) -> dict:
        """Raise 429 when a limit is exceeded; otherwise count the call and return headers for the answer."""
        now = self.clock.now()
        with self._lock:
            daily_applies = self._daily_limit is not None and self._daily_category in (None, category)
            if daily_applies:
                if now >= self._daily_reset_at:
                    self._daily_remaining = self._daily_limit
                    self._daily_reset_at = next_utc_midnight(now)
                if self._daily_remaining <= 0:
                    raise ApiError(429, 429, "You have exceeded the daily rate limit of your account.", {
                        "X-RateLimit-Category": category, "X-RateLimit-Type": "Daily-limit",
                        "X-RateLimit-Limit": str(self._daily_limit), "X-RateLimit-Remaining": "0",
                        "Retry-After": iso(self._daily_reset_at)})
            if self.rate_limit is not None:
                # Per-second limits count per request type ("Rate limits"; Zoom staff in
                # https://devforum.zoom.us/t/123510: calls are counted for each of the four types).
                tick = time.monotonic()
                window = self._window[category]
                while window and tick - window[0] >= 1.0:
                    window.popleft()
                if len(window) >= self.rate_limit:
                    # Documents are silent on Retry-After for QPS: none is sent (the stricter case).
                    raise ApiError(429, 429, QPS_MESSAGE, {
                        "X-RateLimit-Category": category, "X-RateLimit-Type": "QPS",
                        "X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": "0"})
                window.append(tick)
            headers = {"X-RateLimit-Category": category}
            if daily_applies:
                self._daily_remaining -= 1
                headers.update({"X-RateLimit-Limit": str(self._daily_limit),
                                "X-RateLimit-Remaining": str(self._daily_remaining)})
            return headers

    def _count_registrant_add(self, kind: str, meeting_id: str, email: str) -> None:
        """Count one add request for this email; the 4th of a UTC day answers 429 (see REGISTRANT_DAILY_ADDS)."""
        now = self.clock.now()
        key = (meeting_id, email.casefold(), now.date())
        with self._lock:
            if self._registrant_adds[key] >= self.registrant_daily_adds:
                noun = "webinar" if kind == "webinars" else "meeting"
                # Zoom answers with a message only: no Retry-After and no X-RateLimit-Type (Zoom staff's
                # example answer for the same kind of per-user daily limit, https://devforum.zoom.us/t/18928).
                raise ApiError(429, 429, (
                    f"You have exceeded the daily rate limit of ({self.registrant_daily_adds}) for Add a {noun} "
                    f"registrant API requests for the registrant ({email}). You can resume these API requests "
                    "at GMT 00:00:00."), {"X-RateLimit-Category": CATEGORY_LIGHT,
                                          "X-RateLimit-Limit": str(self.registrant_daily_adds),
                                          "X-RateLimit-Remaining": "0"})
            self._registrant_adds[key] += 1
            self.add_calls[(meeting_id, email.casefold())] += 1
