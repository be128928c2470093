"""Benchmark: build and send 1,000 personal invites to a local aiosmtpd.

Everything is measured in the same run against the same SMTP server (a separate process on
loopback, so the server's work does not compete with ours for the GIL). The headline is:

- build + send ratio (goal >= 0.8): the personal invites built from the database rows
  (full iMIP message: ICS with VTIMEZONE, text, HTML, MIME, flattened to bytes) and sent by
  `SmtpSender.send_many` in the pipeline's batches (one reused connection per batch), vs a
  bare smtplib loop (one connection, `sendmail` per message) sending the same messages
  prebuilt as bytes. The baseline does no building and no flattening at all, so the ratio
  is what building costs on top of the wire.

Also printed:
- invites built per second (render from the rows, including flattening to bytes);
- send-only ratio: `SmtpSender.send_many` on the prebuilt messages vs the bare loop;
- full pipeline ratio: the real delivery loop (claim rows with compare-and-set and a lease,
  render, send, record each outcome) with the database work included, vs the bare loop.

The bare loop is run before and after the other measurements and the faster run is kept,
so a warm-up effect never flatters our figures.

Run: .venv/bin/python bench/invites.py [count]   (default 1000; bounded well under 2 min)
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

ENVELOPE_FROM = "noreply@panel.example.org"

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


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    return server


def make_app(port: int):
    from panel_app import create_app

    workdir = tempfile.mkdtemp(prefix="bench-invites-")
    return create_app({
        "SECRET_KEY": "bench", "INSTANCE_PATH": workdir, "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "BASE_URL": "https://panel.example.org",
        "MAIL_DEFAULT_SENDER": f"Panel <{ENVELOPE_FROM}>",
    })


def populate(app, count: int) -> None:
    """One published panel, `count` confirmed registrants (mixed languages), one pending
    confirmation (with invite) each. Call inside an app context."""
    from datetime import timedelta

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from panel_app.events.timefmt import parse_local
    from panel_app.extensions import db
    from panel_app.mail import services
    from panel_app.models import Event, Registration, utcnow
    from panel_app.registration.services import new_token
    from tests.factories import RegistrationFactory

    upgrade(directory=str(ROOT / "migrations"))
    start = parse_local("2030-09-26 15:00", "Europe/Zurich")
    event = Event(slug="bench", title="Parliamentary solidarity: Supporting MPs under threat",
                  description="A panel on protecting the human rights of parliamentarians.",
                  starts_at=start, ends_at=start + timedelta(minutes=90), timezone="Europe/Zurich",
                  languages=["en", "fr", "es"], status="published", join_url="https://zoom.us/j/0000000000",
                  organiser_name="Inter-Parliamentary Union", organiser_email="events@ipu.example.org")
    db.session.add(event)
    db.session.flush()
    languages = ("en", "fr", "es")
    for i in range(count):
        _, token_hash, nonce = new_token("bench")
        db.session.add(RegistrationFactory.build(
            event_id=event.id, token_hash=token_hash, token_nonce=nonce,
            email=f"mp{i}@parliament{i % 180}.example", language=languages[i % 3],
            zoom_join_url=f"https://zoom.us/w/0000000000?tk=personal{i}",
        ))
    db.session.flush()
    for registration in db.session.scalars(sa.select(Registration)):
        services.queue_message(db.session, registration, "confirmed", now=utcnow(), deliver=False)
    db.session.commit()


def _load_notifications():
    """The pending notifications with their registration and event, loaded afresh."""
    import sqlalchemy as sa

    from panel_app.extensions import db
    from panel_app.models import Notification

    db.session.expunge_all()  # registration and event are joined-loaded with each row
    return db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()


def bare_loop(port: int, prebuilt: list[tuple[list[str], bytes]]) -> float:
    """Seconds for a bare smtplib loop sending prebuilt bytes over one connection."""
    t0 = time.perf_counter()
    client = smtplib.SMTP("127.0.0.1", port, timeout=30)
    for recipients, data in prebuilt:
        client.sendmail(ENVELOPE_FROM, recipients, data)
    client.quit()
    return time.perf_counter() - t0


def main(count: int = 1000) -> None:
    from email.utils import getaddresses

    from panel_app.extensions import db
    from panel_app.mail import messages, services
    from panel_app.mail.sender import SmtpSender
    from panel_app.models import utcnow

    port = free_port()
    server = start_server(port)
    app = make_app(port)
    sender = SmtpSender(host="127.0.0.1", port=port, envelope_from=ENVELOPE_FROM)
    try:
        with app.app_context():
            populate(app, count)
            config = app.config

            # 1. Build every invite from the rows, flattened to bytes (what goes on the wire).
            notifications = _load_notifications()
            now = utcnow()
            t0 = time.perf_counter()
            built = [r.message for r in messages.render_batch(db.session, notifications, now=now, config=config)]
            wire = [bytes(m) for m in built]
            build_seconds = time.perf_counter() - t0
            prebuilt = [([a for _, a in getaddresses([str(m["To"])])], data)
                        for m, data in zip(built, wire, strict=True)]

            # 2. Baseline: a bare smtplib loop on the prebuilt bytes.
            bare_seconds = bare_loop(port, prebuilt)

            # 3. Our sender on the prebuilt messages (send path only).
            t0 = time.perf_counter()
            outcomes = sender.send_many(built)
            send_seconds = time.perf_counter() - t0
            assert all(o is None for o in outcomes), outcomes[:3]

            # 4. Build + send: render from freshly loaded rows and send, batch by batch, each
            # batch over one connection (the pipeline's shape without the database writes).
            notifications = _load_notifications()
            now = utcnow()
            t0 = time.perf_counter()
            for start in range(0, len(notifications), services.BATCH_SIZE):
                batch = notifications[start:start + services.BATCH_SIZE]
                outcomes = sender.send_many([r.message for r in
                                             messages.render_batch(db.session, batch, now=now, config=config)])
                assert all(o is None for o in outcomes), outcomes[:3]
            build_send_seconds = time.perf_counter() - t0

            # 5. The whole pipeline: claim (compare-and-set + lease), render, send, record.
            db.session.expunge_all()
            t0 = time.perf_counter()
            report = services.deliver_until_done(db.session, now_fn=utcnow, max_batches=10_000, sender=sender)
            pipeline_seconds = time.perf_counter() - t0
            assert report.sent == count, report

            bare_seconds = min(bare_seconds, bare_loop(port, prebuilt))
    finally:
        server.stdin.close()
        server.wait(timeout=30)

    def rate(seconds: float) -> str:
        return f"{count / seconds:,.0f} msg/s"

    print(f"invites: {count} (one panel, languages en/fr/es, personal join links)")
    print(f"build (render from rows + flatten to bytes): {count / build_seconds:,.0f} invites/s "
          f"({1000 * build_seconds / count:.2f} ms per invite)")
    print(f"bare smtplib loop, prebuilt bytes (baseline): {rate(bare_seconds)}")
    print(f"BUILD + SEND: {rate(build_send_seconds)}; ratio to bare {bare_seconds / build_send_seconds:.2f} "
          "(goal >= 0.8)")
    print(f"send only (SmtpSender.send_many on prebuilt messages): {rate(send_seconds)}; "
          f"ratio to bare {bare_seconds / send_seconds:.2f}")
    print(f"full pipeline (claim + build + send + record, SQLite): {rate(pipeline_seconds)}; "
          f"ratio to bare {bare_seconds / pipeline_seconds:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
