"""The app factory and configuration: secrets, database URLs, health check, cookies."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from config import load_config, normalise_database_url
from panel_app import _instance_secret_key, create_app


@pytest.fixture
def restore_job_queue():
    """Building another app rebinds the process-wide job queue; put the test app's back."""
    from panel_app.queue import queue

    saved = queue._last
    yield
    queue._last = saved


@pytest.fixture
def clean_environ(monkeypatch):
    for name in ("SECRET_KEY", "PANEL_ENV", "DATABASE_URL", "INSTANCE_PATH", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_secret_key(tmp_path, clean_environ):
    with pytest.raises(RuntimeError, match=r"SECRET_KEY is not set.*PANEL_ENV=production"):
        create_app({"PANEL_ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()  # no silent fallback key either


def test_production_starts_with_secret_key(tmp_path, clean_environ, restore_job_queue):
    app = create_app({"PANEL_ENV": "production", "SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["ENV_NAME"] == "production"


def test_production_reads_secret_key_from_the_environment(tmp_path, clean_environ, restore_job_queue, monkeypatch):
    monkeypatch.setenv("PANEL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_development_generates_one_private_key_per_instance(tmp_path, clean_environ, restore_job_queue):
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 40
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_workers_starting_together_share_one_key(tmp_path):
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: _instance_secret_key(tmp_path / "secret_key"), range(32)))
    assert len(keys) == 1


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgresql://panel@db.internal:5432/panel", "postgresql+psycopg://panel@db.internal:5432/panel"),
        ("postgres://panel:s3cret@db/panel", "postgresql+psycopg://panel:s3cret@db/panel"),
        ("postgresql+psycopg://panel@db/panel", "postgresql+psycopg://panel@db/panel"),
        ("sqlite:////srv/panel/panel.sqlite3", "sqlite:////srv/panel/panel.sqlite3"),
    ],
)
def test_database_url_is_accepted_as_given(given, expected):
    assert normalise_database_url(given) == expected
    assert load_config({"DATABASE_URL": given}).SQLALCHEMY_DATABASE_URI == expected


def test_plain_postgresql_url_builds_a_psycopg_engine(tmp_path, clean_environ, restore_job_queue):
    app = create_app(
        {"DATABASE_URL": "postgresql://panel@127.0.0.1:1/panel", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"}
    )
    from panel_app.extensions import db

    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg"  # no connection is made at start-up
        db.engine.dispose()


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    config = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path.resolve() / 'panel.sqlite3'}"
    assert config.MAIL_OUTBOX_PATH == str(tmp_path.resolve() / "outbox")
    assert config.RATELIMIT_ENABLED is True
    assert load_config({"RATELIMIT_ENABLED": "false"}).RATELIMIT_ENABLED is False


@pytest.mark.parametrize(
    "environ, port",
    [
        ({}, 25),
        ({"MAIL_USE_TLS": "true"}, 587),
        ({"MAIL_USE_SSL": "true"}, 465),
        ({"MAIL_USE_SSL": "true", "MAIL_PORT": "2465"}, 2465),
    ],
)
def test_mail_port_defaults_to_the_transports_standard_port(environ, port):
    assert load_config(environ).MAIL_PORT == port


def test_a_malformed_number_in_the_environment_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match="^MAIL_PORT: expected a whole number"):
        load_config({"MAIL_PORT": "twenty-five"})
    with pytest.raises(RuntimeError, match="^ZOOM_HTTP_TIMEOUT: expected a number"):
        load_config({"ZOOM_HTTP_TIMEOUT": "ten"})


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_reports_503_when_the_database_is_down(tmp_path, clean_environ, restore_job_queue):
    app = create_app(
        {"DATABASE_URL": "postgresql://panel@127.0.0.1:1/panel", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"
    with app.app_context():
        from panel_app.extensions import db

        db.engine.dispose()


def test_public_pages_set_no_cookie_but_the_session(client, make_event):
    event = make_event()
    set_cookies = []
    for url in ("/", f"/events/{event.slug}", f"/events/{event.slug}/register", "/privacy", "/healthz"):
        set_cookies += client.get(url).headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in set_cookies} <= {"session"}


def test_console_session_lifetimes_default_to_30_minutes_idle_and_12_hours_in_all():
    defaults = load_config({})
    assert (defaults.SESSION_IDLE_MINUTES, defaults.SESSION_MAX_HOURS) == (30, 12)
    chosen = load_config({"SESSION_IDLE_MINUTES": "15", "SESSION_MAX_HOURS": "8"})
    assert (chosen.SESSION_IDLE_MINUTES, chosen.SESSION_MAX_HOURS) == (15, 8)
    with pytest.raises(RuntimeError, match="^SESSION_IDLE_MINUTES: expected a whole number"):
        load_config({"SESSION_IDLE_MINUTES": "half an hour"})


def test_rate_limits_are_shared_by_the_machines_processes_without_redis(tmp_path):
    assert load_config({"INSTANCE_PATH": str(tmp_path)}).RATELIMIT_STORAGE_URI.startswith("sqlite:///")
    assert load_config({"REDIS_URL": "redis://cache:6379/1"}).RATELIMIT_STORAGE_URI == "redis://cache:6379/1"
    assert "memory://" not in load_config({}).RATELIMIT_STORAGE_URI
