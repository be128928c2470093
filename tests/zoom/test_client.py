"""The Zoom client against the simulator over real HTTP: OAuth, token cache, limits, faults."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models.zoom import ZoomApiState
from panel_app.zoom.client import build_client, encode_meeting_uuid, parse_retry_after
from panel_app.zoom.errors import (
    ZoomAuthError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestRejected,
    ZoomUnavailable,
)
from tests.zoom.conftest import MEETING_ID, WEBINAR_ID


def body(n: int = 0, **extra) -> dict:
    return {"email": f"mp{n}@parliament.example", "first_name": f"Amina{n}", "last_name": "Diallo", **extra}


def test_token_is_fetched_once_and_shared_through_the_database(zoom_client, zoom_config, sim):
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    other = build_client(zoom_config, db.engine)  # another process would build its own client
    other.add_registrant("meetings", MEETING_ID, body(2))
    other.close()
    assert sim.token_requests == 1
    row = db.session.scalar(sa.select(ZoomApiState))
    assert row.access_token and row.expires_at > datetime.now(timezone.utc) + timedelta(minutes=50)


def test_token_is_refreshed_a_minute_before_it_expires(zoom_client, sim):
    sim.token_ttl = 60  # valid for 60 s: inside the one-minute margin at once
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    assert sim.token_requests == 2


def test_expired_token_code_124_refreshes_once_and_retries(zoom_client, sim):
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    sim.expire_tokens()
    zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    assert sim.token_requests == 2
    assert len(sim.registrants(MEETING_ID)) == 2


def test_concurrent_threads_refresh_the_token_only_once(zoom_config, sim, app, db):
    errors: list[Exception] = []

    def work(n):
        with app.app_context():
            client = build_client(zoom_config, db.engine)
            try:
                client.add_registrant("meetings", MEETING_ID, body(n))
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
            finally:
                client.close()
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # The simulator revokes earlier tokens on each new one: uncoordinated refreshes would fail.
    assert sim.token_requests == 1
    assert len(sim.registrants(MEETING_ID)) == 8


def test_wrong_credentials_raise_an_auth_error(zoom_config, sim, db):
    zoom_config["ZOOM_CLIENT_SECRET"] = "wrong"
    client = build_client(zoom_config, db.engine)
    with pytest.raises(ZoomAuthError, match="credentials"):
        client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.registrants(MEETING_ID) == []


def test_per_second_429_storm_backs_off_and_gets_through(zoom_client, sim):
    sim.set_rate_limit(3)
    for n in range(12):
        zoom_client.add_registrant("meetings", MEETING_ID, body(n))
    statuses = [entry[3] for entry in sim.api_requests()]
    assert 429 in statuses  # our pace was set far above the limit: the storm happened
    assert len(sim.registrants(MEETING_ID)) == 12


def test_daily_limit_raises_with_retry_at_and_pauses_every_client(zoom_client, zoom_config, sim, db):
    reset = (datetime.now(timezone.utc) + timedelta(hours=5)).replace(microsecond=0)
    sim.set_daily_limit(1, reset_at=reset)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    assert info.value.daily and info.value.retry_at == reset
    sent = len(sim.api_requests())
    other = build_client(zoom_config, db.engine)
    with pytest.raises(ZoomRateLimited):
        other.add_registrant("meetings", MEETING_ID, body(3))
    other.close()
    assert len(sim.api_requests()) == sent  # paused: nothing sent until the reset time


def test_server_errors_are_retried(zoom_client, sim):
    sim.fail_next(3, status=502)
    result = zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert result["registrant_id"]


def test_persistent_server_errors_raise_unavailable(zoom_client, sim):
    sim.set_down(True)
    with pytest.raises(ZoomUnavailable):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))


def test_timeouts_are_retried_and_zoom_keeps_one_registrant(zoom_client, sim):
    sim.delay_next(1, 1.0)  # longer than the 0.5 s read timeout; Zoom still performs the add
    result = zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    people = sim.registrants(MEETING_ID)
    assert [p.id for p in people] == [result["registrant_id"]]


def test_unknown_meeting_is_not_found_and_bad_payload_is_rejected(zoom_client):
    with pytest.raises(ZoomNotFound):
        zoom_client.add_registrant("meetings", "999", body(1))
    with pytest.raises(ZoomRequestRejected, match="first_name"):
        zoom_client.add_registrant("meetings", MEETING_ID, {"email": "a@b.example", "first_name": "x" * 65})


def test_registrant_list_follows_every_page(zoom_client, sim):
    sim.page_size_cap = 7
    for n in range(20):
        zoom_client.add_registrant("webinars", WEBINAR_ID, body(n))
    listed = list(zoom_client.iter_registrants("webinars", WEBINAR_ID, "approved"))
    assert len(listed) == 20 and len({p["id"] for p in listed}) == 20


def test_simulator_rejects_a_forged_page_token(zoom_client):
    with pytest.raises(ZoomRequestRejected, match="next page token is invalid"):
        zoom_client.request("GET", f"/meetings/{MEETING_ID}/registrants", params={"next_page_token": "forged"})


def test_report_uuid_with_slashes_is_double_encoded(zoom_client, sim):
    uuid = "/aB3//kLm9+xyz=="
    rows = [{"id": "", "name": "Guest", "user_email": "", "join_time": "2024-01-01T10:00:00Z",
             "leave_time": "2024-01-01T10:30:00Z", "duration": 1800}]
    sim.add_instance(MEETING_ID, uuid, datetime(2024, 1, 1, 10, tzinfo=timezone.utc), rows)
    assert encode_meeting_uuid(uuid) == "%252FaB3%252F%252FkLm9%252Bxyz%253D%253D"
    assert list(zoom_client.iter_report_participants("meetings", uuid)) == rows
    # Single encoding (the classic bug) is refused by the simulator as it is by Zoom.
    with pytest.raises(ZoomNotFound):
        zoom_client.request("GET", "/report/meetings/%2FaB3%2F%2FkLm9%2Bxyz%3D%3D/participants")


def test_retry_after_accepts_seconds_http_dates_and_iso_dates():
    now = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert parse_retry_after("30", now) == now + timedelta(seconds=30)
    assert parse_retry_after("2024-05-02T00:00:00Z", now) == datetime(2024, 5, 2, tzinfo=timezone.utc)
    assert parse_retry_after("Thu, 02 May 2024 00:00:00 GMT", now) == datetime(2024, 5, 2, tzinfo=timezone.utc)
    assert parse_retry_after("soon", now) is None


@pytest.mark.redis
def test_redis_token_cache_is_shared_and_refreshed_once(zoom_config, sim, db):
    import os
    import uuid

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL not set")
    zoom_config["ZOOM_REDIS_URL"] = url
    zoom_config["ZOOM_REDIS_PREFIX"] = f"test-zoom-{uuid.uuid4().hex}"
    try:
        first, second = build_client(zoom_config, db.engine), build_client(zoom_config, db.engine)
        first.add_registrant("meetings", MEETING_ID, body(1))
        second.add_registrant("meetings", MEETING_ID, body(2))
        sim.expire_tokens()
        second.add_registrant("meetings", MEETING_ID, body(3))
        first.add_registrant("meetings", MEETING_ID, body(4))
        assert sim.token_requests == 2
    finally:
        import redis

        conn = redis.Redis.from_url(url)
        for key in conn.scan_iter(f"{zoom_config['ZOOM_REDIS_PREFIX']}*"):
            conn.delete(key)
        zoom_config.pop("ZOOM_REDIS_PREFIX")


def test_fourth_add_of_one_email_in_a_day_waits_for_tomorrow_without_pausing_others(zoom_client, sim):
    for _ in range(3):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.retry_at > datetime.now(timezone.utc)
    assert len(sim.registrants(MEETING_ID)) == 1
    zoom_client.add_registrant("meetings", MEETING_ID, body(2))  # the account is not paused
