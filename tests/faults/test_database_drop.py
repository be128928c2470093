"""PostgreSQL connections dropped under the app (failover, restart, idle-kill by a proxy):
the next request still succeeds because the pool pings connections before use."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db


def _terminate_other_backends(app):
    """From a separate connection, kill every other session on the app's database."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    killer = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            return conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalar()
    finally:
        killer.dispose()


def _make_event(app):
    # Not the `make_event` fixture: it keeps an app context open for the whole test, which
    # requests would share (and so one session holding one connection), unlike production.
    from tests.factories import EventFactory

    with app.app_context():
        event = EventFactory.build()
        _db.session.add(event)
        _db.session.commit()
        return event.slug


@pytest.fixture
def postgres_app(app):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
    return app


def test_requests_succeed_after_every_database_connection_was_killed(postgres_app, client):
    slug = _make_event(postgres_app)
    assert client.get(f"/events/{slug}").status_code == 200  # pooled connections exist now
    assert _terminate_other_backends(postgres_app) >= 1
    assert client.get(f"/events/{slug}").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_without_pre_ping_the_same_drop_would_fail(postgres_app):
    # Proves the test above exercises a real failure: a pool without pre-ping hands out
    # the dead connection and the query fails.
    engine = sa.create_engine(postgres_app.config["SQLALCHEMY_DATABASE_URI"], pool_pre_ping=False, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        _terminate_other_backends(postgres_app)
        with pytest.raises(sa.exc.OperationalError):
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


def test_a_registration_survives_a_connection_drop_between_form_and_submit(postgres_app, client):
    from panel_app.models import Registration
    from tests.conftest import csrf_token_from
    from tests.factories import registration_form_data

    url = f"/events/{_make_event(postgres_app)}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    assert _terminate_other_backends(postgres_app) >= 1
    response = client.post(url, data=registration_form_data(csrf_token=token))
    assert response.status_code == 303
    with postgres_app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
