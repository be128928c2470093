"""Server-to-Server OAuth as Zoom documents it."""

from __future__ import annotations

import requests

from panel_app.zoom.testing import ZoomSimulator
from tests.zoom.testing.conftest import MEETING_ID, Api


def test_a_new_token_leaves_earlier_tokens_valid(api, sim):
    """"Server-to-Server OAuth": "You can generate and use multiple access tokens"; changelog "Multiple access
    Token support available for server-to-server apps" (new tokens no longer invalidate earlier ones)."""
    first = api.fetch_token().json()["access_token"]
    second = api.fetch_token().json()["access_token"]
    for token in (first, second):
        response = requests.get(f"{sim.api_base_url}/meetings/{MEETING_ID}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 200
    assert sim.token_requests == 2


def test_revoking_earlier_tokens_reproduces_the_old_behaviour_on_request():
    """The 2022 behaviour (forum "Server-to-Server OAuth: annoying token-invalidation") stays available."""
    with ZoomSimulator(revoke_previous_tokens=True) as sim:
        sim.add_meeting(MEETING_ID)
        api = Api(sim)
        first = api.fetch_token().json()["access_token"]
        api.fetch_token()
        response = requests.get(f"{sim.api_base_url}/meetings/{MEETING_ID}",
                                headers={"Authorization": f"Bearer {first}"}, timeout=5)
        assert response.status_code == 401 and response.json()["code"] == 124


def test_token_answer_has_the_documented_fields(api, sim):
    """Token answer: access_token, token_type "bearer", expires_in 3599/3600 (one hour), scope; no refresh token."""
    body = api.fetch_token().json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599 and body["scope"]
    assert "refresh_token" not in body


def test_expired_token_is_401_code_124_on_the_sim_clock(api, sim):
    """A token lives one hour; afterwards API calls answer 401 code 124 ("Using Zoom APIs", error codes)."""
    assert api.get(f"/meetings/{MEETING_ID}").status_code == 200
    sim.advance(3600)
    response = api.get(f"/meetings/{MEETING_ID}")
    assert response.status_code == 401 and response.json()["code"] == 124


def test_missing_or_unknown_token_is_401_code_124(sim):
    """No bearer token, or one Zoom never issued: 401, code 124 "Invalid access token."."""
    for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic abc"}):
        response = requests.get(f"{sim.api_base_url}/meetings/{MEETING_ID}", headers=headers, timeout=5)
        assert response.status_code == 401 and response.json() == {"code": 124, "message": "Invalid access token."}


def test_wrong_credentials_are_refused_as_invalid_client(sim):
    """Wrong client secret: 400 {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    (Zoom's observed answer; "OAuth error messages" codes 4702/4704)."""
    response = requests.post(sim.token_url, auth=(sim.client_id, "wrong"),
                             data={"grant_type": "account_credentials", "account_id": sim.account_id}, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"
    assert sim.token_requests == 0


def test_grant_and_account_must_be_in_the_form_body(sim):
    """grant_type=account_credentials and account_id go in the form body ("Server-to-Server OAuth");
    query-string parameters are refused (forum https://devforum.zoom.us/t/124925), as is a wrong account."""
    auth = (sim.client_id, sim.client_secret)
    in_query = requests.post(sim.token_url, auth=auth, timeout=5,
                             params={"grant_type": "account_credentials", "account_id": sim.account_id})
    assert in_query.status_code == 400 and in_query.json()["error"] == "unsupported_grant_type"
    wrong_grant = requests.post(sim.token_url, auth=auth, data={"grant_type": "client_credentials"}, timeout=5)
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    wrong_account = requests.post(sim.token_url, auth=auth, timeout=5,
                                  data={"grant_type": "account_credentials", "account_id": "other"})
    assert wrong_account.status_code == 400 and sim.token_requests == 0
