"""Faults for tests reach the requests they aim at, never the OAuth token fetch unless asked."""

from __future__ import annotations

import time

import pytest
import requests

from tests.zoom.testing.conftest import MEETING_ID, person


def test_fail_next_hits_api_calls_and_never_the_token_fetch(api, sim):
    """The default target "api" leaves POST /oauth/token alone, so a fault reaches the code under test."""
    sim.fail_next(2, status=502)
    assert api.fetch_token().status_code == 200
    statuses = [api.get(f"/meetings/{MEETING_ID}").status_code for _ in range(3)]
    assert statuses == [502, 502, 200] and sim.pending_faults() == 0


def test_a_failed_request_has_no_effect(api, sim):
    """A failed call did not happen: no registrant is added."""
    api.fetch_token()
    sim.fail_next(1, status=500)
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 500
    assert sim.registrants(MEETING_ID) == []


def test_faults_can_target_the_token_endpoint_or_a_path_prefix(api, sim):
    sim.fail_next(1, status=503, target="token")
    sim.fail_next(1, status=500, target="/v2/report/")
    assert api.fetch_token().status_code == 503
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200
    assert api.get(f"/report/meetings/{MEETING_ID}/participants").status_code == 500
    assert sim.pending_faults() == 0


def test_delay_next_times_out_the_client_but_the_request_still_takes_effect(api, sim):
    """A slow answer is not a failed request: Zoom performed the add although the client gave up."""
    api.fetch_token()
    sim.delay_next(1, 0.6)
    with pytest.raises(requests.Timeout):
        api.post(f"/meetings/{MEETING_ID}/registrants", person(), timeout=0.2)
    deadline = time.monotonic() + 5  # the server finishes the delayed add on its own thread
    while not sim.registrants(MEETING_ID) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sim.registrants(MEETING_ID)) == 1


def test_respond_next_serves_a_proxy_html_page(api, sim):
    """A proxy in front of Zoom can answer with HTML (bad gateway pages)."""
    api.fetch_token()
    sim.respond_next(1, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    response = api.get(f"/meetings/{MEETING_ID}/registrants")
    assert response.status_code == 502 and response.headers["Content-Type"].startswith("text/html")
    assert api.get(f"/meetings/{MEETING_ID}/registrants").status_code == 200


def test_set_down_takes_the_api_down_but_not_oauth_unless_asked(api, sim):
    sim.set_down(True)
    assert api.fetch_token().status_code == 200
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 503
    sim.set_down(True, target="all")
    assert api.fetch_token().status_code == 503
    sim.set_down(False)
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200


def test_unknown_fault_targets_are_refused_at_once(sim):
    with pytest.raises(ValueError):
        sim.fail_next(1, target="reports")
