"""`ZoomSimulator`: a real HTTP server on loopback that answers like Zoom's API, and its control surface."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections import defaultdict
from datetime import datetime

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.faults import TOKEN_PATH, FaultsMixin
from panel_app.zoom.testing.limits import CATEGORY_HEAVY, CATEGORY_LIGHT, CATEGORY_MEDIUM, LimitsMixin
from panel_app.zoom.testing.meetings import MeetingsMixin
from panel_app.zoom.testing.model import ApiError, SimClock, SimRegistrant
from panel_app.zoom.testing.oauth import OAuthMixin
from panel_app.zoom.testing.registrants import RegistrantsMixin
from panel_app.zoom.testing.reports import ReportsMixin
from panel_app.zoom.testing.webhooks import WebhooksMixin

_KIND = "<any(meetings, webinars):kind>"

#: (rule, endpoint, methods, Rate Limit Label from each endpoint's API reference page).
ROUTES = [
    (f"/v2/{_KIND}/<meeting_id>", "meeting", ["GET", "PATCH"], CATEGORY_LIGHT),
    (f"/v2/users/<user_id>/{_KIND}", "create_meeting", ["POST"], CATEGORY_MEDIUM),
    (f"/v2/{_KIND}/<meeting_id>/registrants", "registrants", ["GET", "POST"], CATEGORY_MEDIUM),
    (f"/v2/{_KIND}/<meeting_id>/registrants/status", "registrant_status", ["PUT"], CATEGORY_MEDIUM),
    (f"/v2/{_KIND}/<meeting_id>/registrants/questions", "questions", ["GET", "PATCH"], CATEGORY_LIGHT),
    (f"/v2/{_KIND}/<meeting_id>/registrants/<registrant_id>", "registrant", ["GET", "DELETE"], CATEGORY_LIGHT),
    ("/v2/<any(past_meetings, past_webinars):past>/<path:meeting>/instances", "instances", ["GET"],
     CATEGORY_MEDIUM),
    (f"/v2/report/{_KIND}/<path:meeting>/participants", "report", ["GET"], CATEGORY_HEAVY),
]


class ZoomSimulator(FaultsMixin, LimitsMixin, OAuthMixin, MeetingsMixin, RegistrantsMixin, ReportsMixin,
                    WebhooksMixin):
    """The simulator's state and control surface; `start()` serves it on 127.0.0.1 (see the package docstring)."""

    def __init__(self, *, account_id: str = "sim-account", client_id: str = "sim-client-id",
                 client_secret: str = "sim-client-secret", webhook_secret: str = "sim-webhook-secret",
                 token_ttl: int = 3599, revoke_previous_tokens: bool = False, auto_create_meetings: bool = False,
                 page_size_cap: int = 300, clock: SimClock | None = None, host: str = "127.0.0.1", port: int = 0):
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.auto_create_meetings = auto_create_meetings
        self.page_size_cap = page_size_cap
        self.clock = clock or SimClock()
        self.host, self.port = host, port
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.add_calls: dict[tuple[str, str], int] = defaultdict(int)
        self.request_log: list[tuple[float, str, str, int]] = []
        self._server = None
        self._thread: threading.Thread | None = None
        self._init_faults()
        self._init_limits()
        self._init_oauth(token_ttl, revoke_previous_tokens)
        self._init_meetings()
        self._init_registrants()
        self._init_reports()
        self._init_webhooks(webhook_secret)
        self._categories = {endpoint: category for _, endpoint, _, category in ROUTES}
        self._url_map = Map(
            [Rule(TOKEN_PATH, endpoint="token", methods=["POST"])]
            + [Rule(rule, endpoint=endpoint, methods=methods) for rule, endpoint, methods, _ in ROUTES],
            merge_slashes=False, strict_slashes=False)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ZoomSimulator:
        self._server = make_server(self.host, self.port, self, threaded=True)
        self.port = self._server.server_port
        # A short poll interval keeps stop() quick (tests start and stop a simulator each).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="zoom-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop_delivery()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> ZoomSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.root_url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}{TOKEN_PATH}"

    def app_config(self) -> dict:
        """The app settings that point the Zoom client at this simulator."""
        return {"ZOOM_ACCOUNT_ID": self.account_id, "ZOOM_CLIENT_ID": self.client_id,
                "ZOOM_CLIENT_SECRET": self.client_secret, "ZOOM_WEBHOOK_SECRET_TOKEN": self.webhook_secret,
                "ZOOM_API_BASE_URL": self.api_base_url, "ZOOM_OAUTH_TOKEN_URL": self.token_url}

    # -- clock and inspection ---------------------------------------------------------------

    def advance(self, delta) -> datetime:
        """Move the sim clock forward (a timedelta or seconds); returns the new time."""
        return self.clock.advance(delta)

    def registrants(self, meeting_id: str, status: str | None = None) -> list[SimRegistrant]:
        """The registrants Zoom holds for a meeting or webinar, optionally of one status."""
        with self._lock:
            values = list(self.meetings[str(meeting_id)].registrants.values())
        return [r for r in values if status is None or r.status == status]

    def api_requests(self, since: float = 0.0) -> list[tuple[float, str, str, int]]:
        """`request_log` entries (monotonic time, method, path, status) of API calls, without OAuth."""
        with self._lock:
            return [entry for entry in self.request_log if entry[0] >= since and entry[2] != TOKEN_PATH]

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._fault_or_dispatch(request)
        with self._lock:
            self.request_log.append((time.monotonic(), request.method, request.path, response.status_code))
        return response(environ, start_response)

    def _fault_or_dispatch(self, request: Request) -> Response:
        try:
            adapter = self._url_map.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return _error(405, 405, "Method not allowed.")
        except NotFound:
            # Zoom's answer to an unknown path (observed): 404 with code 404.
            return _error(404, 404, "Not found.")
        except HTTPException as exc:  # pragma: no cover - werkzeug's other routing errors
            return _error(exc.code or 400, exc.code or 400, exc.description or "Bad request.")
        fault = self._apply_faults(request)
        if fault is not None:
            return fault
        try:
            if endpoint == "token":
                return self._token(request)
            self._authenticate(request)
            headers = self._check_limits(self._categories[endpoint])
            response = getattr(self, f"_api_{endpoint}")(request, **args)
            response.headers.update(headers)
            return response
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message, exc.headers, exc.errors)

    # -- helpers shared by the endpoint mixins ----------------------------------------------

    def _json(self, data, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _body(self, request: Request) -> dict:
        # Every write endpoint takes `application/json` ("Using Zoom APIs"); anything else is a 400.
        if request.mimetype != "application/json":
            raise ApiError(400, 300, "Request Body should be a valid JSON object.")
        try:
            data = json.loads(request.get_data(as_text=True), parse_constant=_reject_constant)
        except ValueError:
            raise ApiError(400, 300, "Request Body should be a valid JSON object.") from None
        if not isinstance(data, dict):
            raise ApiError(400, 300, "Request Body should be a valid JSON object.")
        return data

    def _page(self, request: Request, query: tuple, items: list[dict], key: str, *, default_size: int = 30,
              extra: dict | None = None) -> Response:
        """One page of `items` as Zoom paginates ("Pagination": `page_size` at most 300, an opaque
        `next_page_token` valid for 15 minutes, empty on the last page)."""
        raw_size = request.args.get("page_size", str(default_size))
        if not raw_size.isdigit() or int(raw_size) < 1:
            raise ApiError(400, 300, "Invalid field: page_size.")
        # A page_size above 300 is not an error: Zoom serves at most 300 ("Pagination").
        size = min(int(raw_size), 300, self.page_size_cap)
        token = request.args.get("next_page_token")
        start = 0
        if token:
            with self._lock:
                saved = self._page_tokens.get(token)
            if saved is None or saved[0] != query or saved[2] <= self.clock.timestamp():
                # Error tables of the paginated endpoints: 400 code 300 "The next page token is invalid or
                # expired." (tokens expire after 15 minutes).
                raise ApiError(400, 300, "The next page token is invalid or expired.")
            start = saved[1]
        chunk = items[start:start + size]
        next_token = ""
        if start + size < len(items):
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._page_tokens[next_token] = (query, start + size, self.clock.timestamp() + 15 * 60)
        return self._json({**(extra or {}), "page_count": -(-len(items) // size) if items else 0,
                           "page_size": size, "total_records": len(items), "next_page_token": next_token,
                           key: chunk})


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _error(status: int, code: int, message: str, headers: dict | None = None,
           errors: list | None = None) -> Response:
    body = {"code": code, "message": message, **({"errors": errors} if errors else {})}
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")
