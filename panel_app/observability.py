"""Request ids and structured logs.

Every request gets an id: the load balancer's `X-Request-ID` when it sends a sane one,
else a fresh one. It is echoed in the response (so a visitor's report or an nginx log line
leads to the app's log lines) and attached to every log record written while the request
is handled. Logs are one JSON object per line when `LOG_FORMAT=json` (the production
default), plain text otherwise; `LOG_LEVEL` sets the level.

Paths are logged with their URL rule (`/registrations/<token>`), never the real path, so
private tokens do not end up in log files.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
#: Accept upstream ids that are short and plain; anything else could forge log lines.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}

_handler_marker = "_panel_app_handler"
log = logging.getLogger("panel_app.request")


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def build_handler(log_format: str, stream=None) -> logging.Handler:
    """A stream handler with the request-id filter and the configured format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(app: Flask) -> None:
    """Send the root logger to stderr in the configured format (once per process).

    Skipped under tests (pytest captures logs itself) unless LOG_CONFIGURE is true.
    """
    if app.testing and not app.config.get("LOG_CONFIGURE"):
        return
    root = logging.getLogger()
    if any(getattr(h, _handler_marker, False) for h in root.handlers):
        return
    handler = build_handler(app.config.get("LOG_FORMAT", "text"))
    setattr(handler, _handler_marker, True)
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def init_app(app: Flask) -> None:
    """Request ids on every request and response; logging configured from config."""
    configure_logging(app)

    @app.before_request
    def _start_request() -> None:
        current_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish_request(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        started = g.get("request_started")
        if started is not None and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "request",
                extra={
                    "method": request.method,
                    "route": request.url_rule.rule if request.url_rule else "(no route)",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response
