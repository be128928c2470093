"""Benchmark: build and send 1,000 personal invites to a local aiosmtpd.

Prints, measured in the same run against the same SMTP server (a separate process on
loopback, so server work does not compete with ours for the GIL):
- invites built per second (full iMIP message: ICS with VTIMEZONE, text, HTML, MIME);
- send-path ratio: our SmtpSender.send_many on the prebuilt messages vs a bare smtplib
  loop (one connection, send_message per message) on the same EmailMessage objects
  (goal >= 0.8);
- end-to-end ratio: the real delivery pipeline (claim rows, render, send in batches over
  one connection per batch, record outcomes in SQLite) vs the bare loop.

Run: .venv/bin/python bench/invites.py [count]
"""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = r"""
import asyncio, sys
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(count: int = 1000) -> None:
    from datetime import timedelta

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from panel_app import create_app
    from panel_app.events.timefmt import parse_local
    from panel_app.extensions import db
    from panel_app.mail import messages, services
    from panel_app.mail.sender import SmtpSender
    from panel_app.models import Event, Notification, utcnow
    from panel_app.registration.services import new_token
    from tests.factories import RegistrationFactory

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    workdir = tempfile.mkdtemp(prefix="bench-invites-")
    app = create_app({
        "SECRET_KEY": "bench", "INSTANCE_PATH": workdir, "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "BASE_URL": "https://panel.example.org",
        "MAIL_DEFAULT_SENDER": "Panel <noreply@panel.example.org>",
    })
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            start = parse_local("2030-09-26 15:00", "Europe/Zurich")
            event = Event(slug="bench", title="Parliamentary solidarity: Supporting MPs under threat",
                          starts_at=start, ends_at=start + timedelta(minutes=90), timezone="Europe/Zurich",
                          languages=["en", "fr", "es"], status="published", join_url="https://zoom.us/j/0000000000",
                          organiser_name="Inter-Parliamentary Union", organiser_email="events@ipu.example.org")
            db.session.add(event)
            db.session.flush()
            for i in range(count):
                _, token_hash, nonce = new_token("bench")
                registration = RegistrationFactory.build(event_id=event.id, token_hash=token_hash, token_nonce=nonce,
                                                         email=f"mp{i}@parliament{i % 180}.example", language="en",
                                                         zoom_join_url=f"https://zoom.us/w/0000000000?tk=personal{i}")
                db.session.add(registration)
            db.session.flush()
            from panel_app.models import Registration

            for registration in db.session.scalars(sa.select(Registration)):
                services.queue_message(db.session, registration, "confirmed", now=utcnow(), deliver=False)
            db.session.commit()

            # 1. Build every invite (what the pipeline renders), timed.
            notifications = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
            now = utcnow()
            t0 = time.perf_counter()
            built = [messages.render(db.session, n, now=now, config=app.config).message for n in notifications]
            build_seconds = time.perf_counter() - t0

            # 2. Bare smtplib loop on the prebuilt messages (baseline).
            t0 = time.perf_counter()
            client = smtplib.SMTP("127.0.0.1", port, timeout=30)
            for message in built:
                client.send_message(message, from_addr="noreply@panel.example.org")
            client.quit()
            bare_seconds = time.perf_counter() - t0

            # 3. Our sender on the same prebuilt messages.
            sender = SmtpSender(host="127.0.0.1", port=port, envelope_from="noreply@panel.example.org")
            t0 = time.perf_counter()
            outcomes = sender.send_many(built)
            ours_send_seconds = time.perf_counter() - t0
            assert all(o is None for o in outcomes), outcomes[:3]

            # 4. The whole pipeline: claim, render, send in batches, record.
            t0 = time.perf_counter()
            report = services.deliver_until_done(db.session, now_fn=utcnow, max_batches=10_000, sender=sender)
            pipeline_seconds = time.perf_counter() - t0
            assert report.sent == count, report
    finally:
        server.stdin.close()
        server.wait(timeout=30)

    print(f"invites: {count}")
    print(f"build: {count / build_seconds:,.0f} invites/s ({build_seconds:.2f} s)")
    print(f"bare smtplib loop: {count / bare_seconds:,.0f} msg/s ({bare_seconds:.2f} s)")
    print(f"SmtpSender.send_many, prebuilt: {count / ours_send_seconds:,.0f} msg/s; ratio to bare {bare_seconds / ours_send_seconds:.2f} (goal >= 0.8)")
    print(f"full pipeline (claim + build + send + record): {count / pipeline_seconds:,.0f} msg/s; ratio to bare {bare_seconds / pipeline_seconds:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
