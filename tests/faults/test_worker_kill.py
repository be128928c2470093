"""A worker killed with SIGKILL in the middle of a job loses nothing and sends nothing twice.

Real parts only: `flask worker` subprocesses on a temporary SQLite instance (database and
job queue files), an SMTP server on loopback that stalls (so the job is provably mid-send
when killed), then a real aiosmtpd server for the restarted worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.factories import EventFactory, registration_form_data
from tests.mail.conftest import SmtpServer, StallingSmtp, free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start_worker(env, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([FLASK, "--app", "wsgi", "worker", "--workers", "1", "--no-periodic"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.timeout(120)
def test_worker_killed_mid_send_then_restarted_delivers_the_invite_exactly_once(make_isolated_app, tmp_path):
    stall = StallingSmtp()
    instance = tmp_path / "instance-kill"
    db_url = f"sqlite:///{instance / 'db.sqlite3'}"
    settings = {"INSTANCE_PATH": str(instance), "DATABASE_URL": db_url, "HUEY_NAME": f"kill-{uuid.uuid4().hex[:8]}",
                "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(stall.port), "MAIL_TIMEOUT": "30"}
    app = make_isolated_app(**settings)
    env = {**os.environ, **settings, "SECRET_KEY": app.config["SECRET_KEY"], "FLASK_APP": "wsgi"}
    env.pop("REDIS_URL", None)

    # A registration through the real form: its invite is queued for the worker.
    from panel_app.extensions import db
    from panel_app.models import Notification, NotificationState, Registration

    with app.app_context():
        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        slug = event.slug
    client = app.test_client()
    url = f"/events/{slug}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    assert client.post(url, data=registration_form_data(csrf_token=token)).status_code == 303

    worker = _start_worker(env, tmp_path / "worker1.log")
    try:
        assert stall.connected.wait(30), (tmp_path / "worker1.log").read_text()
        # The worker has claimed the invite and is blocked talking to SMTP: kill it hard.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        stall.close()

    with app.app_context():
        notes = db.session.scalars(sa.select(Notification)).all()
        assert [n.state for n in notes] == [NotificationState.SENDING]
        # Time passes: the dead worker's lease (minutes long) expires.
        expired = notes[0].lease_expires_at - timedelta(hours=1)
        db.session.execute(sa.update(Notification).values(lease_expires_at=expired))
        db.session.commit()

    smtp = SmtpServer(free_port())
    smtp.start()
    env["MAIL_PORT"] = str(smtp.port)
    worker = _start_worker(env, tmp_path / "worker2.log")
    try:
        # What the every-minute reconcile sweep does, without waiting for the minute.
        with app.app_context():
            from panel_app.mail.jobs import deliver_all

            deliver_all.enqueue()

        def sent():
            with app.app_context():
                db.session.expire_all()
                return db.session.scalar(sa.select(Notification.state)) == NotificationState.SENT

        _wait(sent, 40, "the invite to be sent by the restarted worker")
        time.sleep(1.5)  # a duplicate would show up now
        with app.app_context():
            email = db.session.scalar(sa.select(Registration.email))
        assert len(smtp.messages) == 1
        assert email in smtp.messages[0]["To"]
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        smtp.stop()
