"""Zoom's rate limits: per second, per account and day, per registrant and day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.zoom.testing.conftest import MEETING_ID, WEBINAR_ID, person


def test_fourth_add_of_one_email_in_a_utc_day_is_429_without_retry_after(api, sim):
    """"Add a meeting registrant": 3 requests a day per registrant; the 4th answers 429 "You have exceeded the
    daily rate limit of (3) ... You can resume these API requests at GMT 00:00:00." with no Retry-After and no
    X-RateLimit-Type (https://devforum.zoom.us/t/125510, /t/141856, /t/57798; headers as in /t/18928)."""
    sim.clock.set(datetime(2030, 3, 4, 22, 0, tzinfo=timezone.utc))
    for _ in range(3):
        assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 201
    fourth = api.post(f"/meetings/{MEETING_ID}/registrants", person())
    assert fourth.status_code == 429 and fourth.json()["code"] == 429
    assert "daily rate limit of (3)" in fourth.json()["message"] and "GMT 00:00:00" in fourth.json()["message"]
    assert "Retry-After" not in fourth.headers and "X-RateLimit-Type" not in fourth.headers
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person(2)).status_code == 201  # others go on
    assert api.post(f"/webinars/{WEBINAR_ID}/registrants", person()).status_code == 201  # per meeting


def test_per_registrant_limit_resets_at_the_next_utc_midnight(api, sim):
    """The per-registrant count starts again at 00:00 UTC ("resume these requests at GMT 00:00:00")."""
    sim.clock.set(datetime(2030, 3, 4, 23, 59, tzinfo=timezone.utc))
    for _ in range(3):
        api.post(f"/meetings/{MEETING_ID}/registrants", person())
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 429
    sim.advance(timedelta(seconds=59))
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 429
    sim.advance(timedelta(seconds=1))
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 201
    assert sim.add_calls[(MEETING_ID, person()["email"])] == 4


def test_per_second_limit_is_429_qps_with_category_headers(api, sim):
    """"Rate limits": over the per-second limit Zoom answers 429 with X-RateLimit-Category and
    X-RateLimit-Type: QPS; the message "You have reached the maximum per-second rate limit for this API."."""
    api.fetch_token()
    sim.set_rate_limit(2)
    answers = [api.get(f"/meetings/{MEETING_ID}") for _ in range(4)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, [r.status_code for r in answers]
    assert limited[0].headers["X-RateLimit-Type"] == "QPS" and limited[0].headers["X-RateLimit-Category"] == "Light"
    assert "per-second rate limit" in limited[0].json()["message"]


def test_per_second_limits_count_per_request_type(api, sim):
    """Calls count against their own request type's limit (Zoom staff, https://devforum.zoom.us/t/123510)."""
    api.get(f"/meetings/{MEETING_ID}")  # token first
    sim.set_rate_limit(1)
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200  # Light
    assert api.get(f"/meetings/{MEETING_ID}/registrants").status_code == 200  # Medium
    assert api.get(f"/report/meetings/{MEETING_ID}/participants").status_code == 404  # Heavy, not limited


def test_daily_limit_is_429_with_retry_after_and_resets(api, sim):
    """Daily limit: 429 with X-RateLimit-Type: Daily-limit and Retry-After as an ISO date-time ("Rate limits"
    example `Retry-After: 2020-05-31T00:00:00Z`); the allowance comes back at the reset time."""
    sim.clock.set(datetime(2030, 3, 4, 12, 0, tzinfo=timezone.utc))
    sim.set_daily_limit(1)
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200
    limited = api.get(f"/meetings/{MEETING_ID}")
    assert limited.status_code == 429 and limited.headers["X-RateLimit-Type"] == "Daily-limit"
    assert limited.headers["Retry-After"] == "2030-03-05T00:00:00Z"
    sim.advance(timedelta(hours=12))
    api.token = None  # the one-hour token has expired meanwhile
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200


def test_daily_limit_can_cover_heavy_apis_only(api, sim):
    """On paid plans the daily limit is shared by Heavy and Resource-intensive APIs only ("Rate limits")."""
    sim.set_daily_limit(0, category="Heavy")
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200
    assert api.get(f"/report/meetings/{MEETING_ID}/participants").status_code == 429
