"""The simulator alone over real HTTP: a started simulator, an authenticated API caller, a webhook receiver.

These tests talk to the simulator with `requests`, as any client would; the app is not involved.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing import ZoomSimulator

MEETING_ID = "81234567890"
WEBINAR_ID = "92345678901"
QUESTIONS = [{"title": "Affiliation type", "type": "short", "required": False, "answers": []},
             {"title": "Interpretation language", "type": "single", "required": True,
              "answers": ["en", "fr", "es"]}]


@pytest.fixture
def sim() -> Iterator[ZoomSimulator]:
    simulator = ZoomSimulator()
    simulator.add_meeting(MEETING_ID, topic="Solidarité parlementaire").custom_questions = list(QUESTIONS)
    simulator.add_meeting(WEBINAR_ID, kind="webinars", topic="Webinar panel").custom_questions = list(QUESTIONS)
    with simulator:
        yield simulator


class Api:
    """A minimal Zoom API caller: Server-to-Server OAuth token, then JSON calls under /v2."""

    def __init__(self, sim: ZoomSimulator):
        self.sim = sim
        self.session = requests.Session()
        self.token: str | None = None

    def fetch_token(self) -> requests.Response:
        return requests.post(self.sim.token_url, auth=(self.sim.client_id, self.sim.client_secret),
                             data={"grant_type": "account_credentials", "account_id": self.sim.account_id},
                             timeout=5)

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        if self.token is None:
            self.token = self.fetch_token().json()["access_token"]
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.sim.api_base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: dict, **kwargs) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: dict, **kwargs) -> requests.Response:
        return self.call("PATCH", path, json=body, **kwargs)

    def put(self, path: str, body: dict, **kwargs) -> requests.Response:
        return self.call("PUT", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def api(sim) -> Iterator[Api]:
    caller = Api(sim)
    yield caller
    caller.session.close()


def person(n: int = 1, **extra) -> dict:
    """An add-registrant body for a realistic registrant (accented, long names)."""
    return {"email": f"maria.jose{n}@parlamento.example", "first_name": "María-José",
            "last_name": "Ñúñez-Öztürk", "org": "Asamblea Nacional", "country": "ES", "language": "es-ES",
            "custom_questions": [{"title": "Interpretation language", "value": "es"}], **extra}


@dataclass
class Received:
    headers: dict
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on loopback that records notifications and answers as told."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    #: Answers to give, in order (status, delay in seconds); then 200 at once.
    answers: list[tuple[int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.received.append(Received(dict(request.headers), request.get_data(), time.monotonic()))
            status, delay = self.answers.pop(0) if self.answers else (200, 0.0)
        if delay:
            time.sleep(delay)
        return Response(b"{}", status=status, mimetype="application/json")(environ, start_response)

    def events(self) -> list[str]:
        with self.lock:
            return [r.json["event"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    server = make_server("127.0.0.1", 0, endpoint, threaded=True)
    endpoint.url = f"http://127.0.0.1:{server.server_port}/webhooks/zoom"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        thread.join(timeout=10)
