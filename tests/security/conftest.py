"""A dedicated app per test when a test needs settings the shared `app` fixture lacks
(rate limits on, HTTPS base URL, proxy headers). Each has its own instance folder, so its
rate limits count in their own SQLite file (the embedded default). The shared extensions
(limiter, job queue) are re-bound to the shared app afterwards so other tests see their
usual setup."""

from __future__ import annotations

import pytest

from panel_app.extensions import db as _db
from panel_app.extensions import limiter
from panel_app.queue import queue
from tests.admin.conftest import count_queries, make_user, organiser, post, signed_in  # noqa: F401  (shared)
from tests.apps import build_app


@pytest.fixture
def make_isolated_app(tmp_path):
    created = []
    # The queue binds per app (app.extensions); only its "last bound app" fallback and the
    # process-wide limiter settings must be put back for the shared app.
    previous = getattr(queue, "_last", None)
    previous_app = previous.app if previous is not None else None

    def make(migrate=True, **config):
        instance = tmp_path / f"instance{len(created)}"
        application = build_app(instance, migrate=migrate, **config)
        created.append(application)
        return application

    yield make
    for application in created:
        with application.app_context():
            _db.engine.dispose()
    if previous is not None:
        queue._last = previous
        limiter.init_app(previous_app)
