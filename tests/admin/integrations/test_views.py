"""Integrations page: administrators issue and revoke API tokens and manage webhook endpoints;
secrets are shown once and never stored; deliveries show the receiver's last answer and replay."""

from __future__ import annotations

import re

import sqlalchemy as sa

from panel_app.api import tokens
from panel_app.api.webhooks import delivery
from panel_app.models import ApiToken, AuditEntry, DeliveryState, Registration, WebhookDelivery, WebhookEndpoint, utcnow
from panel_app.registration import services as registration_services
from tests.api.conftest import ApiClient
from tests.api.webhooks.conftest import Clock, clock, receiver  # noqa: F401
from tests.conftest import csrf_from

SECRET_RE = re.compile(r'id="secret" class="secret-value" type="text" readonly value="([^"]+)"')


def _create_token(client, name="Parliaments CRM — Genève", scope="write", expires_in="90"):
    token = csrf_from(client, "/admin/integrations")
    return client.post("/admin/integrations/tokens", data={"csrf_token": token, "t-name": name, "t-scope": scope,
                                                           "t-expires_in": expires_in})


def test_an_administrator_creates_a_token_shown_once_and_usable_at_once(signed_in, db, browser):
    admin, user = signed_in("admin")
    response = _create_token(admin)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1)
    assert secret.startswith("pat_") and "shown only this once" in html
    assert response.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash == tokens.hash_token(secret) and row.scope == "write" and row.created_by_id == user.id
    # The list shows it by name and prefix, never the secret again.
    listing = admin.get("/admin/integrations").get_data(as_text=True)
    assert "Parliaments CRM — Genève" in listing and row.prefix in listing and secret not in listing
    assert ApiClient(browser(), secret).get("/api/v1/events").status_code == 200
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert entry.user_id == user.id


def test_a_revoked_token_stops_working_and_the_list_says_so(signed_in, db, browser):
    admin, _ = signed_in("admin")
    secret = SECRET_RE.search(_create_token(admin, scope="read").get_data(as_text=True)).group(1)
    row = db.session.scalar(sa.select(ApiToken))
    response = admin.post(f"/admin/integrations/tokens/{row.id}/revoke",
                          data={"csrf_token": csrf_from(admin, "/admin/integrations")})
    assert response.status_code == 303
    assert ApiClient(browser(), secret).get("/api/v1/events").status_code == 401
    assert "revoked" in admin.get("/admin/integrations").get_data(as_text=True)


def test_a_token_needs_a_name(signed_in, db):
    admin, _ = signed_in("admin")
    response = _create_token(admin, name="   ")
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_only_administrators_reach_integrations(signed_in):
    organiser, _ = signed_in("organiser")
    assert organiser.get("/admin/integrations").status_code == 403
    response = organiser.post("/admin/integrations/tokens", data={"t-name": "x", "t-scope": "write"})
    assert response.status_code in (400, 403)


def _create_endpoint(client, url, types=("registration.created", "registration.cancelled")):
    token = csrf_from(client, "/admin/integrations")
    return client.post("/admin/integrations/webhooks", data={"csrf_token": token, "w-url": url,
                                                             "w-description": "CRM des parlements",
                                                             "w-event_types": list(types)})


def test_an_endpoint_is_registered_with_its_secret_shown_once(signed_in, db, receiver):  # noqa: F811
    admin, _ = signed_in("admin")
    response = _create_endpoint(admin, receiver.url)
    assert response.status_code == 200
    secret = SECRET_RE.search(response.get_data(as_text=True)).group(1)
    assert secret.startswith("whsec_")
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert endpoint.event_types == ["registration.created", "registration.cancelled"]
    stored = " ".join(str(v) for v in db.session.execute(sa.select(WebhookEndpoint.__table__)).one())
    assert secret not in stored and secret[6:] not in stored


def test_an_endpoint_address_that_is_not_https_is_refused_with_a_message(signed_in, db):
    admin, _ = signed_in("admin")
    response = _create_endpoint(admin, "http://crm.parliament.example/hooks")
    assert response.status_code == 422
    assert "https://" in response.get_data(as_text=True)
    response = _create_endpoint(admin, "https://crm.parliament.example/hooks", types=())
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_deliveries_show_the_last_answer_and_can_be_replayed(signed_in, db, make_event, make_registration,
                                                             receiver):  # noqa: F811
    admin, _ = signed_in("admin")
    receiver.secret = SECRET_RE.search(_create_endpoint(admin, receiver.url).get_data(as_text=True)).group(1)
    receiver.answers = [500, 200]
    event = make_event()
    person, _ = make_registration(event, first_name="Zoë", last_name="Ñúñez-Öztürk")
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    clock = Clock()  # noqa: F811
    delivery.deliver_due(db.session, now_fn=clock)
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    page = admin.get(f"/admin/integrations/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "HTTP 500" in page and "registration.cancelled" in page and "reçu" in page
    row = db.session.scalar(sa.select(WebhookDelivery))
    response = admin.post(f"/admin/integrations/deliveries/{row.id}/replay",
                          data={"csrf_token": csrf_from(admin, "/admin/integrations")})
    assert response.status_code == 303
    delivery.deliver_due(db.session, now_fn=clock)
    db.session.refresh(row)
    assert row.state == DeliveryState.DELIVERED and row.last_status_code == 200
    assert len(receiver.received) == 2 and all(isinstance(r.verified, dict) for r in receiver.received)
    assert "HTTP 200" in admin.get(f"/admin/integrations/webhooks/{endpoint.id}").get_data(as_text=True)


def test_an_endpoint_is_switched_off_and_on_and_its_secret_rotated(signed_in, db, receiver):  # noqa: F811
    admin, _ = signed_in("admin")
    first = SECRET_RE.search(_create_endpoint(admin, receiver.url).get_data(as_text=True)).group(1)
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    url = f"/admin/integrations/webhooks/{endpoint.id}"
    response = admin.post(url, data={"csrf_token": csrf_from(admin, url), "e-description": "CRM",
                                     "e-event_types": ["event.changed"]})
    assert response.status_code == 303
    db.session.refresh(endpoint)
    assert endpoint.active is False and endpoint.event_types == ["event.changed"]
    rotated = admin.post(url + "/rotate", data={"csrf_token": csrf_from(admin, url)})
    second = SECRET_RE.search(rotated.get_data(as_text=True)).group(1)
    assert second != first and second.startswith("whsec_")
    assert admin.post(url + "/delete", data={"csrf_token": csrf_from(admin, url)}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0
