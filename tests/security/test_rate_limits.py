"""Rate limits on registration, login, erasure and webhooks answer 429 with the error page."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from tests.factories import EventFactory, registration_form_data


@pytest.fixture
def limited_app(make_isolated_app):
    return make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute", RATELIMIT_ERASE="2 per minute")


def _event(app):
    from panel_app.extensions import db

    with app.app_context():
        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        return event.slug


def test_registration_posts_are_limited_per_address_and_answer_the_429_page(limited_app):
    client = limited_app.test_client()
    url = f"/events/{_event(limited_app)}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    statuses = []
    for n in range(31):
        data = registration_form_data(email=f"person{n}@parliament.example", csrf_token=token)
        statuses.append(client.post(url, data=data).status_code)
    assert statuses[:30] == [303] * 30
    assert statuses[30] == 429
    blocked = client.post(url, data=registration_form_data(email="late@parliament.example", csrf_token=token))
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.get_data(as_text=True)
    assert blocked.headers["Content-Security-Policy"]
    # Reading the form is not limited: people may still look while they wait.
    assert client.get(url).status_code == 200
    # Another address has its own allowance.
    other = client.post(url, data=registration_form_data(email="x@parliament.example", csrf_token=token),
                        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code in (303, 400, 422)


def test_login_posts_are_limited(limited_app):
    if "/admin/login" not in {r.rule for r in limited_app.url_map.iter_rules()}:
        pytest.skip("admin console not installed")
    client = limited_app.test_client()
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    data = {"email": "a@b.example", "password": "wrong-password", "csrf_token": token}
    statuses = [client.post("/admin/login", data=data).status_code for _ in range(4)]
    assert all(code != 429 for code in statuses[:3])
    assert statuses[3] == 429
    assert client.get("/admin/login").status_code == 200


def test_webhook_endpoint_is_limited_with_a_json_answer(make_isolated_app):
    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_WEBHOOK="2 per minute")
    if "/webhooks/zoom" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("Zoom webhooks not installed")
    client = app.test_client()
    statuses = [
        client.post("/webhooks/zoom", data=b"{}", content_type="application/json").status_code for _ in range(3)
    ]
    assert statuses[2] == 429
    assert client.post("/webhooks/zoom", data=b"{}", content_type="application/json").get_json()["status"] == 429


def test_erasure_posts_are_limited(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/registrations/not-a-token/erase").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_health_probes_are_never_limited(make_isolated_app):
    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


def test_limits_are_off_when_disabled(make_isolated_app):
    app = make_isolated_app(RATELIMIT_ENABLED=False, RATELIMIT_ERASE="1 per minute")
    client = app.test_client()
    assert {client.post("/registrations/x/erase").status_code for _ in range(4)} == {404}
