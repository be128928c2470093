"""Faults for tests: errors, delays, foreign answers (a proxy's HTML page) and outages, aimed at a target.

A target says which requests a fault may hit: "api" (every API call, never the OAuth token
endpoint; the default, so a fault reaches the code under test and not only the token fetch),
"token" (the OAuth token endpoint only), "all", or a path prefix such as "/v2/report/".
Faults are consumed in the order they were queued, each by the first request it matches.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

TOKEN_PATH = "/oauth/token"


def matches(target: str, path: str) -> bool:
    if target == "all":
        return True
    if target == "api":
        return path != TOKEN_PATH
    if target == "token":
        return path == TOKEN_PATH
    if target.startswith("/"):
        return path.startswith(target)
    raise ValueError(f"unknown fault target {target!r}: use 'api', 'token', 'all' or a path prefix")


@dataclass
class _Fault:
    kind: str  # fail | delay | respond
    target: str
    status: int = 500
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"


class FaultsMixin:
    """`fail_next`, `delay_next`, `respond_next`, `set_down`; applied before anything else."""

    def _init_faults(self) -> None:
        self._fault_lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._down_target: str | None = None

    def fail_next(self, count: int, status: int = 500, *, target: str = "api") -> None:
        """The next `count` matching requests get `status` with a Zoom-shaped JSON error and have no effect."""
        matches(target, "/")  # validate the target now, not at the request
        with self._fault_lock:
            self._faults.extend(_Fault("fail", target, status=status) for _ in range(count))

    def delay_next(self, count: int, seconds: float, *, target: str = "api") -> None:
        """The next `count` matching requests wait `seconds`, then take effect (a timeout that still happened)."""
        matches(target, "/")
        with self._fault_lock:
            self._faults.extend(_Fault("delay", target, seconds=seconds) for _ in range(count))

    def respond_next(self, count: int, status: int, body: str | bytes,
                     content_type: str = "text/html; charset=utf-8", *, target: str = "api") -> None:
        """The next `count` matching requests get this raw answer (e.g. a proxy's HTML 502 page), no effect."""
        matches(target, "/")
        raw = body.encode() if isinstance(body, str) else body
        with self._fault_lock:
            self._faults.extend(_Fault("respond", target, status=status, body=raw, content_type=content_type)
                                for _ in range(count))

    def set_down(self, down: bool, *, target: str = "api") -> None:
        """While down, matching requests get 503 (default: API calls; "all" takes OAuth down too)."""
        matches(target, "/")
        self._down_target = target if down else None

    @property
    def down(self) -> bool:
        return self._down_target is not None

    def pending_faults(self) -> int:
        """How many queued faults no request has consumed yet (a test can assert they all hit)."""
        with self._fault_lock:
            return len(self._faults)

    def _apply_faults(self, request: Request) -> Response | None:
        """A fault's answer for this request, or None to serve it normally (after any delay)."""
        path = request.path
        if self._down_target is not None and matches(self._down_target, path):
            return _error(503, "Service temporarily unavailable.")
        with self._fault_lock:
            answer = next((f for f in self._faults if f.kind != "delay" and matches(f.target, path)), None)
            delay = next((f for f in self._faults if f.kind == "delay" and matches(f.target, path)), None)
            for fault in (answer, delay):
                if fault is not None:
                    self._faults.remove(fault)
        if delay is not None:
            time.sleep(delay.seconds)
        if answer is not None:
            if answer.kind == "fail":
                return _error(answer.status, "Internal server error." if answer.status >= 500 else "Fault.")
            return Response(answer.body, status=answer.status, content_type=answer.content_type)
        return None


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"code": status, "message": message}), status=status, mimetype="application/json")
