"""Which addresses webhooks may reach: https only (http to loopback in development), and in
production no private, loopback or link-local address, checked when saving and on the very
connection a delivery opens."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from panel_app.api.webhooks import addresses, delivery
from panel_app.models import DeliveryState, Registration, WebhookDelivery, utcnow
from panel_app.registration import services as registration_services


@pytest.mark.parametrize("url,code", [
    ("http://crm.parliament.example/hooks", "scheme"),
    ("http://127.0.0.1:8080/hooks", "scheme"),
    ("ftp://crm.parliament.example/", "scheme"),
    ("https://10.1.2.3/hooks", "private"),
    ("https://192.168.0.10/hooks", "private"),
    ("https://169.254.169.254/latest/meta-data", "private"),
    ("https://[::1]/hooks", "private"),
    ("https://[::ffff:127.0.0.1]/hooks", "private"),
    ("https://[fd00::1]/hooks", "private"),
    ("https://100.64.0.1/hooks", "private"),
    ("https://localhost/hooks", "private"),
    ("https://user:pass@crm.parliament.example/", "format"),
    ("https://crm.parliament.example/hooks#x", "format"),
    ("https://crm.parliament.example/ho oks", "format"),
    ("https://crm.parliament.example:99999/", "format"),
    ("https:///nohost", "format"),
])
def test_production_refuses_addresses_inside_the_network(url, code):
    with pytest.raises(addresses.AddressRefused) as refused:
        addresses.check_url(url, allow_private=False)
    assert refused.value.code == code


def test_public_addresses_are_accepted_in_production():
    assert addresses.check_url(" https://93.184.215.14/hooks?x=1 ", allow_private=False) == \
        "https://93.184.215.14/hooks?x=1"
    assert addresses.public_address("2606:4700:4700::1111")
    assert not addresses.public_address("::ffff:10.0.0.1")


def test_development_allows_plain_http_to_loopback_only():
    assert addresses.check_url("http://127.0.0.1:8080/hooks", allow_private=True)
    assert addresses.check_url("http://localhost:8080/hooks", allow_private=True)
    with pytest.raises(addresses.AddressRefused):
        addresses.check_url("http://crm.parliament.example/hooks", allow_private=True)


def test_a_delivery_connection_that_reaches_a_private_address_is_cut_before_sending(receiver):
    session = addresses.http_session(allow_private=False)
    with pytest.raises(requests.ConnectionError) as refused:
        session.post(receiver.url, data=b"{}", timeout=5)
    assert "not a public address" in str(refused.value)
    assert receiver.received == []  # not a byte reached the receiver


def test_in_production_a_stored_loopback_endpoint_gets_nothing_and_says_why(db, app, make_event,
                                                                            make_registration, make_endpoint,
                                                                            receiver, clock, monkeypatch):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])  # saved while private addresses were allowed
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
    delivery.deliver_due(db.session, now_fn=clock)
    row = db.session.scalar(sa.select(WebhookDelivery))
    db.session.refresh(row)
    assert row.state == DeliveryState.PENDING and row.last_error == "address refused: scheme"
    assert receiver.received == []


def test_production_defaults_to_refusing_private_addresses():
    from config import load_config

    assert load_config({"PANEL_ENV": "production", "SECRET_KEY": "x"}).WEBHOOK_ALLOW_PRIVATE_ADDRESSES is False
    assert load_config({}).WEBHOOK_ALLOW_PRIVATE_ADDRESSES is True
    assert load_config({"PANEL_ENV": "production", "SECRET_KEY": "x",
                        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true"}).WEBHOOK_ALLOW_PRIVATE_ADDRESSES is True
