"""Readiness probe, request ids and structured logs."""

from __future__ import annotations

import io
import json
import logging

from panel_app.observability import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    RequestIdFilter,
    build_handler,
)


def test_readyz_reports_database_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_readyz_is_503_when_the_queue_is_unreachable(make_isolated_app):
    # Port 1 on loopback refuses connections at once: Redis "down" without waiting.
    app = make_isolated_app(REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "ok", "queue": "down"}
    assert app.test_client().get("/healthz").status_code == 200  # liveness does not depend on the queue


def test_readyz_and_healthz_are_503_when_the_database_is_unreachable(make_isolated_app):
    app = make_isolated_app(migrate=False, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["database"] == "down"


def test_a_sane_upstream_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "lb-4f2a.9"})
    assert response.headers[REQUEST_ID_HEADER] == "lb-4f2a.9"


def test_a_missing_or_unsafe_request_id_is_replaced(client):
    generated = client.get("/healthz").headers[REQUEST_ID_HEADER]
    assert len(generated) == 32
    other = client.get("/healthz").headers[REQUEST_ID_HEADER]
    assert other != generated
    forged = client.get("/healthz", headers={REQUEST_ID_HEADER: 'x" level=ERROR ' + "a" * 200})
    assert forged.headers[REQUEST_ID_HEADER] not in {generated, other}
    assert " " not in forged.headers[REQUEST_ID_HEADER]


def test_log_lines_are_json_with_the_request_id(make_isolated_app):
    app = make_isolated_app()
    stream = io.StringIO()
    handler = build_handler("json", stream)
    logger = logging.getLogger("tests.operations.sample")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    @app.get("/_test/log")
    def write_log():
        logger.info("registered %s people", 3, extra={"event_slug": "panel-1"})
        return "ok"

    try:
        response = app.test_client().get("/_test/log", headers={REQUEST_ID_HEADER: "req-123"})
        logger.info("outside any request")
    finally:
        logger.removeHandler(handler)
    assert response.headers[REQUEST_ID_HEADER] == "req-123"
    inside, outside = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert inside["message"] == "registered 3 people"
    assert inside["request_id"] == "req-123"
    assert inside["event_slug"] == "panel-1"
    assert inside["level"] == "INFO" and inside["logger"] == "tests.operations.sample"
    assert outside["request_id"] == "-"


def test_json_formatter_includes_exceptions():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad" in entry["exception"]
    assert entry["request_id"] == "-"


def test_logging_is_configured_from_config_outside_tests(make_isolated_app):
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    # An app built earlier in this process outside testing mode (e.g. a production-config
    # test) may have installed its handler already; set it aside so this test sees a fresh process.
    root.handlers = [h for h in before if not getattr(h, "_panel_app_handler", False)]
    try:
        make_isolated_app(LOG_CONFIGURE=True, LOG_FORMAT="json", LOG_LEVEL="WARNING")
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
        assert isinstance(added[0].formatter, JsonFormatter)
        assert root.level == logging.WARNING
        make_isolated_app(LOG_CONFIGURE=True)  # a second app in the process adds no second handler
        assert len([h for h in root.handlers if h not in before]) == 1
    finally:
        root.handlers = before
        root.setLevel(level)
