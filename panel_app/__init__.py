"""Application factory: `create_app()` wires config, extensions, blueprints and commands."""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from config import PROJECT_ROOT, load_config

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    """Build the app.

    `config` overrides settings (used by tests). Its string values under contract names
    (DATABASE_URL, INSTANCE_PATH, REDIS_URL, MAIL_SERVER...) are applied as if they came
    from the environment, so derived settings (SQLite path, outbox folder) follow them.
    """
    config = dict(config or {})
    environ = {**os.environ, **{k: v for k, v in config.items() if isinstance(v, str)}}
    settings = load_config(environ).as_dict()
    settings.update(config)

    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    from panel_app.core.sessions import CachedSerializerSessionInterface

    app.session_interface = CachedSerializerSessionInterface()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_secret_key(app)

    register_extensions(app)
    register_jobs(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    from panel_app import observability, security  # request ids, headers; limits wrap registered views
    observability.init_app(app)
    security.init_app(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("ENV_NAME") == "production":
        raise RuntimeError(
            "SECRET_KEY is not set. In production (PANEL_ENV=production) set SECRET_KEY to a long "
            "random value shared by every web and worker process."
        )
    # Development default: one random key per instance folder, shared by all local processes.
    app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")


def _instance_secret_key(key_file: Path) -> str:
    """Read the instance's generated key, creating it once.

    Several gunicorn workers start at the same moment: exclusive creation makes exactly one
    of them write the key (private from the first byte), and the others wait for it, so every
    process signs sessions and CSRF tokens with the same key.
    """
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as stream:
            stream.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may be between creating and writing the file
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{key_file} is empty; delete it or set SECRET_KEY")


def register_extensions(app: Flask) -> None:
    from panel_app.core import after_commit, locale
    from panel_app.extensions import babel, csrf, db, limiter, login_manager, migrate

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        timeout_s = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", timeout_s)
        # A file database has no server connection to go stale: pre-ping would only add a
        # round trip to every checkout. (PostgreSQL keeps it: a dropped connection is
        # replaced instead of failing a request.)
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=locale.babel_locale_selector)
    locale.register(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"  # accounts are loaded by panel_app/admin/auth.py

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
    after_commit.install(sa.orm.Session)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits; the busy timeout makes
        # writers queue instead of failing with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Keep temporary b-trees (ORDER BY, counts) in memory and give each connection a
        # 16 MB page cache: the hot pages (events, seat counts) stay out of the file system.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-16000")
        cursor.close()

    return on_connect


def register_jobs(app: Flask) -> None:
    import panel_app.tasks  # noqa: F401  (declares every job before the queue is bound)
    from panel_app.queue import queue

    queue.init_app(app)


def register_blueprints(app: Flask) -> None:
    from panel_app import api
    from panel_app.admin import bp as admin_bp
    from panel_app.calendar.views import bp as calendar_bp
    from panel_app.directory.follow_up_views import bp as follow_up_bp
    from panel_app.extensions import csrf
    from panel_app.health import bp as health_bp
    from panel_app.organisation.views import bp as organisation_bp
    from panel_app.privacy.views import bp as privacy_bp
    from panel_app.registration import registrant_views, views  # noqa: F401  (routes attach to the blueprint)
    from panel_app.registration.blueprint import bp as registration_bp
    from panel_app.zoom.webhooks import bp as zoom_webhooks_bp

    for blueprint in (health_bp, registration_bp, admin_bp, privacy_bp, calendar_bp, organisation_bp,
                      follow_up_bp):
        app.register_blueprint(blueprint)
    # Zoom signs its notifications (checked in the view); a CSRF token cannot apply.
    app.register_blueprint(csrf.exempt(zoom_webhooks_bp))
    api.init_app(app)  # /api/v1 and its OpenAPI description


def register_error_handlers(app: Flask) -> None:
    from panel_app.core import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from panel_app import cli

    cli.register(app)


def register_template_helpers(app: Flask) -> None:
    from panel_app.core import templating

    templating.register(app)
