"""The Zoom API adapter: Server-to-Server OAuth, pacing, retries and typed errors.

Reference: https://developers.zoom.us/docs/api/ (Meetings and Webinars: registrants, past
instances; Reports: participants) and https://developers.zoom.us/docs/internal-apps/s2s-oauth/
(token). One real implementation, configured from the app config at call time (tests point
it at the simulator in `panel_app.zoom.testing`).

Longer than the ~350-line guide on purpose: every call to Zoom goes through the one
`ZoomClient.request`, so pacing, token refresh, retries and typed errors apply to each alike;
the per-endpoint methods are a few lines each.

Failure policy, so callers only deal with what retrying later can fix:
- 401 with code 124 (invalid or expired token): forget the token, refresh once, retry.
- 429: see `ratelimit.classify_429`. Per second: back off with jitter and retry a few times.
  The account's daily quota: record an account-wide pause and raise
  `ZoomRateLimited(scope="account")`. A daily limit on one item (three adds a day for one
  registrant): raise `ZoomRateLimited(scope="item")` at once; only that row waits. Never
  sleep a worker for hours.
- 5xx, timeouts, connection errors and 2xx answers that are not JSON (a proxy's HTML page):
  retry with exponential backoff, then `ZoomUnavailable`.
- Other 4xx: `ZoomNotFound` / `ZoomRequestRejected` (not retryable).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from panel_app.models.base import utcnow
from panel_app.zoom.errors import (
    ZoomAuthError,
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestRejected,
    ZoomUnavailable,
)
from panel_app.zoom.ratelimit import LocalPacer, RedisPacer, classify_429, next_utc_midnight, parse_retry_after
from panel_app.zoom.settings import ZoomSettings, settings_from_config, zoom_enabled
from panel_app.zoom.token_cache import DatabaseTokenCache, RedisTokenCache

log = logging.getLogger(__name__)

#: Zoom's `code` for an invalid or expired access token.
INVALID_TOKEN_CODE = 124
#: Largest page Zoom serves for registrant lists and reports.
MAX_PAGE_SIZE = 300


_local_pacers: dict[tuple[str, float], LocalPacer] = {}
_local_pacers_lock = threading.Lock()


def _local_pacer(key: str, rate: float) -> LocalPacer:
    # One pacer per Zoom account per process, shared by all threads; with Redis configured
    # the pace is shared by every process instead.
    with _local_pacers_lock:
        pacer = _local_pacers.get((key, rate))
        if pacer is None:
            pacer = _local_pacers[(key, rate)] = LocalPacer(rate)
        return pacer


def build_client(config, engine) -> ZoomClient:
    """The configured client: token cache and pacer in Redis when REDIS_URL is set, else DB/process."""
    settings = settings_from_config(config)
    if settings.redis_url:
        import redis

        connection = redis.Redis.from_url(settings.redis_url)
        cache = RedisTokenCache(connection, settings.key, prefix=settings.redis_prefix)
        pacer = RedisPacer(connection, f"{settings.redis_prefix}:{settings.key}:pace", settings.requests_per_second)
    else:
        cache = DatabaseTokenCache(engine, settings.key)
        pacer = _local_pacer(settings.key, settings.requests_per_second)
    return ZoomClient(settings, cache, pacer)


def encode_meeting_uuid(uuid: str) -> str:
    """Path segment for a meeting UUID: double-encoded when it contains a '/'.

    Zoom's reference requires it when the UUID "begins with a / character or contains the //
    characters" ("Get past meeting participants"). A single '/' inside, encoded once, fails in
    practice too: the gateway decodes %2F and the path splits (uppy's Zoom provider,
    https://github.com/transloadit/uppy/pull/2526: "the call ... fails when a meeting UUID
    contains '/'", fixed by double encoding). Zoom decodes a double-encoded UUID either way.
    """
    once = quote(uuid, safe="")
    if "/" in uuid:
        return quote(once, safe="")
    return once


class ZoomClient:
    """Calls to Zoom's REST API. Create one per job/command (it holds an HTTP session)."""

    def __init__(self, settings: ZoomSettings, token_cache, pacer, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = utcnow, http: requests.Session | None = None):
        self.settings = settings
        self.token_cache = token_cache
        self.pacer = pacer
        self.sleep = sleep
        self.clock = clock
        # One keep-alive HTTP session per thread, reused by successive jobs: no TCP set-up per
        # call, so requests leave when their pacing slot says (steadier rate, fewer 429s).
        self.http = http or _thread_http_session()
        #: Requests actually sent to the API (not the token endpoint); for diagnostics and the benchmark.
        self.requests_sent = 0

    def close(self) -> None:
        """Release resources; the per-thread HTTP session stays open for the next client."""

    # -- auth -------------------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, int]:
        s = self.settings
        try:
            response = self.http.post(
                s.token_url,
                data={"grant_type": "account_credentials", "account_id": s.account_id},
                auth=(s.client_id, s.client_secret),
                timeout=(s.connect_timeout, s.read_timeout),
            )
        except requests.RequestException as exc:
            raise ZoomUnavailable(f"Zoom OAuth unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ZoomUnavailable("Zoom OAuth answered with a server error", status=response.status_code)
        body = _json_or_empty(response)
        if response.status_code != 200 or not body.get("access_token"):
            reason = body.get("reason") or body.get("message") or body.get("error") or "no access token"
            raise ZoomAuthError(f"Zoom refused the credentials: {reason}", status=response.status_code)
        return body["access_token"], int(body.get("expires_in") or 3599)

    # -- transport --------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        base = self.settings.retry_base_delay * (2 ** (attempt - 1))
        return min(base, 30.0) * (0.5 + random.random())  # full jitter around the base

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        """Send one API call with the retry policy above; returns the decoded JSON (or None)."""
        s = self.settings
        url = f"{s.api_base_url}{path}"
        failures = 0
        throttled = 0
        refreshed = False
        while True:
            paused = self.token_cache.paused_until()
            if paused is not None:
                raise ZoomRateLimited("Zoom's daily request limit for the account was reached", retry_at=paused,
                                      scope="account", status=429)
            try:
                token = self.token_cache.get(self._fetch_token)
            except ZoomUnavailable:
                failures += 1
                if failures > s.max_retries:
                    raise
                self.sleep(self._backoff(failures))
                continue
            self.pacer.acquire()
            self.requests_sent += 1
            try:
                response = self.http.request(
                    method, url, params=params, json=json,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=(s.connect_timeout, s.read_timeout),
                )
            except requests.RequestException as exc:
                failures += 1
                if failures > s.max_retries:
                    raise ZoomUnavailable(f"Zoom did not answer ({type(exc).__name__})") from exc
                log.info("zoom %s %s: %s, retry %d", method, path, type(exc).__name__, failures)
                self.sleep(self._backoff(failures))
                continue

            status = response.status_code
            if 200 <= status < 300:
                if not response.content:
                    return None
                data = _json_or_none(response)
                if data is not None:
                    return data
                # Zoom always answers JSON; anything else came from a proxy in between.
                failures += 1
                if failures > s.max_retries:
                    raise ZoomUnavailable(f"Zoom's answer was not JSON ({_content_type(response)})", status=status)
                self.sleep(self._backoff(failures))
                continue
            body = _json_or_none(response) or {}
            code = body.get("code") if isinstance(body.get("code"), int) else None
            message = str(body.get("message") or response.reason or "error")[:500]
            if not body and response.content:
                message = f"{message} (a {_content_type(response)} page, not Zoom's JSON)"

            if status == 401:
                if code == INVALID_TOKEN_CODE and not refreshed:
                    self.token_cache.invalidate(token)
                    refreshed = True
                    continue
                raise ZoomAuthError(f"Zoom refused the access token: {message}", status=status, code=code)
            if status == 429:
                now = self.clock()
                scope, retry_at = classify_429(method, path, response.headers, message, now)
                if scope == "account":
                    self.token_cache.pause(retry_at, message)  # every process stops until then
                    raise ZoomRateLimited(f"Zoom's daily limit for the account: {message}", retry_at=retry_at,
                                          scope=scope, status=status, code=code)
                if scope == "item":
                    raise ZoomRateLimited(f"Zoom's daily limit for this item: {message}", retry_at=retry_at,
                                          scope=scope, status=status, code=code)
                throttled += 1
                if throttled > s.max_rate_limit_retries:
                    raise ZoomRateLimited(f"Zoom kept rate-limiting: {message}", retry_at=now + timedelta(seconds=30),
                                          status=status, code=code)
                if retry_at:
                    delay = max((retry_at - now).total_seconds(), 0.0)
                elif throttled == 1:
                    # A lone 429 at our pace means one request arrived late and bunched with the
                    # next: waiting for our next pacing slot is enough.
                    continue
                else:
                    # Persisting: someone else shares the account's limit. Back off with jitter,
                    # growing, and slow every thread of this client down with us.
                    delay = min(2 ** (throttled - 2), 8) * random.uniform(0.1, 0.3)
                self.pacer.penalise(delay)
                self.sleep(delay)
                continue
            if status >= 500:
                failures += 1
                if failures > s.max_retries:
                    raise ZoomUnavailable(f"Zoom server error: {message}", status=status, code=code)
                log.info("zoom %s %s: HTTP %d, retry %d", method, path, status, failures)
                self.sleep(self._backoff(failures))
                continue
            if status == 404:
                raise ZoomNotFound(message, status=status, code=code)
            raise ZoomRequestRejected(message, status=status, code=code)

    # -- registrants ------------------------------------------------------------------------
    # "Add a meeting registrant", "Get a meeting registrant", "Delete a meeting registrant",
    # "Update registrant's status", "List meeting registrants" (and the webinar twins):
    # https://developers.zoom.us/docs/api/meetings/#tag/meetings (types: zoom/rivet-javascript).

    def _registrants_path(self, kind: str, zoom_id: str, *rest: str) -> str:
        return "/".join([f"/{kind}", quote(str(zoom_id), safe=""), "registrants", *(quote(r, safe="") for r in rest)])

    def add_registrant(self, kind: str, zoom_id: str, body: dict) -> dict:
        """POST /{kind}/{id}/registrants: {registrant_id, join_url, ...}. The answer carries no
        status, and a join_url even for a registrant who waits for approval: read the status
        with `get_registrant`."""
        data = self.request("POST", self._registrants_path(kind, zoom_id), json=body)
        if not isinstance(data, dict) or not data.get("registrant_id"):
            raise ZoomUnavailable("Zoom's answer to adding a registrant has no registrant_id")
        return data

    def get_registrant(self, kind: str, zoom_id: str, registrant_id: str) -> dict:
        """GET /{kind}/{id}/registrants/{registrantId}: the registrant with its `status`."""
        data = self.request("GET", self._registrants_path(kind, zoom_id, registrant_id))
        if not isinstance(data, dict):
            raise ZoomUnavailable("Zoom's answer for a registrant is not an object")
        return data

    def delete_registrant(self, kind: str, zoom_id: str, registrant_id: str) -> None:
        """DELETE /{kind}/{id}/registrants/{registrantId}: Zoom forgets the person (204)."""
        self.request("DELETE", self._registrants_path(kind, zoom_id, registrant_id))

    def update_registrant_status(self, kind: str, zoom_id: str, action: str, registrants: list[dict]) -> None:
        """PUT /{kind}/{id}/registrants/status with action approve|deny|cancel (at most 30 people).

        Each person is given by `id` (and `email` only when known: an erased registration has
        none, and Zoom must never receive an empty address).
        """
        if action not in {"approve", "deny", "cancel"}:
            raise ValueError(f"unknown registrant action {action!r}")
        people = [{key: value for key, value in person.items() if value} for person in registrants]
        if not people or not all(person.get("id") or person.get("email") for person in people):
            raise ValueError("every registrant needs an id or an email")
        self.request("PUT", self._registrants_path(kind, zoom_id, "status"),
                     json={"action": action, "registrants": people})

    def iter_registrants(self, kind: str, zoom_id: str, status: str) -> Iterator[dict]:
        """Every registrant with `status` (pending|approved|denied), following next_page_token."""
        token = ""
        while True:
            params = {"status": status, "page_size": MAX_PAGE_SIZE}
            if token:
                params["next_page_token"] = token
            page = self.request("GET", self._registrants_path(kind, zoom_id), params=params) or {}
            yield from (p for p in page.get("registrants") or [] if isinstance(p, dict))
            token = page.get("next_page_token") or ""
            if not token:
                return

    # -- reports ----------------------------------------------------------------------------

    def past_instances(self, kind: str, zoom_id: str) -> list[dict]:
        """Ended instances of a meeting or webinar: [{uuid, start_time}] ("List past meeting
        instances" GET /past_meetings/{id}/instances; "List past webinar instances" GET
        /past_webinars/{id}/instances)."""
        prefix, key = ("past_webinars", "webinars") if kind == "webinars" else ("past_meetings", "meetings")
        page = self.request("GET", f"/{prefix}/{quote(str(zoom_id), safe='')}/instances") or {}
        return [item for item in page.get(key) or [] if isinstance(item, dict)]

    def iter_report_participants(self, kind: str, meeting: str) -> Iterator[dict]:
        """Zoom's participants report for a meeting UUID (or id), every page.

        `include_fields=registrant_id`: since March 2023 Zoom blanks `id` and
        `participant_user_id` of participants outside the host's account and returns
        `registrant_id` only when asked ("Changes to Meeting API – Reporting and Dashboard
        endpoints", https://developers.zoom.us/changelog/platform/changes-to-meeting-api-reporting-and-dashboard-endpoints/).
        """
        token = ""
        segment = encode_meeting_uuid(str(meeting))
        while True:
            params = {"page_size": MAX_PAGE_SIZE, "include_fields": "registrant_id"}
            if token:
                params["next_page_token"] = token
            page = self.request("GET", f"/report/{kind}/{segment}/participants", params=params) or {}
            yield from page.get("participants") or []
            token = page.get("next_page_token") or ""
            if not token:
                return

    # -- meetings and webinars (set-up) -----------------------------------------------------
    # `kind` is the API path segment, "meetings" or "webinars". References:
    # "Get a meeting" / "Update a meeting" (GET|PATCH /meetings/{meetingId}),
    # https://developers.zoom.us/docs/api/meetings/#tag/meetings/get/meetings/{meetingId};
    # "Get a webinar" / "Update a webinar" (GET|PATCH /webinars/{webinarId}),
    # https://developers.zoom.us/docs/api/meetings/#tag/webinars/get/webinars/{webinarId};
    # "List registration questions" / "Update registration questions"
    # (GET|PATCH /{kind}/{id}/registrants/questions); "Create a meeting" / "Create a webinar"
    # (POST /users/{userId}/meetings|webinars). Types: @zoom/rivet MeetingsGetMeetingResponse etc.

    def interactive(self, *, read_timeout: float = 5.0) -> ZoomClient:
        """Make this client fit for a person waiting on a page: short timeouts, no retry loops.

        A failure surfaces at once as a typed error (the page says what happened) instead of
        the worker policy of backing off and retrying for many seconds.
        """
        import dataclasses

        self.settings = dataclasses.replace(self.settings, connect_timeout=min(self.settings.connect_timeout, 3.05),
                                            read_timeout=min(self.settings.read_timeout, read_timeout),
                                            max_retries=0, max_rate_limit_retries=1)
        return self

    def get_meeting(self, kind: str, zoom_id: str) -> dict:
        """The meeting or webinar object, settings included."""
        data = self.request("GET", f"/{kind}/{quote(str(zoom_id), safe='')}")
        return self._expect_object(data, "meeting", "id")

    def update_meeting(self, kind: str, zoom_id: str, body: dict) -> None:
        """PATCH the meeting or webinar (204). Zoom allows 100 updates per meeting a day, so send changes only."""
        self.request("PATCH", f"/{kind}/{quote(str(zoom_id), safe='')}", json=body)

    def get_registration_questions(self, kind: str, zoom_id: str) -> dict:
        """{"questions": [{field_name, required}], "custom_questions": [{title, type, required, answers}]}."""
        data = self.request("GET", f"/{kind}/{quote(str(zoom_id), safe='')}/registrants/questions")
        # Both lists are optional in Zoom's schema, so {} is a valid answer here; the meeting
        # itself is read first and checked strictly, which catches a proxy's page.
        return self._expect_object(data, "registration questions", allow_empty=True)

    def update_registration_questions(self, kind: str, zoom_id: str, body: dict) -> None:
        """PATCH the registration questions (204); the lists sent replace Zoom's."""
        self.request("PATCH", f"/{kind}/{quote(str(zoom_id), safe='')}/registrants/questions", json=body)

    def create_meeting(self, kind: str, body: dict, *, user_id: str = "me") -> dict:
        """POST /users/{userId}/meetings|webinars (201): the new object, with its `id`."""
        data = self.request("POST", f"/users/{quote(str(user_id), safe='@')}/{kind}", json=body)
        return self._expect_object(data, "new meeting", "id")

    @staticmethod
    def _expect_object(data: Any, what: str, required_key: str | None = None, *, allow_empty: bool = False) -> dict:
        """A JSON object as documented, else ZoomUnavailable: `request` turns a 2xx body that is
        not JSON (a proxy's HTML page) into {}, which must not read as "no settings at all"."""
        if not isinstance(data, dict) or (not data and not allow_empty) or (required_key and required_key not in data):
            raise ZoomUnavailable(f"Zoom's answer for the {what} was not the JSON object expected "
                                  "(an error page from a proxy?)")
        return data


_thread_local = threading.local()


def _thread_http_session() -> requests.Session:
    session = getattr(_thread_local, "http", None)
    if session is None:
        session = _thread_local.http = requests.Session()
    return session


def _json_or_none(response: requests.Response) -> dict | None:
    """The JSON object in `response`, or None when the body is not one (e.g. a proxy's HTML)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _json_or_empty(response: requests.Response) -> dict:
    return _json_or_none(response) or {}


def _content_type(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "unknown").split(";")[0].strip() or "unknown"


__all__ = ["ZoomClient", "ZoomError", "ZoomSettings", "build_client", "encode_meeting_uuid", "next_utc_midnight",
           "parse_retry_after", "settings_from_config", "zoom_enabled"]
