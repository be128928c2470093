"""Property-based fuzzing of the public form and the Zoom webhook: never a 5xx, nothing
half-written (the row count is unchanged, or +1 with a complete, valid row)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel_app.models import Registration, RegistrationStatus
from panel_app.registration.countries import country_codes
from tests.conftest import csrf_token_from
from tests.factories import registration_form_data

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

nasty_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=300, max_size=2000),
    st.sampled_from(["", " ", "\x00", "a\r\nBcc: x@y.z", "<script>alert(1)</script>", "' OR 1=1 --",
                     "ﬀ@ＥＸＡＭＰＬＥ.com",
                     "amina@parliament.example", "ZZ", "fr", "es", "mp", "member_parliament", "y", "\u202e"]),
)
FIELDS = list(registration_form_data().keys())


@st.composite
def form_bodies(draw):
    """Mostly valid bodies with some fields replaced, dropped or duplicated."""
    data = registration_form_data(email=f"p{draw(st.integers(0, 10**9))}@parliament.example")
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        if draw(st.booleans()):
            data.pop(field, None)
        else:
            data[field] = draw(nasty_text)
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=20), nasty_text, max_size=2))
    return {**extra, **data}


def _count(db, event_id):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(Registration.event_id == event_id))


def _assert_complete(row: Registration, event):
    assert row.first_name.strip() and row.last_name.strip() and "@" in row.email
    assert row.country in country_codes()
    assert row.affiliation_type in {"member_parliament", "associate_member", "permanent_observer"}
    assert row.role in {"mp", "staff", "other"}
    assert row.language in event.languages
    assert row.consent_at is not None and row.privacy_notice_version
    assert row.status in set(RegistrationStatus)
    assert row.token_hash and row.token_nonce
    for value in (row.first_name, row.last_name, row.organisation, row.committees):
        assert not any(ord(c) < 32 for c in value)


def test_registration_form_fuzz_never_errors_nor_half_writes(app, db, client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    @FUZZ
    @given(body=form_bodies(), with_token=st.booleans())
    def check(body, with_token):
        before = _count(db, event.id)
        if with_token:
            body = {**body, "csrf_token": token}
        response = client.post(url, data=body)
        assert response.status_code < 500, response.status_code
        after = _count(db, event.id)
        assert after in (before, before + 1)
        if after == before + 1:
            assert response.status_code == 303
            newest = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id)
                                       .order_by(Registration.id.desc()).limit(1))
            _assert_complete(newest, event)
        else:
            assert response.status_code != 303 or "/registrations/" in response.headers["Location"]

    check()


# --- Zoom webhook ---------------------------------------------------------------------

SECRET = "fuzz-webhook-secret"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=15,
)


@st.composite
def zoom_messages(draw):
    from panel_app.zoom.webhook_events import HANDLED_EVENTS

    event = draw(st.sampled_from(sorted(HANDLED_EVENTS) + ["endpoint.url_validation", "meeting.unknown", ""]))
    payload = draw(st.one_of(
        json_values,
        st.fixed_dictionaries({"object": st.fixed_dictionaries({
            "id": st.one_of(st.integers(), st.text(max_size=12)),
            "uuid": st.text(max_size=30),
            "participant": st.dictionaries(st.sampled_from(["user_name", "email", "join_time", "leave_time",
                                                            "registrant_id", "participant_user_id", "id"]),
                                           json_values, max_size=6),
            "registrant": st.dictionaries(st.sampled_from(["id", "email", "status", "first_name"]), json_values,
                                          max_size=4),
        })}),
        st.fixed_dictionaries({"plainToken": json_values}),
    ))
    message = draw(st.one_of(st.just({"event": event, "payload": payload, "event_ts": 1}), json_values))
    raw = draw(st.one_of(st.just(json.dumps(message).encode()), st.binary(max_size=200)))
    return raw


def _deliveries(db):
    from panel_app.models.zoom import ZoomWebhookDelivery

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ZoomWebhookDelivery))


@pytest.fixture
def webhook_secret(app, monkeypatch):
    if "/webhooks/zoom" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("Zoom webhooks not installed")
    monkeypatch.setitem(app.config, "ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)


def test_signed_webhook_fuzz_never_errors_and_stores_whole_deliveries(app, db, client, webhook_secret):
    @FUZZ
    @given(raw=zoom_messages())
    def check(raw):
        before = _deliveries(db)
        timestamp = str(int(time.time()))
        message = b"v0:" + timestamp.encode() + b":" + raw
        signature = "v0=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
        response = client.post("/webhooks/zoom", data=raw, content_type="application/json",
                               headers={"x-zm-request-timestamp": timestamp, "x-zm-signature": signature})
        assert response.status_code < 500, (response.status_code, raw[:200])
        after = _deliveries(db)
        assert after in (before, before + 1)
        if after == before + 1:
            from panel_app.models.zoom import ZoomWebhookDelivery

            stored = db.session.scalar(sa.select(ZoomWebhookDelivery).order_by(ZoomWebhookDelivery.id.desc()).limit(1))
            assert stored.payload == json.loads(raw) and stored.event == stored.payload["event"]

    check()


def test_unsigned_or_forged_webhooks_are_refused_and_store_nothing(app, db, client, webhook_secret):
    @FUZZ
    @given(raw=zoom_messages(), headers=st.dictionaries(
        st.sampled_from(["x-zm-request-timestamp", "x-zm-signature", "content-type"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80), max_size=3))
    def check(raw, headers):
        response = client.post("/webhooks/zoom", data=raw, headers=headers)
        assert response.status_code in (401, 403), response.status_code
        assert _deliveries(db) == 0

    check()
