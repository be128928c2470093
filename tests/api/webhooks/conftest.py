"""A real webhook receiver on loopback that checks signatures with the Standard Webhooks
reference library, endpoints registered as an administrator would, and a controllable clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from panel_app.api.webhooks import EVENT_TYPES
from panel_app.api.webhooks import services as webhook_services
from panel_app.models import User, utcnow
from tests.api.conftest import admin_user, make_token, populate  # noqa: F401
from tests.factories import TEST_SECRET_KEY


@dataclass
class Received:
    headers: dict
    body: str
    verified: object  # the parsed payload, or the verification error


@dataclass
class Receiver:
    """Answers each POST with the next status of `answers` (then the last one forever)."""

    url: str
    secret: str = ""
    answers: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    @property
    def payloads(self) -> list[dict]:
        return [r.verified for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verified = Webhook(state.secret).verify(body, headers)
            except Exception as exc:  # recorded for the test to see
                verified = exc
            status = state.next_status()
            with state.lock:
                state.received.append(Received(headers=headers, body=body, verified=verified))
            answer = json.dumps({"ok": status < 300, "note": "reçu — " + "x" * 2000}, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/panel?source=ipu"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def make_endpoint(db, admin_user):  # noqa: F811
    """`make_endpoint(receiver, event_types=[...])` registers the receiver's URL; sets its secret."""

    def make(receiver: Receiver, event_types=EVENT_TYPES, url: str | None = None):
        created = webhook_services.create_endpoint(
            db.session, url=url or receiver.url, event_types=list(event_types),
            description="Parliaments CRM — Genève", user=db.session.get(User, admin_user.id),
            secret_key=TEST_SECRET_KEY, allow_private=True, now=utcnow())
        db.session.commit()
        receiver.secret = created.secret
        return created.endpoint

    return make


class Clock:
    """A clock the test moves: delivery code asks it for "now". It starts a few seconds ahead
    of the wall clock, as a worker that picks up what the test has just queued."""

    def __init__(self, start: datetime | None = None):
        self.now = start or utcnow() + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()
