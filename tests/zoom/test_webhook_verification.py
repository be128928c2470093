"""Who gets in at POST /webhooks/zoom: Zoom's signature rule, strict JSON, and the limit on failed verifications.

"Verify webhook events" (https://developers.zoom.us/docs/api/webhooks/): x-zm-signature is
"v0=" + HMAC-SHA256(secret token, "v0:{x-zm-request-timestamp}:{body}") in hex.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

import pytest
import requests

from panel_app.zoom.webhook_events import event_time
from panel_app.zoom.webhooks import MAX_CLOCK_SKEW_SECONDS, MAX_JSON_DEPTH, parse_message, verify
from tests.zoom.test_webhooks import deliveries, hook_url  # noqa: F401 - the shared fixture

SECRET = "wh-secret-Ωmega"
BODY = json.dumps({"event": "meeting.participant_joined", "event_ts": 1764547200000,
                   "payload": {"object": {"id": "81234567890", "topic": "Solidarité parlementaire"}}},
                  ensure_ascii=False).encode()
NOW = 1764547205.4


def signed(timestamp: str, body: bytes = BODY, secret: str = SECRET) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# -- verify: each reason ----------------------------------------------------------------------

def test_a_correctly_signed_request_within_five_minutes_either_way_is_authentic():
    for skew in (-MAX_CLOCK_SKEW_SECONDS, 0, MAX_CLOCK_SKEW_SECONDS):
        timestamp = str(int(NOW) + skew)
        assert verify(SECRET, timestamp, signed(timestamp), BODY, float(int(NOW))) is None


@pytest.mark.parametrize(("secret", "timestamp", "signature", "now", "reason"), [
    (None, "1764547205", signed("1764547205"), NOW, "webhook secret not configured"),
    ("", "1764547205", signed("1764547205"), NOW, "webhook secret not configured"),
    (SECRET, None, signed("1764547205"), NOW, "missing signature headers"),
    (SECRET, "", signed("1764547205"), NOW, "missing signature headers"),
    (SECRET, "1764547205", None, NOW, "missing signature headers"),
    (SECRET, "1764547205", "", NOW, "missing signature headers"),
    (SECRET, "yesterday", signed("yesterday"), NOW, "bad timestamp"),
    (SECRET, "１７６４５４７２０５", signed("1764547205"), NOW, "bad timestamp"),  # digits int() takes, not ASCII
    (SECRET, "1764547205.0", signed("1764547205.0"), NOW, "bad timestamp"),
    (SECRET, str(int(NOW) - 301), signed(str(int(NOW) - 301)), float(int(NOW)), "stale timestamp"),
    (SECRET, str(int(NOW) + 301), signed(str(int(NOW) + 301)), float(int(NOW)), "stale timestamp"),
    (SECRET, "1764547205", signed("1764547205", secret="another-secret"), NOW, "bad signature"),
    (SECRET, "1764547205", signed("1764547204"), NOW, "bad signature"),  # signed for another timestamp
    (SECRET, "1764547205", signed("1764547205", body=BODY + b" "), NOW, "bad signature"),
    (SECRET, "1764547205", signed("1764547205").removeprefix("v0="), NOW, "bad signature"),
    (SECRET, "1764547205", "v0=é" + signed("1764547205")[4:], NOW, "bad signature"),
    (SECRET, "1764547205", "v0=\udc80" + signed("1764547205")[4:], NOW, "bad signature"),  # not even UTF-8
])
def test_each_unauthentic_request_gets_its_own_reason(secret, timestamp, signature, now, reason):
    assert verify(secret, timestamp, signature, BODY, now) == reason


@pytest.mark.parametrize(("case", "headers", "reason"), [
    ("no secret configured", None, "webhook secret not configured"),
    ("no signature", {"x-zm-request-timestamp": "now"}, "missing signature headers"),
    ("garbage timestamp", {"x-zm-request-timestamp": "yesterday", "x-zm-signature": "v0=00"}, "bad timestamp"),
    ("replayed", {"x-zm-request-timestamp": "stale", "x-zm-signature": "ok"}, "stale timestamp"),
    ("forged", {"x-zm-request-timestamp": "now", "x-zm-signature": "forged"}, "bad signature"),
])
def test_a_refused_notification_is_logged_with_its_reason_and_answered_401(sim, hook_url, app, monkeypatch, caplog,  # noqa: F811
                                                                           case, headers, reason):
    now = str(int(time.time()))
    stale = str(int(time.time()) - 3600)
    if headers is None:
        monkeypatch.setitem(app.config, "ZOOM_WEBHOOK_SECRET_TOKEN", None)
        headers = {"x-zm-request-timestamp": now, "x-zm-signature": sim.sign(BODY, now)}
    else:
        headers = dict(headers)
        headers["x-zm-request-timestamp"] = {"now": now, "stale": stale}.get(headers["x-zm-request-timestamp"],
                                                                             headers["x-zm-request-timestamp"])
        if headers.get("x-zm-signature") == "ok":
            headers["x-zm-signature"] = sim.sign(BODY, stale)
        elif headers.get("x-zm-signature") == "forged":
            headers["x-zm-signature"] = sim.sign(BODY, now, secret="a-guess")
    caplog.set_level(logging.WARNING, logger="panel_app.zoom.webhooks")
    response = requests.post(hook_url, data=BODY, timeout=5, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 401 and response.json() == {"error": "invalid signature"}, case
    assert [r.getMessage() for r in caplog.records if r.name == "panel_app.zoom.webhooks"] == [
        f"zoom webhook refused: {reason}"]
    assert deliveries() == 0


# -- parse_message ----------------------------------------------------------------------------

def nested(depth: int, leaf) -> dict:
    """A message whose innermost value sits `depth` levels down (the message itself is level 1)."""
    value = leaf
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_zoom_sized_nesting_is_accepted_and_anything_deeper_refused():
    assert parse_message(json.dumps(nested(MAX_JSON_DEPTH, 1)).encode()) == nested(MAX_JSON_DEPTH, 1)
    assert parse_message(json.dumps(nested(MAX_JSON_DEPTH + 1, 1)).encode()) is None
    in_lists = {"payload": [[[[1]]]]}
    assert parse_message(json.dumps(in_lists).encode()) == in_lists
    assert parse_message(json.dumps(nested(MAX_JSON_DEPTH - 1, [1])).encode()) is not None
    assert parse_message(json.dumps(nested(MAX_JSON_DEPTH - 1, [[1]])).encode()) is None


@pytest.mark.parametrize("body", [
    b'{"event": "meeting.ended", "payload": {"object": {"topic\\u0000": "x"}}}',  # NUL in a key
    b'{"event": "meeting.ended", "payload": {"object": {"\\udc80": "x"}}}',  # lone surrogate in a key
    b'{"event": "meeting.ended", "payload": {"object": {"tags": ["ok", "a\\u0000b"]}}}',  # NUL in a list
    b'{"event": "meeting.ended", "payload": {"object": {"tags": [["\\ud800"]]}}}',  # surrogate in a list
    b'"a string"', b"42", b"null",
])
def test_values_no_database_can_store_anywhere_in_the_message_are_refused(body):
    assert parse_message(body) is None


def test_plain_zoom_json_with_accents_and_emoji_is_kept_as_sent():
    body = json.dumps({"event": "meeting.participant_joined", "payload": {"object": {
        "topic": "Égalité des genres 🇫🇷", "participant": {"user_name": "Zoë O'Connor-Þórsdóttir", "email": ""},
        "duration": 90, "ratio": 1.5, "flags": [True, None]}}}, ensure_ascii=False).encode()
    assert parse_message(body) == json.loads(body)


# -- event_ts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1764547200000", 0, -5, 10**14, 10**15, True, None, 1e300])
def test_an_unusable_event_ts_gives_no_instant(value):
    assert event_time({"event_ts": value}) is None


def test_event_ts_is_read_as_milliseconds():
    assert event_time({"event_ts": 1764547200123}) == datetime(2025, 12, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert event_time({"event_ts": 1764547200123.0}) == datetime(2025, 12, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert event_time({"event_ts": 1}) == datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)  # any positive instant
    assert event_time({"event_ts": 10**14 - 1}) is not None


# -- the limit on failed verifications --------------------------------------------------------

def test_failed_verifications_are_limited_per_address_and_per_deployment(zoom_config, database_url, tmp_path):
    """Behind a load balancer (PROXY_FIX_X_FOR) each client address has its own count; a second deployment
    sharing the same limit store under its own RATELIMIT_KEY_PREFIX counts apart."""
    from panel_app.extensions import db, limiter
    from panel_app.queue import queue
    from tests.apps import build_app, serving

    shared = queue._last
    application = build_app(tmp_path / "limited", database_url, RATELIMIT_ENABLED=True,
                            RATELIMIT_STORAGE_URI="memory://", RATELIMIT_WEBHOOK="3 per minute",
                            RATELIMIT_KEY_PREFIX="panel-geneva", PROXY_FIX_X_FOR=1,
                            **{k: v for k, v in zoom_config.items() if k.startswith("ZOOM_")})

    def forged(url, address):
        return requests.post(url, data=BODY, timeout=5, headers={
            "X-Forwarded-For": address, "x-zm-request-timestamp": str(int(time.time())),
            "x-zm-signature": "v0=" + "0" * 64}).status_code

    try:
        with serving(application) as base:
            url = f"{base}/webhooks/zoom"
            scanner = [forged(url, "203.0.113.7") for _ in range(5)]
            other = [forged(url, "198.51.100.20") for _ in range(3)]
            application.config["RATELIMIT_KEY_PREFIX"] = "panel-new-york"  # the other deployment
            elsewhere = forged(url, "203.0.113.7")
    finally:
        with application.app_context():
            db.engine.dispose()
        queue._last = shared
        limiter.init_app(shared.app)
    assert scanner == [401, 401, 401, 429, 429]
    assert other == [401, 401, 401]
    assert elsewhere == 401


def test_with_rate_limiting_disabled_failed_verifications_are_never_limited(sim, hook_url, app, monkeypatch):  # noqa: F811
    assert app.config["RATELIMIT_ENABLED"] is False
    monkeypatch.setitem(app.config, "RATELIMIT_WEBHOOK", "2 per minute")
    answers = [requests.post(hook_url, data=BODY, timeout=5, headers={
        "x-zm-request-timestamp": str(int(time.time())), "x-zm-signature": "v0=" + "0" * 64}).status_code
        for _ in range(4)]
    assert answers == [401] * 4
