"""A Zoom API simulator: a real HTTP server on loopback, for tests and local demos.

Written from Zoom's published reference (Server-to-Server OAuth; Meetings API: registrants,
registrant status, past meeting instances, participants report; webhook signing). It is
deliberately strict, so a client bug cannot hide behind it:

- OAuth: Basic auth with the app's client id/secret, `grant_type=account_credentials` and
  the right `account_id`. Each new token revokes the earlier ones (as the issue describes
  Zoom doing), so uncoordinated refreshes from several processes fail loudly. Tokens expire
  after `token_ttl` seconds or on `expire_tokens()`; API calls with an unknown or expired
  token get 401 with code 124.
- Payloads: JSON bodies only, unknown fields rejected (code 300), Zoom's field limits
  (first/last name 64 characters, custom question values 128, language in Zoom's list).
- Pagination: `page_size` at most 300 (or a smaller `page_size_cap` so tests reach page 2
  cheaply), opaque `next_page_token`s bound to their query; an unknown token is a 400.
- Limits: a per-second limit (429 without Retry-After, `X-RateLimit-Type: QPS`), a daily
  limit (429 with `Retry-After` as an ISO date-time), and Zoom's rule that one email may be
  added at most 3 times per day per meeting (the same registrant is returned each time, and
  every add is counted: `add_calls`).
- Faults: `fail_next(n, status)`, `delay_next(n, seconds)` (the request still takes effect
  after the delay, like a real timeout), `set_down(True)` (503 for everything).
- Meeting UUIDs in report paths: a UUID that starts with '/' or contains '//' only resolves
  when double-encoded.
- Webhooks: `send_webhook(url, event, obj)` posts a signed notification;
  `validate_endpoint(url)` runs Zoom's `endpoint.url_validation` challenge.

Run it for demos with `flask --app wsgi zoom simulator`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote

import requests
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

REGISTRANT_FIELDS = {
    "email", "first_name", "last_name", "address", "city", "state", "zip", "country", "phone", "comments",
    "custom_questions", "industry", "job_title", "no_of_employees", "org", "purchasing_time_frame",
    "role_in_purchase_process", "language", "auto_approve",
}
LANGUAGES = {"en-US", "de-DE", "es-ES", "fr-FR", "jp-JP", "pt-PT", "ru-RU", "zh-CN", "zh-TW", "ko-KO", "it-IT",
             "vi-VN", "pl-PL", "Tr-TR"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DAILY_ADDS_PER_EMAIL = 3


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class SimRegistrant:
    id: str
    email: str
    first_name: str
    last_name: str
    status: str  # approved | pending | denied | cancelled
    create_time: datetime
    join_url: str | None
    fields: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = {"id": self.id, "email": self.email, "first_name": self.first_name, "last_name": self.last_name,
                "status": self.status, "create_time": _iso(self.create_time)}
        for key in ("country", "org", "language", "custom_questions"):
            if key in self.fields:
                data[key] = self.fields[key]
        if self.join_url and self.status == "approved":
            data["join_url"] = self.join_url
        return data


@dataclass
class SimMeeting:
    id: str
    kind: str  # meetings | webinars
    topic: str
    start_time: datetime
    duration: int
    approval: str  # auto | manual
    registrants: dict[str, SimRegistrant] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    #: Ended instances: uuid -> start time.
    instances: dict[str, datetime] = field(default_factory=dict)
    #: Participants report rows per instance uuid.
    report: dict[str, list[dict]] = field(default_factory=dict)


class ZoomSimulator:
    """The simulator's state and control surface; `start()` serves it on 127.0.0.1."""

    def __init__(self, *, account_id: str = "sim-account", client_id: str = "sim-client-id",
                 client_secret: str = "sim-client-secret", webhook_secret: str = "sim-webhook-secret",
                 token_ttl: int = 3599, revoke_previous_tokens: bool = True, auto_create_meetings: bool = False,
                 page_size_cap: int = 300, host: str = "127.0.0.1", port: int = 0):
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_secret = webhook_secret
        self.token_ttl = token_ttl
        self.revoke_previous_tokens = revoke_previous_tokens
        self.auto_create_meetings = auto_create_meetings
        self.page_size_cap = page_size_cap
        self.host, self.port = host, port
        self._lock = threading.RLock()
        self.meetings: dict[str, SimMeeting] = {}
        self.tokens: dict[str, float] = {}  # token -> expiry (epoch seconds)
        self.token_requests = 0
        self.add_calls: dict[tuple[str, str], int] = defaultdict(int)  # (meeting id, email) -> adds today
        self.status_updates: list[tuple[str, str, list[str]]] = []
        self.request_log: list[tuple[float, str, str, int]] = []
        self._page_tokens: dict[str, tuple] = {}
        self._ids = itertools.count(1)
        self.rate_limit: int | None = None
        self._window: deque[float] = deque()
        self.daily_remaining: int | None = None
        self.daily_reset_at: datetime | None = None
        self.down = False
        self._failures: deque[int] = deque()
        self._delays: deque[float] = deque()
        self._server = None
        self._thread: threading.Thread | None = None
        self._url_map = Map([
            Rule("/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/v2/<any(meetings, webinars):kind>/<meeting_id>/registrants", endpoint="registrants",
                 methods=["GET", "POST"]),
            Rule("/v2/<any(meetings, webinars):kind>/<meeting_id>/registrants/status", endpoint="registrant_status",
                 methods=["PUT"]),
            Rule("/v2/<any(meetings, webinars):kind>/<meeting_id>/registrants/<registrant_id>",
                 endpoint="registrant", methods=["GET"]),
            Rule("/v2/past_meetings/<meeting_id>/instances", endpoint="instances", methods=["GET"]),
            Rule("/v2/report/<any(meetings, webinars):kind>/<path:meeting>/participants", endpoint="report",
                 methods=["GET"]),
        ], merge_slashes=False, strict_slashes=False)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "ZoomSimulator":
        self._server = make_server(self.host, self.port, self, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="zoom-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.root_url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}/oauth/token"

    def app_config(self) -> dict:
        """The app settings that point the Zoom client at this simulator."""
        return {"ZOOM_ACCOUNT_ID": self.account_id, "ZOOM_CLIENT_ID": self.client_id,
                "ZOOM_CLIENT_SECRET": self.client_secret, "ZOOM_WEBHOOK_SECRET_TOKEN": self.webhook_secret,
                "ZOOM_API_BASE_URL": self.api_base_url, "ZOOM_OAUTH_TOKEN_URL": self.token_url}

    # -- control ----------------------------------------------------------------------------

    def add_meeting(self, meeting_id: str, *, kind: str = "meetings", approval: str = "auto", topic: str = "Panel",
                    start_time: datetime | None = None, duration: int = 90) -> SimMeeting:
        with self._lock:
            meeting = SimMeeting(id=str(meeting_id), kind=kind, topic=topic,
                                 start_time=start_time or datetime.now(timezone.utc), duration=duration,
                                 approval=approval)
            self.meetings[meeting.id] = meeting
            return meeting

    def set_rate_limit(self, per_second: int | None) -> None:
        """Requests per rolling second before 429 (None: unlimited)."""
        with self._lock:
            self.rate_limit = per_second
            self._window.clear()

    def set_daily_limit(self, remaining: int | None, reset_at: datetime | None = None) -> None:
        """Allow `remaining` more API calls, then 429 with Retry-After = `reset_at` (None: unlimited)."""
        with self._lock:
            self.daily_remaining = remaining
            self.daily_reset_at = reset_at

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def delay_next(self, count: int, seconds: float) -> None:
        with self._lock:
            self._delays.extend([seconds] * count)

    def set_down(self, down: bool) -> None:
        self.down = down

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def add_instance(self, meeting_id: str, uuid: str, start_time: datetime, participants: list[dict]) -> None:
        """Record an ended meeting instance and its participants report rows (Zoom's field names)."""
        with self._lock:
            meeting = self.meetings[str(meeting_id)]
            meeting.instances[uuid] = start_time
            meeting.report[uuid] = list(participants)

    def registrants(self, meeting_id: str, status: str | None = None) -> list[SimRegistrant]:
        with self._lock:
            values = list(self.meetings[str(meeting_id)].registrants.values())
        return [r for r in values if status is None or r.status == status]

    def api_requests(self, since: float = 0.0) -> list[tuple[float, str, str, int]]:
        return [entry for entry in self.request_log if entry[0] >= since and not entry[2].startswith("/oauth")]

    # -- webhooks ---------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: str, secret: str | None = None) -> str:
        message = b"v0:" + timestamp.encode() + b":" + body
        digest = hmac.new((secret or self.webhook_secret).encode(), message, hashlib.sha256).hexdigest()
        return f"v0={digest}"

    def send_webhook(self, url: str, event: str, payload: dict, *, event_ts: int | None = None,
                     timestamp: int | None = None, secret: str | None = None, signature: str | None = None,
                     timeout: float = 5.0) -> requests.Response:
        """POST a signed notification like Zoom does; override timestamp/signature to forge one."""
        body = json.dumps({"event": event, "event_ts": event_ts or int(time.time() * 1000), "payload": payload},
                          separators=(",", ":")).encode()
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": "application/json", "x-zm-request-timestamp": ts,
                   "x-zm-signature": signature or self.sign(body, ts, secret)}
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    def validate_endpoint(self, url: str) -> bool:
        """Zoom's endpoint.url_validation challenge; True when the answer is correct."""
        plain = secrets.token_urlsafe(16)
        response = self.send_webhook(url, "endpoint.url_validation", {"plainToken": plain})
        if response.status_code != 200:
            return False
        expected = hmac.new(self.webhook_secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        body = response.json()
        return body.get("plainToken") == plain and hmac.compare_digest(str(body.get("encryptedToken")), expected)

    def meeting_object(self, meeting_id: str, uuid: str | None = None) -> dict:
        meeting = self.meetings[str(meeting_id)]
        return {"id": int(meeting.id) if meeting.id.isdigit() else meeting.id, "uuid": uuid or "",
                "host_id": "sim-host", "topic": meeting.topic, "type": 5 if meeting.kind == "webinars" else 2,
                "start_time": _iso(meeting.start_time), "timezone": "Europe/Zurich", "duration": meeting.duration}

    def participant_payload(self, meeting_id: str, uuid: str, participant: dict) -> dict:
        """Payload for meeting.participant_joined/left: `participant` holds Zoom's participant fields."""
        obj = self.meeting_object(meeting_id, uuid)
        obj["participant"] = participant
        return {"account_id": self.account_id, "object": obj}

    def registrant_payload(self, meeting_id: str, registrant: SimRegistrant) -> dict:
        obj = self.meeting_object(meeting_id)
        obj["registrant"] = registrant.as_json()
        return {"account_id": self.account_id, "object": obj}

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        status = 500
        try:
            response = self._dispatch(request)
        except _ApiError as exc:
            response = Response(json.dumps({"code": exc.code, "message": exc.message}), status=exc.status,
                                headers=exc.headers, mimetype="application/json")
        except MethodNotAllowed:
            response = Response(json.dumps({"code": 405, "message": "Method not allowed."}), status=405,
                                mimetype="application/json")
        except NotFound:
            response = Response(json.dumps({"code": 404, "message": "Not found."}), status=404,
                                mimetype="application/json")
        except HTTPException as exc:
            response = Response(json.dumps({"code": exc.code, "message": exc.description}), status=exc.code,
                                mimetype="application/json")
        status = response.status_code
        with self._lock:
            self.request_log.append((time.monotonic(), request.method, request.path, status))
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        adapter = self._url_map.bind_to_environ(request.environ)
        endpoint, args = adapter.match()
        if self.down:
            raise _ApiError(503, 503, "Service temporarily unavailable.")
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            delay = self._delays.popleft() if self._delays else None
        if failure:
            raise _ApiError(failure, failure, "Internal server error.")
        if delay:
            time.sleep(delay)
        if endpoint == "token":
            return self._token(request)
        self._authenticate(request)
        self._count_limits()
        return getattr(self, f"_api_{endpoint}")(request, **args)

    def _json(self, data, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        params = {**{k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}, **request.form.to_dict()}
        if auth is None or auth.type != "basic" or auth.username != self.client_id or auth.password != self.client_secret:
            raise _ApiError(401, 401, "Invalid client_id or client_secret")
        if params.get("grant_type") != "account_credentials":
            raise _ApiError(400, 400, "Unsupported grant type")
        if params.get("account_id") != self.account_id:
            raise _ApiError(400, 400, "Invalid account_id")
        token = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode()
        with self._lock:
            self.token_requests += 1
            if self.revoke_previous_tokens:
                self.tokens.clear()
            self.tokens[token] = time.time() + self.token_ttl
        return self._json({"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl,
                           "scope": "meeting:read:admin meeting:write:admin report:read:admin",
                           "api_url": self.api_base_url})

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _ApiError(401, 124, "Invalid access token.")
        expiry = self.tokens.get(header[len("Bearer "):])
        if expiry is None:
            raise _ApiError(401, 124, "Invalid access token.")
        if expiry <= time.time():
            raise _ApiError(401, 124, "Access token is expired.")

    def _count_limits(self) -> None:
        with self._lock:
            if self.daily_remaining is not None:
                if self.daily_remaining <= 0:
                    reset = self.daily_reset_at or (datetime.now(timezone.utc) + timedelta(days=1)).replace(
                        hour=0, minute=0, second=0, microsecond=0)
                    raise _ApiError(429, 429, "You have exceeded the daily rate limit of your account.", {
                        "X-RateLimit-Type": "Daily-limit", "X-RateLimit-Limit": "0",
                        "X-RateLimit-Remaining": "0", "Retry-After": _iso(reset)})
            if self.rate_limit is not None:
                now = time.monotonic()
                while self._window and now - self._window[0] >= 1.0:
                    self._window.popleft()
                if len(self._window) >= self.rate_limit:
                    raise _ApiError(429, 429, "You have reached the maximum per-second rate limit for this API. "
                                    "Try again later.", {"X-RateLimit-Type": "QPS",
                                                         "X-RateLimit-Category": "Light"})
                self._window.append(now)
            if self.daily_remaining is not None:
                self.daily_remaining -= 1

    def _meeting(self, kind: str, meeting_id: str) -> SimMeeting:
        with self._lock:
            meeting = self.meetings.get(meeting_id)
            if meeting is None and self.auto_create_meetings and meeting_id.isdigit():
                meeting = self.add_meeting(meeting_id, kind=kind)
        if meeting is None or meeting.kind != kind:
            noun = "Webinar" if kind == "webinars" else "Meeting"
            raise _ApiError(404, 3001 if kind == "meetings" else 3001, f"{noun} does not exist: {meeting_id}.")
        return meeting

    def _body(self, request: Request) -> dict:
        if request.mimetype != "application/json":
            raise _ApiError(400, 300, "Request body must be JSON (Content-Type: application/json).")
        try:
            data = json.loads(request.get_data(as_text=True))
        except ValueError:
            raise _ApiError(400, 300, "Invalid request body: malformed JSON.") from None
        if not isinstance(data, dict):
            raise _ApiError(400, 300, "Invalid request body.")
        return data

    def _page(self, request: Request, query: tuple, items: list[dict], key: str) -> Response:
        raw_size = request.args.get("page_size", "30")
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= 300:
            raise _ApiError(400, 300, "Invalid field: page_size must be between 1 and 300.")
        size = min(int(raw_size), self.page_size_cap)
        token = request.args.get("next_page_token")
        start = 0
        if token:
            with self._lock:
                saved = self._page_tokens.get(token)
            if saved is None or saved[0] != query:
                raise _ApiError(400, 300, "Invalid next_page_token.")
            start = saved[1]
        chunk = items[start:start + size]
        next_token = ""
        if start + size < len(items):
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._page_tokens[next_token] = (query, start + size)
        return self._json({"page_count": -(-len(items) // size) if items else 0, "page_size": size,
                           "total_records": len(items), "next_page_token": next_token, key: chunk})

    # -- API endpoints ----------------------------------------------------------------------

    def _api_registrants(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        if request.method == "GET":
            status = request.args.get("status", "approved")
            if status not in {"pending", "approved", "denied"}:
                raise _ApiError(400, 300, "Invalid field: status.")
            with self._lock:
                items = [r.as_json() for r in meeting.registrants.values() if r.status == status]
            return self._page(request, ("registrants", kind, meeting_id, status), items, "registrants")
        return self._add_registrant(meeting, self._body(request))

    def _add_registrant(self, meeting: SimMeeting, body: dict) -> Response:
        unknown = set(body) - REGISTRANT_FIELDS
        if unknown:
            raise _ApiError(400, 300, f"Invalid field: {', '.join(sorted(unknown))}.")
        email = body.get("email")
        if not isinstance(email, str) or not EMAIL_RE.match(email) or len(email) > 128:
            raise _ApiError(400, 300, "Invalid field: email.")
        for name, limit, required in (("first_name", 64, True), ("last_name", 64, False), ("org", 128, False),
                                      ("country", 2, False)):
            value = body.get(name)
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise _ApiError(400, 300, f"Invalid field: {name}.")
        if "country" in body and not re.fullmatch(r"[A-Z]{2}", body["country"]):
            raise _ApiError(400, 300, "Invalid field: country.")
        if "language" in body and body["language"] not in LANGUAGES:
            raise _ApiError(400, 300, "Invalid field: language.")
        questions = body.get("custom_questions", [])
        if not isinstance(questions, list) or any(
            not isinstance(q, dict) or set(q) != {"title", "value"} or not isinstance(q["title"], str)
            or not isinstance(q["value"], str) or len(q["value"]) > 128 for q in questions
        ):
            raise _ApiError(400, 300, "Invalid field: custom_questions.")
        key = email.casefold()
        with self._lock:
            if self.add_calls[(meeting.id, key)] >= DAILY_ADDS_PER_EMAIL:
                reset = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                                 microsecond=0)
                raise _ApiError(429, 429, "This registrant has been added too many times today.",
                                {"Retry-After": _iso(reset)})
            self.add_calls[(meeting.id, key)] += 1
            existing_id = meeting.by_email.get(key)
            if existing_id:
                registrant = meeting.registrants[existing_id]
                if registrant.status in {"cancelled", "denied"}:
                    registrant.status = "approved" if meeting.approval == "auto" else "pending"
            else:
                rid = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode().rstrip("=")
                status = "approved" if meeting.approval == "auto" else "pending"
                registrant = SimRegistrant(
                    id=rid, email=email, first_name=body["first_name"], last_name=body.get("last_name", ""),
                    status=status, create_time=datetime.now(timezone.utc),
                    join_url=f"{self.root_url}/w/{meeting.id}?tk={secrets.token_urlsafe(12)}",
                    fields={k: body[k] for k in ("country", "org", "language", "custom_questions") if k in body})
                meeting.registrants[rid] = registrant
                meeting.by_email[key] = rid
        data = {"id": int(meeting.id) if meeting.id.isdigit() else meeting.id, "registrant_id": registrant.id,
                "start_time": _iso(meeting.start_time), "topic": meeting.topic, "occurrences": []}
        if registrant.status == "approved":
            data["join_url"] = registrant.join_url
        return self._json(data, 201)

    def _api_registrant(self, request: Request, kind: str, meeting_id: str, registrant_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        registrant = meeting.registrants.get(registrant_id)
        if registrant is None or registrant.status == "cancelled":
            raise _ApiError(404, 3043, "Registrant does not exist.")
        return self._json(registrant.as_json())

    def _api_registrant_status(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        body = self._body(request)
        if set(body) - {"action", "registrants"} or body.get("action") not in {"approve", "deny", "cancel"}:
            raise _ApiError(400, 300, "Invalid field: action.")
        people = body.get("registrants")
        if not isinstance(people, list) or not 1 <= len(people) <= 30:
            raise _ApiError(400, 300, "Invalid field: registrants (1 to 30 entries).")
        with self._lock:
            targets = []
            for person in people:
                if not isinstance(person, dict) or set(person) - {"id", "email"}:
                    raise _ApiError(400, 300, "Invalid field: registrants.")
                registrant = meeting.registrants.get(str(person.get("id")))
                if registrant is None or ("email" in person and person["email"].casefold() != registrant.email.casefold()):
                    raise _ApiError(400, 3033, f"Registrant {person.get('id')} does not exist.")
                targets.append(registrant)
            new_status = {"approve": "approved", "deny": "denied", "cancel": "cancelled"}[body["action"]]
            for registrant in targets:
                registrant.status = new_status
            self.status_updates.append((meeting.id, body["action"], [r.id for r in targets]))
        return Response(status=204)

    def _api_instances(self, request: Request, meeting_id: str) -> Response:
        meeting = self._meeting("meetings", meeting_id)
        with self._lock:
            items = [{"uuid": uuid, "start_time": _iso(start)} for uuid, start in meeting.instances.items()]
        return self._json({"meetings": items})

    def _api_report(self, request: Request, kind: str, meeting: str) -> Response:
        # WSGI already decoded the path once. A single-encoded UUID containing '/' therefore
        # arrives split into segments; Zoom fails to find it, and so do we.
        if "/" in meeting:
            raise _ApiError(404, 3001, "Meeting does not exist (UUIDs with '/' must be double-encoded).")
        value = unquote(meeting) if "%" in meeting else meeting
        with self._lock:
            found = None
            for candidate in self.meetings.values():
                if candidate.kind != kind:
                    continue
                if value in candidate.report:
                    found = (candidate, value)
                elif value == candidate.id and candidate.report:
                    latest = max(candidate.instances, key=candidate.instances.get)
                    found = (candidate, latest)
            if found is None:
                raise _ApiError(404, 3001, f"Meeting does not exist: {value}.")
            rows = list(found[0].report[found[1]])
        return self._page(request, ("report", kind, value), rows, "participants")


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin demo entry point
    """`python -m panel_app.zoom.simulator`: same as `flask zoom simulator` without the app."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate-limit", type=int, default=None)
    args = parser.parse_args(argv)
    sim = ZoomSimulator(port=args.port, auto_create_meetings=True)
    sim.set_rate_limit(args.rate_limit)
    sim.start()
    for key, value in sim.app_config().items():
        print(f"{key}={value}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
