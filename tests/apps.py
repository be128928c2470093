"""Building test apps the way production does: migrations, not create_all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from panel_app import create_app
from tests import factories


def app_settings(instance: Path, database_url: str | None = None, **overrides) -> dict:
    """Settings for a test app on `instance` (SQLite inside it unless `database_url` is given)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": factories.TEST_SECRET_KEY,
        "DATABASE_URL": database_url or f"sqlite:///{instance / 'db.sqlite3'}",
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://panel.test",
        "RATELIMIT_ENABLED": False,
    }
    settings.update(overrides)
    return settings


def build_app(instance: Path, database_url: str | None = None, *, migrate: bool = True, **overrides) -> Flask:
    """A test app with its schema created by `flask db upgrade` (so migrations are tested too)."""
    application = create_app(app_settings(instance, database_url, **overrides))
    if migrate:
        with application.app_context():
            from flask_migrate import upgrade

            upgrade()
    return application


@contextmanager
def serving(application: Flask) -> Iterator[str]:
    """Serve `application` with a real threaded HTTP server on loopback; yields its base URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
