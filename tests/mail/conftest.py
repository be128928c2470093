"""A real SMTP server (aiosmtpd) on loopback, and helpers to point the app at it and drain mail."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from panel_app.mail import services
from panel_app.models import utcnow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Keeps every message received; refuses recipients listed in `refuse` with 550.

    `hold()` makes the server keep each message's final reply back (the sender waits, as on
    a slow server) until `release()`; `receiving` is set while a message is held.
    """

    def __init__(self):
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.held: threading.Event | None = None
        self.receiving = threading.Event()

    def hold(self):
        self.held = threading.Event()

    def release(self):
        if self.held is not None:
            self.held.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.held is not None:
            self.receiving.set()
            await asyncio.get_running_loop().run_in_executor(None, self.held.wait, 60)
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self.lock:
            return [message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


class StallingSmtp:
    """Accepts connections and never greets: a client blocks until its timeout, or until
    `close()` drops the connections and stops listening (the client then fails at once)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.connected.set()

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<port>; `stop()` / `start()` simulate an outage on the same port."""

    def __init__(self, port: int):
        self.port = port
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_to_smtp(app, monkeypatch):
    """Point the app's mail settings at an SMTP server: `mail_to_smtp(server)` or a bare port."""

    def configure(server_or_port):
        port = server_or_port if isinstance(server_or_port, int) else server_or_port.port
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Panel registrations <noreply@panel.test>")

    return configure


@pytest.fixture
def drain(db):
    """Deliver everything due now (what the after-commit job and the sweep do)."""

    def run(now=None, registration_id=None):
        return services.deliver_until_done(db.session, now_fn=(lambda: now) if now else utcnow,
                                           registration_id=registration_id)

    return run


@pytest.fixture(autouse=True)
def _empty_queue(empty_queue):
    """Every mail test starts with an empty job queue (see tests/conftest.py)."""

