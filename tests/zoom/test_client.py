"""The Zoom client against the simulator over real HTTP: OAuth, token cache, limits, faults on API calls."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models.zoom import ZoomApiState
from panel_app.zoom.client import build_client, encode_meeting_uuid, next_utc_midnight, parse_retry_after
from panel_app.zoom.errors import (
    ZoomAuthError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestRejected,
    ZoomUnavailable,
    registrant_gone,
)
from panel_app.zoom.ratelimit import classify_429
from tests.zoom.conftest import MEETING_ID, WEBINAR_ID

PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>"


def body(n: int = 0, **extra) -> dict:
    names = ["María-José", "Jean-Baptiste", "Søren", "Zoë"]
    return {"email": f"mp{n}@parliament.example", "first_name": names[n % len(names)], "last_name": "Ñúñez-Öztürk",
            **extra}


def api_statuses(sim) -> list[int]:
    return [entry[3] for entry in sim.api_requests()]


def test_token_is_fetched_once_and_shared_through_the_database(zoom_client, zoom_config, sim):
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    other = build_client(zoom_config, db.engine)  # another process would build its own client
    other.add_registrant("meetings", MEETING_ID, body(2))
    other.close()
    assert sim.token_requests == 1
    row = db.session.scalar(sa.select(ZoomApiState))
    assert row.access_token and row.expires_at > datetime.now(UTC) + timedelta(minutes=50)


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
    assert sim.token_requests == 1
    assert len(sim.registrants(MEETING_ID)) == 8


def test_wrong_credentials_raise_an_auth_error(zoom_config, sim, db):
    zoom_config["ZOOM_CLIENT_SECRET"] = "wrong"
    client = build_client(zoom_config, db.engine)
    with pytest.raises(ZoomAuthError, match="credentials"):
        client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.registrants(MEETING_ID) == []


# -- faults on the API calls themselves (never the token fetch) --------------------------------

def test_per_second_429_storm_on_api_calls_backs_off_and_gets_through(zoom_client, sim):
    sim.set_rate_limit(3)
    for n in range(12):
        zoom_client.add_registrant("meetings", MEETING_ID, body(n))
    assert 429 in api_statuses(sim)  # our pace was set far above the limit: the storm happened
    assert len(sim.registrants(MEETING_ID)) == 12
    assert sim.token_requests == 1


def test_server_errors_on_an_api_call_are_retried(zoom_client, sim):
    sim.fail_next(3, status=502)  # aimed at API calls: the token fetch is not touched
    result = zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.pending_faults() == 0
    assert api_statuses(sim) == [502, 502, 502, 201]
    assert [p.id for p in sim.registrants(MEETING_ID)] == [result["registrant_id"]]


def test_persistent_server_errors_on_api_calls_raise_unavailable_after_the_retries(zoom_client, zoom_config, sim):
    sim.set_down(True)
    with pytest.raises(ZoomUnavailable, match="503"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert api_statuses(sim) == [503] * (zoom_config["ZOOM_MAX_RETRIES"] + 1)
    assert sim.token_requests == 1


def test_a_timed_out_api_call_is_retried_and_zoom_keeps_one_registrant(zoom_client, sim):
    sim.delay_next(1, 1.0)  # longer than the 0.5 s read timeout; Zoom still performs the add
    result = zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.pending_faults() == 0
    assert [p.id for p in sim.registrants(MEETING_ID)] == [result["registrant_id"]]


def test_a_proxy_html_error_page_is_retried(zoom_client, sim):
    sim.respond_next(2, 502, PROXY_PAGE)
    result = zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert result["registrant_id"] and sim.pending_faults() == 0


def test_a_2xx_html_page_in_place_of_zoom_json_is_unavailable_not_a_crash(zoom_client, zoom_config, sim):
    sim.respond_next(zoom_config["ZOOM_MAX_RETRIES"] + 1, 200, "<html><body>Please sign in to the proxy</body></html>")
    with pytest.raises(ZoomUnavailable, match="not JSON"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.registrants(MEETING_ID) == []


def test_a_proxy_html_refusal_is_rejected_with_a_readable_reason(zoom_client, sim):
    sim.respond_next(1, 403, "<html><body>Forbidden by policy</body></html>")
    with pytest.raises(ZoomRequestRejected, match="text/html page"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))


# -- daily limits ------------------------------------------------------------------------------

def test_daily_limit_of_the_account_pauses_every_client_until_zooms_reset(zoom_client, zoom_config, sim, db):
    reset = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    sim.set_daily_limit(1, reset_at=reset)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    assert info.value.scope == "account" and info.value.retry_at == reset
    sent = len(sim.api_requests())
    other = build_client(zoom_config, db.engine)
    with pytest.raises(ZoomRateLimited):
        other.add_registrant("meetings", MEETING_ID, body(3))
    other.close()
    assert len(sim.api_requests()) == sent  # paused: nothing sent until the reset time


def test_daily_limit_without_a_date_pauses_the_account_until_the_next_utc_midnight(zoom_client, sim, db):
    sim.respond_next(1, 429, '{"code": 429, "message": "You have exceeded the daily rate limit of your account."}',
                     content_type="application/json")
    before = datetime.now(UTC)
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    midnight = next_utc_midnight(before)
    assert info.value.scope == "account" and info.value.retry_at == midnight
    assert db.session.scalar(sa.select(ZoomApiState.paused_until)) == midnight
    with pytest.raises(ZoomRateLimited):  # every call waits, without asking Zoom
        zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    assert len(sim.api_requests()) == 1


def test_fourth_add_of_one_email_in_a_day_waits_for_utc_midnight_without_pausing_others(zoom_client, sim, db):
    for _ in range(3):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.scope == "item" and info.value.retry_at == next_utc_midnight(datetime.now(UTC))
    assert len(sim.registrants(MEETING_ID)) == 1
    assert db.session.scalar(sa.select(ZoomApiState.paused_until)) is None
    zoom_client.add_registrant("meetings", MEETING_ID, body(2))  # the account is not paused


@pytest.mark.parametrize(("method", "path", "headers", "message", "scope"), [
    ("POST", "/webinars/9/registrants", {}, "You have exceeded the daily rate limit (3) of Webinar Batch Registration "
     "API requests permitted for (a@b.example) this particular registrant. You may resume these requests at "
     "GMT 00:00:00.", "item"),
    ("POST", "/meetings/9/registrants", {"X-RateLimit-Category": "Light"}, "You have exceeded the daily rate limit "
     "of (3) for Add a meeting registrant API requests for the registrant (a@b.example). You can resume these "
     "API requests at GMT 00:00:00.", "item"),
    ("PATCH", "/meetings/9", {}, "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
     "permitted for this particular user. You may resume these requests at GMT 00:00:00.", "item"),
    ("GET", "/report/meetings/9/participants", {"X-RateLimit-Type": "Daily-limit",
                                                "Retry-After": "2026-12-01T00:00:00Z"}, "Too many requests.",
     "account"),
    ("POST", "/meetings/9/registrants", {"X-RateLimit-Type": "QPS"},
     "You have reached the maximum per-second rate limit for this API. Try again later.", "second"),
])
def test_429s_are_told_apart_by_zooms_headers_and_wording(method, path, headers, message, scope):
    now = datetime(2026, 11, 30, 21, 15, tzinfo=UTC)
    found, retry_at = classify_429(method, path, headers, message, now)
    assert found == scope
    if scope != "second":
        assert retry_at == datetime(2026, 12, 1, tzinfo=UTC)


# -- registrants -------------------------------------------------------------------------------

def test_unknown_meeting_is_not_found_and_bad_payload_is_rejected(zoom_client):
    with pytest.raises(ZoomNotFound):
        zoom_client.add_registrant("meetings", "999", body(1))
    with pytest.raises(ZoomRequestRejected, match="first_name"):
        zoom_client.add_registrant("meetings", MEETING_ID, {"email": "a@b.example", "first_name": "x" * 65})


def test_a_status_change_never_sends_an_empty_email(zoom_client, sim):
    registrant_id = zoom_client.add_registrant("meetings", MEETING_ID, body(1))["registrant_id"]
    zoom_client.update_registrant_status("meetings", MEETING_ID, "cancel", [{"id": registrant_id, "email": ""}])
    assert [p.status for p in sim.registrants(MEETING_ID)] == ["denied"]  # Zoom lists cancelled people as denied
    with pytest.raises(ValueError):
        zoom_client.update_registrant_status("meetings", MEETING_ID, "cancel", [{"id": "", "email": ""}])


def test_deleting_a_registrant_removes_them_and_zoom_then_no_longer_knows_the_id(zoom_client, sim):
    registrant_id = zoom_client.add_registrant("meetings", MEETING_ID, body(1))["registrant_id"]
    zoom_client.delete_registrant("meetings", MEETING_ID, registrant_id)
    assert sim.registrants(MEETING_ID) == []
    with pytest.raises(ZoomRequestRejected) as deleted_again:  # "Delete a meeting registrant": 400, code 300
        zoom_client.delete_registrant("meetings", MEETING_ID, registrant_id)
    with pytest.raises(ZoomNotFound) as read_again:
        zoom_client.get_registrant("meetings", MEETING_ID, registrant_id)
    assert registrant_gone(deleted_again.value) and registrant_gone(read_again.value)
    with pytest.raises(ZoomNotFound) as meeting_gone:
        zoom_client.get_registrant("meetings", "99999999999", registrant_id)
    assert not registrant_gone(meeting_gone.value)  # the meeting is missing, not the registrant


def test_registrant_list_follows_every_page(zoom_client, sim):
    sim.page_size_cap = 7
    for n in range(20):
        zoom_client.add_registrant("webinars", WEBINAR_ID, body(n))
    listed = list(zoom_client.iter_registrants("webinars", WEBINAR_ID, "approved"))
    assert len(listed) == 20 and len({p["id"] for p in listed}) == 20


def test_simulator_rejects_a_forged_page_token(zoom_client):
    with pytest.raises(ZoomRequestRejected, match="next page token is invalid"):
        zoom_client.request("GET", f"/meetings/{MEETING_ID}/registrants", params={"next_page_token": "forged"})


# -- reports -----------------------------------------------------------------------------------

def test_report_uuid_with_slashes_is_double_encoded_and_asks_for_registrant_ids(zoom_client, sim):
    uuid = "/aB3//kLm9+xyz=="
    rows = [{"id": "", "name": "María-José Ñúñez-Öztürk", "user_email": "", "join_time": "2024-01-01T10:00:00Z",
             "leave_time": "2024-01-01T10:30:00Z", "duration": 1800, "registrant_id": "reg-1",
             "status": "in_meeting"}]
    sim.add_instance(MEETING_ID, uuid, datetime(2024, 1, 1, 10, tzinfo=UTC), rows)
    assert encode_meeting_uuid(uuid) == "%252FaB3%252F%252FkLm9%252Bxyz%253D%253D"
    [served] = zoom_client.iter_report_participants("meetings", uuid)
    assert served["registrant_id"] == "reg-1"  # only there with include_fields=registrant_id
    # Single encoding (the classic bug) is refused by the simulator as it is by Zoom.
    with pytest.raises(ZoomNotFound):
        zoom_client.request("GET", "/report/meetings/%2FaB3%2F%2FkLm9%2Bxyz%3D%3D/participants")


def test_past_instances_of_meetings_and_webinars(zoom_client, sim):
    start = datetime(2026, 9, 26, 13, tzinfo=UTC)
    sim.add_instance(MEETING_ID, "meeting-instance==", start, [])
    sim.add_instance(WEBINAR_ID, "webinar-instance==", start, [])
    assert [i["uuid"] for i in zoom_client.past_instances("meetings", MEETING_ID)] == ["meeting-instance=="]
    assert [i["uuid"] for i in zoom_client.past_instances("webinars", WEBINAR_ID)] == ["webinar-instance=="]


def test_retry_after_accepts_seconds_http_dates_and_iso_dates():
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_retry_after("30", now) == now + timedelta(seconds=30)
    assert parse_retry_after("2024-05-02T00:00:00Z", now) == datetime(2024, 5, 2, tzinfo=UTC)
    assert parse_retry_after("Thu, 02 May 2024 00:00:00 GMT", now) == datetime(2024, 5, 2, tzinfo=UTC)
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
