"""The Zoom client against the simulator over real HTTP: OAuth, token cache, limits, faults on API calls."""

from __future__ import annotations

import json
import logging
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
    with pytest.raises(ZoomAuthError, match="credentials: Invalid client_id or client_secret"):
        client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.registrants(MEETING_ID) == []


@pytest.mark.parametrize(("status", "answer", "reason"), [
    (400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, "Invalid client_id"),
    (401, {"message": "Invalid access token."}, "Invalid access token."),
    (400, {"error": "unsupported_grant_type"}, "unsupported_grant_type"),
    (400, {}, "no access token"),
    (200, {"token_type": "bearer", "expires_in": 3599}, "no access token"),  # 200 without a token is a refusal too
])
def test_a_refused_token_request_says_zooms_reason(zoom_client, sim, status, answer, reason):
    sim.respond_next(1, status, json.dumps(answer), content_type="application/json", target="token")
    with pytest.raises(ZoomAuthError, match=f"Zoom refused the credentials: {reason}") as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.status == status and sim.api_requests() == []


def test_a_server_error_of_the_token_endpoint_is_retried(zoom_client, sim):
    sim.fail_next(2, status=500, target="token")
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.pending_faults() == 0 and len(sim.registrants(MEETING_ID)) == 1


def test_a_token_endpoint_that_never_answers_fails_within_the_read_timeout(zoom_client, zoom_config, sim):
    attempts = zoom_config["ZOOM_MAX_RETRIES"] + 1
    sim.delay_next(attempts, 1.0, target="token")  # the read timeout is 0.5 s
    with pytest.raises(ZoomUnavailable, match="OAuth unreachable: ReadTimeout"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert sim.api_requests() == []


def test_only_api_calls_count_as_requests_sent(zoom_client, sim):
    assert zoom_client.requests_sent == 0
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == 1 and sim.token_requests == 1


def test_clients_of_one_zoom_account_share_one_pace_and_other_accounts_have_their_own(zoom_config, db):
    first, second = build_client(zoom_config, db.engine), build_client(zoom_config, db.engine)
    zoom_config["ZOOM_ACCOUNT_ID"] = "another-parliament-account"
    other_account = build_client(zoom_config, db.engine)
    assert first.pacer is second.pacer
    assert other_account.pacer is not first.pacer


def test_an_add_answered_without_a_registrant_id_is_not_taken_for_a_success(zoom_client, sim):
    sim.respond_next(1, 201, json.dumps({"id": 85746065432, "topic": "Parliamentary solidarity"}),
                     content_type="application/json")
    with pytest.raises(ZoomUnavailable, match="no registrant_id"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))


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


# -- how long retries wait -------------------------------------------------------------------------

def test_retries_wait_twice_as_long_each_time_from_the_base_delay_with_jitter(zoom_client, zoom_config, sim,
                                                                               monkeypatch):
    monkeypatch.setattr("panel_app.zoom.client.random.random", lambda: 0.25)  # jitter factor 0.5 + 0.25
    slept: list[float] = []
    zoom_client.sleep = slept.append
    sim.fail_next(4, status=502)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    base = zoom_config["ZOOM_RETRY_BASE_DELAY"]
    assert slept == pytest.approx([base * 0.75, base * 2 * 0.75, base * 4 * 0.75, base * 8 * 0.75])


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.5), (0.999, 1.499)])
def test_a_retry_waits_at_most_thirty_seconds_give_or_take_the_jitter(zoom_config, sim, db, monkeypatch, draw,
                                                                      factor):
    zoom_config["ZOOM_RETRY_BASE_DELAY"] = 20.0  # the second wait would be 40 s without the cap
    client = build_client(zoom_config, db.engine)
    monkeypatch.setattr("panel_app.zoom.client.random.random", lambda: draw)
    slept: list[float] = []
    client.sleep = slept.append
    sim.fail_next(2, status=500)
    client.add_registrant("meetings", MEETING_ID, body(1))
    assert slept == pytest.approx([20.0 * factor, 30.0 * factor])


# -- registrants: status changes and lists ---------------------------------------------------------

@pytest.mark.parametrize(("action", "status"), [("approve", "approved"), ("deny", "denied"), ("cancel", "denied")])
def test_each_documented_status_action_reaches_zoom(zoom_client, sim, action, status):
    sim.meetings[MEETING_ID].approval = "manual"  # "approve" and "deny" apply to people who wait
    ids = [zoom_client.add_registrant("meetings", MEETING_ID, body(n))["registrant_id"] for n in range(2)]
    if action == "cancel":
        zoom_client.update_registrant_status("meetings", MEETING_ID, "approve", [{"id": i} for i in ids])
    zoom_client.update_registrant_status("meetings", MEETING_ID, action, [{"id": i} for i in ids])
    assert sim.status_updates[-1] == (MEETING_ID, action, ids)
    assert [p.status for p in sim.registrants(MEETING_ID)] == [status, status]


def test_an_unknown_status_action_is_refused_before_calling_zoom(zoom_client, sim):
    registrant_id = zoom_client.add_registrant("meetings", MEETING_ID, body(1))["registrant_id"]
    sent = len(sim.api_requests())
    for action in ("APPROVE", "delete", ""):
        with pytest.raises(ValueError, match="unknown registrant action"):
            zoom_client.update_registrant_status("meetings", MEETING_ID, action, [{"id": registrant_id}])
    assert len(sim.api_requests()) == sent


def test_a_status_change_may_name_a_registrant_by_email_alone(zoom_client, sim):
    zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    zoom_client.update_registrant_status("meetings", MEETING_ID, "cancel",
                                         [{"id": None, "email": "mp2@parliament.example"}])
    assert [p.status for p in sim.registrants(MEETING_ID)] == ["denied"]
    with pytest.raises(ValueError) as refused:
        zoom_client.update_registrant_status("meetings", MEETING_ID, "cancel",
                                             [{"email": "mp2@parliament.example"}, {"id": None, "email": None}])
    assert str(refused.value) == "every registrant needs an id or an email"


def test_registrant_lists_ask_for_the_status_wanted_in_pages_of_three_hundred(zoom_client, sim):
    sim.meetings[MEETING_ID].approval = "manual"
    ids = [zoom_client.add_registrant("meetings", MEETING_ID, body(n))["registrant_id"] for n in range(45)]
    zoom_client.update_registrant_status("meetings", MEETING_ID, "approve", [{"id": i} for i in ids[:5]])
    before = len(sim.api_requests())
    pending = list(zoom_client.iter_registrants("meetings", MEETING_ID, "pending"))
    approved = list(zoom_client.iter_registrants("meetings", MEETING_ID, "approved"))
    assert [p["id"] for p in pending] == ids[5:] and [p["id"] for p in approved] == ids[:5]
    assert len(sim.api_requests()) - before == 2  # 40 people: one page each at 300 a page (Zoom's default is 30)


# -- reports: every page -----------------------------------------------------------------------------

def test_a_participants_report_of_a_large_panel_is_read_to_its_last_page(zoom_client, sim):
    uuid = "kLm9+xyzAB3/cd=="
    start = datetime(2026, 9, 26, 13, tzinfo=UTC)
    rows = [{"id": "", "name": f"Délégué·e n° {n} de l'Assemblée nationale", "user_email": "",
             "join_time": "2026-09-26T13:00:00Z", "leave_time": "2026-09-26T14:00:00Z", "duration": 3600,
             "registrant_id": f"reg-{n}", "status": "in_meeting"} for n in range(650)]
    sim.add_instance(MEETING_ID, uuid, start, rows)
    before = len(sim.api_requests())
    served = list(zoom_client.iter_report_participants("meetings", uuid))
    assert [row["registrant_id"] for row in served] == [f"reg-{n}" for n in range(650)]
    assert len(sim.api_requests()) - before == 3  # 300 + 300 + 50


@pytest.mark.parametrize("content_type", ["", "; charset=utf-8"])
def test_a_refusal_page_without_a_media_type_is_described_as_an_unknown_page(zoom_client, sim, content_type):
    sim.respond_next(1, 403, "Forbidden", content_type=content_type)
    with pytest.raises(ZoomRequestRejected, match=r"\(a unknown page, not Zoom's JSON\)"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))


@pytest.mark.parametrize(("uuid", "segment"), [
    ("4444AAAiAAAAAiAiAiiAii==", "4444AAAiAAAAAiAiAiiAii%3D%3D"),  # plain: encoded once
    ("aB3+kLm9xyz==", "aB3%2BkLm9xyz%3D%3D"),  # no slash: once
    ("aB3/kLm9+xyz==", "aB3%252FkLm9%252Bxyz%253D%253D"),  # a slash inside: twice (see encode_meeting_uuid)
    ("/aB3kLm9xyz==", "%252FaB3kLm9xyz%253D%253D"),  # starts with a slash: twice (Zoom's reference)
    ("aB3//kLm9xyz==", "aB3%252F%252FkLm9xyz%253D%253D"),  # contains "//": twice (Zoom's reference)
])
def test_meeting_uuids_with_a_slash_are_encoded_twice_and_others_once(uuid, segment):
    assert encode_meeting_uuid(uuid) == segment


# -- the retry budget and what each failure says -----------------------------------------------------

ZOOM_JSON = "application/json"


def test_a_paused_account_is_refused_without_a_call_and_says_until_when(zoom_client, zoom_config, sim, db):
    reset = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    sim.set_daily_limit(1, reset_at=reset)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    with pytest.raises(ZoomRateLimited):
        zoom_client.add_registrant("meetings", MEETING_ID, body(2))
    sent = len(sim.api_requests())
    with pytest.raises(ZoomRateLimited) as paused:
        zoom_client.add_registrant("meetings", MEETING_ID, body(3))
    assert len(sim.api_requests()) == sent
    error = paused.value
    assert (error.scope, error.retry_at, error.status) == ("account", reset, 429)
    assert error.message == "Zoom's daily request limit for the account was reached"


def test_timeouts_and_server_errors_share_one_retry_budget_and_each_retry_is_logged(zoom_client, zoom_config, sim,
                                                                                    caplog):
    caplog.set_level(logging.INFO, logger="panel_app.zoom.client")
    # A delay and an answer both apply to the next request: the first two time out (0.5 s read timeout)
    # before their 502 is read; the next ones get the 502.
    sim.delay_next(2, 1.0)
    sim.fail_next(2 + zoom_config["ZOOM_MAX_RETRIES"] - 1, status=502)
    with pytest.raises(ZoomUnavailable, match="Zoom server error"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == zoom_config["ZOOM_MAX_RETRIES"] + 1
    path = f"/meetings/{MEETING_ID}/registrants"
    assert [r.getMessage() for r in caplog.records if r.name == "panel_app.zoom.client"] == [
        f"zoom POST {path}: ReadTimeout, retry 1", f"zoom POST {path}: ReadTimeout, retry 2",
        f"zoom POST {path}: HTTP 502, retry 3", f"zoom POST {path}: HTTP 502, retry 4"]


def test_an_api_call_that_never_answers_gives_up_after_the_retries(zoom_client, zoom_config, sim):
    attempts = zoom_config["ZOOM_MAX_RETRIES"] + 1
    sim.delay_next(attempts, 1.0)
    with pytest.raises(ZoomUnavailable, match=r"Zoom did not answer \(ReadTimeout\)"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == attempts


def test_a_timed_out_call_is_sent_again_once(zoom_client, sim):
    sim.delay_next(1, 1.0)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == 2 and len(sim.registrants(MEETING_ID)) == 1


def test_answers_that_are_not_json_use_the_same_budget_and_keep_their_status(zoom_client, zoom_config, sim):
    attempts = zoom_config["ZOOM_MAX_RETRIES"] + 1
    sim.respond_next(attempts, 200, "<html><body>Please sign in to the proxy</body></html>")
    with pytest.raises(ZoomUnavailable) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == attempts
    assert str(info.value) == "Zoom's answer was not JSON (text/html) (HTTP 200)"


def test_an_answer_outside_2xx_is_never_taken_for_a_success(zoom_client, sim):
    sim.respond_next(1, 300, json.dumps({"registrant_id": "from-a-proxy", "join_url": "https://proxy.example/"}),
                     content_type=ZOOM_JSON)
    with pytest.raises(ZoomRequestRejected):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))


def test_zooms_own_json_error_is_reported_as_zoom_wrote_it(zoom_client):
    with pytest.raises(ZoomRequestRejected) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, {"email": "a@b.example", "first_name": "x" * 65})
    assert "page" not in info.value.message and info.value.status == 400 and info.value.code == 300
    assert "first_name" in info.value.message


def test_an_error_without_a_message_is_named_by_its_reason_phrase(zoom_client, sim):
    sim.respond_next(1, 403, b"", content_type=ZOOM_JSON)
    with pytest.raises(ZoomRequestRejected) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.message == "FORBIDDEN" and info.value.status == 403


def test_a_long_error_message_is_cut_at_five_hundred_characters(zoom_client, sim):
    sim.respond_next(1, 400, json.dumps({"code": 300, "message": "Délégation " + "é" * 1000}), content_type=ZOOM_JSON)
    with pytest.raises(ZoomRequestRejected) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert len(info.value.message) == 500 and info.value.message.startswith("Délégation éé")


def test_a_code_that_is_not_zooms_integer_is_not_taken_for_zooms_code(zoom_client, sim):
    sim.respond_next(1, 404, json.dumps({"code": "3001", "message": "Not here"}), content_type=ZOOM_JSON)
    with pytest.raises(ZoomNotFound) as info:
        zoom_client.get_registrant("meetings", MEETING_ID, "reg-1")
    assert info.value.code is None and not registrant_gone(info.value)


def test_a_401_other_than_an_expired_token_fails_at_once_without_a_new_token(zoom_client, sim):
    sim.respond_next(1, 401, json.dumps({"code": 4711, "message": "Invalid access token, does not contain scopes."}),
                     content_type=ZOOM_JSON)
    with pytest.raises(ZoomAuthError, match="does not contain scopes") as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.code == 4711 and sim.token_requests == 1 and zoom_client.requests_sent == 1


def test_a_token_refused_again_after_one_refresh_fails_instead_of_looping(zoom_client, sim):
    expired = json.dumps({"code": 124, "message": "Invalid access token."})
    sim.respond_next(2, 401, expired, content_type=ZOOM_JSON)
    with pytest.raises(ZoomAuthError, match="Invalid access token") as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert info.value.code == 124 and sim.token_requests == 2 and zoom_client.requests_sent == 2


def test_a_lone_429_at_our_pace_is_retried_at_the_next_slot_without_sleeping(zoom_client, sim):
    slept: list[float] = []
    zoom_client.sleep = slept.append
    sim.respond_next(1, 429, json.dumps({"code": 429, "message": "You have reached the maximum per-second rate "
                                                          "limit for this API."}), content_type=ZOOM_JSON)
    zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert slept == [] and zoom_client.requests_sent == 2


# -- 429s read from Zoom's answers --------------------------------------------------------------------

QPS_429 = json.dumps({"code": 429, "message": "You have reached the maximum per-second rate limit for this API."})


def test_a_persisting_429_backs_off_more_each_time_then_gives_up_for_half_a_minute(zoom_client, zoom_config, sim,
                                                                                  monkeypatch):
    monkeypatch.setattr("panel_app.zoom.client.random.uniform", lambda low, high: (low + high) / 2)
    slept: list[float] = []
    penalties: list[float] = []
    zoom_client.sleep = slept.append
    monkeypatch.setattr(zoom_client.pacer, "penalise", penalties.append)
    limit = zoom_config.get("ZOOM_MAX_RATE_LIMIT_RETRIES", 8)
    sim.respond_next(limit + 1, 429, QPS_429, content_type=ZOOM_JSON)
    before = datetime.now(UTC)
    with pytest.raises(ZoomRateLimited, match="Zoom kept rate-limiting") as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    # The first 429 waits for the next pacing slot only; then 0.2 s, doubling, at most 8 x 0.2 s.
    expected = [0.2 * min(2 ** (n - 2), 8) for n in range(2, limit + 1)]
    assert slept == pytest.approx(expected) and penalties == pytest.approx(expected)
    assert zoom_client.requests_sent == limit + 1
    error = info.value
    assert error.scope == "second" and error.status == 429 and error.code == 429
    assert before + timedelta(seconds=29) < error.retry_at < datetime.now(UTC) + timedelta(seconds=31)


def test_the_accounts_daily_limit_is_recorded_with_zooms_words_and_raised_with_its_code(zoom_client, sim, db):
    message = "You have exceeded the daily rate limit of your account."
    sim.respond_next(1, 429, json.dumps({"code": 429, "message": message}), content_type=ZOOM_JSON)
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    error = info.value
    assert (error.scope, error.status, error.code) == ("account", 429, 429)
    assert error.message == f"Zoom's daily limit for the account: {message}"
    assert db.session.scalar(sa.select(ZoomApiState.pause_reason)) == message


def test_a_registrants_own_limit_is_raised_with_zooms_code_without_pausing_anyone(zoom_client, sim, db):
    message = "Too many requests for this registrant."  # no "daily": the endpoint, an add, tells
    sim.respond_next(1, 429, json.dumps({"code": 429, "message": message}), content_type=ZOOM_JSON)
    with pytest.raises(ZoomRateLimited) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    error = info.value
    assert (error.scope, error.status, error.code) == ("item", 429, 429)
    assert error.message == f"Zoom's daily limit for this item: {message}"
    assert error.retry_at == next_utc_midnight(datetime.now(UTC))
    assert db.session.scalar(sa.select(ZoomApiState.paused_until)) is None


def test_a_server_error_that_persists_is_raised_with_zooms_status_and_code(zoom_client, zoom_config, sim):
    sim.fail_next(zoom_config["ZOOM_MAX_RETRIES"] + 1, status=500)
    with pytest.raises(ZoomUnavailable) as info:
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert str(info.value) == "Zoom server error: Internal server error. (HTTP 500, code 500)"


def test_a_missing_registrant_is_not_found_with_zooms_status_and_code(zoom_client):
    with pytest.raises(ZoomNotFound) as info:
        zoom_client.get_registrant("meetings", MEETING_ID, "9tboDiHUQAeOnbmudzWa5g")
    assert info.value.status == 404 and info.value.code is not None and registrant_gone(info.value)


def test_a_json_array_in_place_of_zooms_object_is_not_json_zoom_would_send(zoom_client, zoom_config, sim):
    attempts = zoom_config["ZOOM_MAX_RETRIES"] + 1
    sim.respond_next(attempts, 201, "[]", content_type=ZOOM_JSON)
    with pytest.raises(ZoomUnavailable, match=r"answer was not JSON \(application/json\)"):
        zoom_client.add_registrant("meetings", MEETING_ID, body(1))
    assert zoom_client.requests_sent == attempts


def test_clients_in_one_thread_reuse_one_connection_pool_and_other_threads_have_their_own(app, zoom_config, db):
    first, second = build_client(zoom_config, db.engine), build_client(zoom_config, db.engine)
    elsewhere = []

    def build_in_another_thread():
        with app.app_context():
            elsewhere.append(build_client(zoom_config, db.engine).http)

    thread = threading.Thread(target=build_in_another_thread)
    thread.start()
    thread.join()
    assert first.http is second.http and elsewhere[0] is not first.http


# -- set-up calls: a person waits on the page ----------------------------------------------------------

def test_an_interactive_client_waits_five_seconds_at_most_and_never_retries(zoom_client, sim):
    zoom_client.interactive()
    assert (zoom_client.settings.read_timeout, zoom_client.settings.max_retries) == (0.5, 0)  # 0.5 s here already
    sim.fail_next(1, status=502)
    with pytest.raises(ZoomUnavailable):
        zoom_client.get_meeting("meetings", MEETING_ID)
    assert zoom_client.requests_sent == 1


def test_an_interactive_clients_read_timeout_is_five_seconds_by_default(zoom_config, db):
    zoom_config["ZOOM_HTTP_TIMEOUT"] = 30.0
    client = build_client(zoom_config, db.engine).interactive()
    assert client.settings.read_timeout == 5.0 and client.settings.connect_timeout <= 3.05


def test_a_new_meeting_is_created_for_the_apps_own_user_by_default(zoom_client, sim):
    created = zoom_client.create_meeting("meetings", {"topic": "Parlements et climat", "type": 2,
                                                       "start_time": "2027-03-01T13:00:00Z", "duration": 90})
    assert created["id"]
    assert [entry[2] for entry in sim.api_requests()][-1] == "/v2/users/me/meetings"


def test_an_empty_object_in_place_of_a_meeting_is_an_error_not_a_meeting_without_settings(zoom_client, sim):
    sim.respond_next(1, 200, "{}", content_type=ZOOM_JSON)
    with pytest.raises(ZoomUnavailable, match="for the meeting was not the JSON object expected"):
        zoom_client.get_meeting("meetings", MEETING_ID)


def test_an_interactive_client_gives_up_at_the_second_429(zoom_config, sim, db):
    client = build_client(zoom_config, db.engine).interactive()
    client.sleep = lambda seconds: None
    sim.respond_next(3, 429, QPS_429, content_type=ZOOM_JSON)
    with pytest.raises(ZoomRateLimited, match="kept rate-limiting"):
        client.get_meeting("meetings", MEETING_ID)
    assert client.requests_sent == 2


def test_a_meeting_is_read_as_zoom_describes_it(zoom_client, sim):
    meeting = zoom_client.get_meeting("meetings", MEETING_ID)
    assert str(meeting["id"]) == MEETING_ID and meeting["topic"] == "Parliamentary solidarity"


@pytest.mark.parametrize(("call", "what"), [
    (lambda client: client.get_meeting("meetings", MEETING_ID), "meeting"),
    (lambda client: client.create_meeting("meetings", {"topic": "Séance", "type": 2}), "new meeting"),
])
def test_an_object_without_zooms_id_is_an_error_page_not_a_meeting(zoom_client, sim, call, what):
    sim.respond_next(1, 200 if what == "meeting" else 201, json.dumps({"topic": "Session expired, sign in again"}),
                     content_type=ZOOM_JSON)
    with pytest.raises(ZoomUnavailable) as info:
        call(zoom_client)
    assert info.value.message.startswith(f"Zoom's answer for the {what} was not the JSON object expected")


def test_registration_questions_may_be_an_empty_object(zoom_client, sim):
    sim.respond_next(1, 200, "{}", content_type=ZOOM_JSON)  # both lists are optional in Zoom's schema
    assert zoom_client.get_registration_questions("meetings", MEETING_ID) == {}
