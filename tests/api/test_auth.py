"""Bearer tokens: missing, unknown, expired, revoked, read-only; hash only; last use; rate limit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from panel_app.api import tokens
from panel_app.models import ApiToken, AuditEntry, User, utcnow
from tests.api.conftest import ApiClient, problem


def test_a_request_without_a_token_gets_a_401_problem_with_a_bearer_challenge(client, make_event):
    event = make_event()
    response = client.get(f"/api/v1/events/{event.slug}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert problem(response)["type"] == "/api/v1/problems/unauthenticated"
    # Basic credentials are not a token either.
    assert client.get("/api/v1/events", headers={"Authorization": "Basic YTpi"}).status_code == 401


def test_an_unknown_token_is_refused_as_invalid(client):
    response = ApiClient(client, "pat_" + "x" * 43).get("/api/v1/events")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert problem(response)["reason"] == "unknown"
    # Junk of any size is simply unknown.
    assert ApiClient(client, "pat_" + "é" * 5000).get("/api/v1/events").status_code in (401, 431)


def test_an_expired_token_is_refused_and_says_it_expired(client, db, make_token):
    secret, token_id = make_token("write")
    db.session.get(ApiToken, token_id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = ApiClient(client, secret).get("/api/v1/events")
    assert response.status_code == 401
    assert problem(response)["reason"] == "expired"
    assert 'error_description="token expired"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_is_refused_from_the_moment_it_is_revoked(client, db, make_token, admin_user):
    secret, token_id = make_token("write")
    api = ApiClient(client, secret)
    assert api.get("/api/v1/events").status_code == 200
    tokens.revoke(db.session, db.session.get(ApiToken, token_id), user=db.session.get(User, admin_user.id),
                  now=utcnow())
    db.session.commit()
    response = api.get("/api/v1/events")
    assert response.status_code == 401
    assert problem(response)["reason"] == "revoked"


def test_a_read_token_reads_but_cannot_write(read_api, make_event):
    event = make_event(status="draft")
    assert read_api.get(f"/api/v1/events/{event.slug}").status_code == 200
    response = read_api.post(f"/api/v1/events/{event.slug}/publish")
    assert response.status_code == 403
    assert problem(response)["type"] == "/api/v1/problems/insufficient-scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_only_the_hash_of_a_token_is_stored(db, make_token):
    secret, token_id = make_token("read")
    row = db.session.get(ApiToken, token_id)
    assert secret.startswith("pat_") and len(secret) >= 40
    assert row.token_hash == tokens.hash_token(secret) and secret not in (row.token_hash, row.prefix)
    stored = " ".join(str(v) for v in db.session.execute(sa.select(ApiToken.__table__)).one())
    assert secret not in stored


def test_last_use_is_written_at_most_once_a_minute(api, db, count_queries):
    with count_queries() as statements:
        for _ in range(5):
            assert api.get("/api/v1/events").status_code == 200
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE API_TOKENS")]
    assert len(writes) == 1
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.last_used_at is not None and utcnow() - token.last_used_at < timedelta(minutes=1)


def test_every_write_is_in_the_audit_log_under_the_tokens_name(api, db, make_event):
    event = make_event(status="draft")
    assert api.post(f"/api/v1/events/{event.slug}/publish").status_code == 200
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.publish"))
    assert entry.actor.startswith("API token #") and "Parliaments CRM — synchronisation" in entry.actor
    assert entry.user_id is None


def test_the_rate_limit_counts_per_token_and_answers_a_429_problem(make_isolated_app):
    app = make_isolated_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    from panel_app.extensions import db

    with app.app_context():
        admin = User(email="admin@ipu.example.org", role="admin")
        admin.set_password("correct horse battery staple")
        db.session.add(admin)
        db.session.flush()
        first = tokens.issue(db.session, name="CRM", scope="read", expires_at=None, user=admin, now=utcnow()).secret
        second = tokens.issue(db.session, name="Report", scope="read", expires_at=None, user=admin,
                              now=utcnow()).secret
        db.session.commit()
    client = app.test_client()
    statuses = [ApiClient(client, first).get("/api/v1/events").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = ApiClient(client, first).get("/api/v1/events")
    assert problem(limited)["type"] == "/api/v1/problems/rate-limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another integration's token has its own allowance, from the same address.
    assert ApiClient(client, second).get("/api/v1/events").status_code == 200
