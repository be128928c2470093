"""Zoom fixtures: the project's simulator on loopback, and the shared app pointed at it.

The session `app` has no Zoom config; `zoom_config` sets the keys for one test and puts the
old values back (the client reads config at call time), so no second app is built.
"""

from __future__ import annotations

import pytest

from panel_app.extensions import db as _db
from panel_app.queue import queue
from panel_app.zoom.client import build_client
from panel_app.zoom.testing import ZoomSimulator

MEETING_ID = "81234567890"
WEBINAR_ID = "92345678901"
#: The registration questions meeting set-up gives a linked meeting (Zoom rejects answers to others).
CUSTOM_QUESTIONS = [{"title": title, "type": "short", "required": False, "answers": []}
                    for title in ("Affiliation type", "Role", "Interpretation language")]


@pytest.fixture
def sim():
    simulator = ZoomSimulator(page_size_cap=300)
    simulator.add_meeting(MEETING_ID, topic="Parliamentary solidarity").custom_questions = list(CUSTOM_QUESTIONS)
    simulator.add_meeting(WEBINAR_ID, kind="webinars", topic="Webinar panel").custom_questions = list(CUSTOM_QUESTIONS)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def zoom_config(app, sim):
    """Point the app at the simulator for this test (fast retries, short timeouts)."""
    overrides = {
        **sim.app_config(),
        "ZOOM_REQUESTS_PER_SECOND": 1000.0,
        "ZOOM_RETRY_BASE_DELAY": 0.01,
        "ZOOM_HTTP_TIMEOUT": 0.5,
        "ZOOM_MAX_RETRIES": 4,
        "ZOOM_REDIS_URL": None,
    }
    saved = {key: app.config.get(key, KeyError) for key in overrides}
    app.config.update(overrides)
    _flush_queue(app)
    try:
        yield app.config
    finally:
        for key, value in saved.items():
            if value is KeyError:
                app.config.pop(key, None)
            else:
                app.config[key] = value
        _flush_queue(app)


def _flush_queue(app):
    # This app's queue, whichever app another test file bound last.
    with app.app_context():
        if queue.huey is not None:
            queue.huey.flush()


@pytest.fixture
def zoom_client(zoom_config, db):
    client = build_client(zoom_config, _db.engine)
    yield client
    client.close()


@pytest.fixture
def zoom_event(make_event, zoom_config):
    def make(**overrides):
        overrides.setdefault("zoom_meeting_id", MEETING_ID)
        return make_event(**overrides)

    return make


@pytest.fixture
def drain_jobs(app):
    """Run the queued Zoom/attendance jobs in this app, as a worker would (returns how many ran)."""

    def drain(prefixes=("panel_app.zoom", "panel_app.attendance")) -> int:
        jobs = {job.name: job for job in queue._jobs}
        ran = 0
        for _ in range(1000):
            task = queue.huey.dequeue()
            if task is None:
                return ran
            job = jobs.get(task.name)
            if job is None or not task.name.startswith(prefixes):
                continue
            with app.app_context():
                try:
                    job.fn(*task.args, **task.kwargs)
                finally:
                    _db.session.remove()
            ran += 1
        raise AssertionError("job queue did not drain")

    return drain
