"""Zoom webhook capacity: 1,000 signed `meeting.participant_joined` sent within seconds.

    .venv/bin/python bench/webhooks.py [--count 1000] [--threads 32]

The start of a large session: Zoom posts a join notification per participant, from few
addresses, and counts a delivery as failed unless it gets a 2xx within three seconds
("Resolving webhook delays", https://developers.zoom.us/blog/webhook-delays/). The app runs
as the README runs it (`scripts/serve.sh`: gunicorn --workers 2 --threads 4 with
gunicorn.conf.py, the SQLite default, rate limits ON, one `flask worker`) on a throw-away
instance folder with `--count` registrants of a Zoom meeting that started five minutes ago.

Sent by `--threads` concurrent keep-alive connections from one address, each request signed
like Zoom's (x-zm-signature over "v0:{timestamp}:{body}"). Measured: the latency of every
answer (p50/p95/max) and the 2xx count; then the time until the worker has processed every
notification, and whether every registrant's join is recorded (attended, first join). The
baseline is a bare one-route Flask app under the same gunicorn, hit the same way in the same
run: ratios are latency against it (machines here are noisy).

Goal (issue 10): every answer 2xx, the slowest well under 3 s, every join recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SECRET = "bench-webhook-secret"
MEETING_ID = "81234567890"

BARE_APP = '''
from flask import Flask, jsonify

app = Flask("bare")

@app.post("/webhooks/zoom")
def receive():
    return jsonify(status="accepted")

@app.get("/healthz")
def health():
    return "ok"
'''

from bench.web_throughput import free_port, stop, wait_ready  # noqa: E402  (same helpers as the web bench)


def serve(app_spec: str, env: dict, chdir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn as scripts/serve.sh starts it (gunicorn.conf.py from the project folder, 2 x 4)."""
    port = free_port()
    with log.open("ab") as stream:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--chdir", str(chdir), app_spec],
            env=env, stdout=stream, stderr=stream, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz")
    except Exception:
        stop(proc)
        print(log.read_text(errors="replace")[-3000:])
        raise
    return proc, base


def joined_body(n: int, start: datetime) -> bytes:
    """The notification Zoom sends when registrant n joins (MeetingParticipantJoinedEvent)."""
    at = start + timedelta(seconds=n % 300)
    return json.dumps({
        "event": "meeting.participant_joined", "event_ts": int(time.time() * 1000) + n,
        "payload": {"account_id": "bench-account", "object": {
            "id": MEETING_ID, "uuid": "bench-instance==", "host_id": "bench-host", "topic": "Bench panel", "type": 2,
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "timezone": "Europe/Zurich", "duration": 90,
            "participant": {"user_id": str(16778240 + n), "user_name": f"María-José Ñúñez-Öztürk {n}", "id": "",
                            "participant_uuid": f"pu-{n}", "join_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "email": f"mp{n}@parliament.example", "registrant_id": f"reg-{n}",
                            "participant_user_id": ""}}}}, separators=(",", ":")).encode()


def fire(url: str, bodies: list[bytes], threads: int) -> tuple[list[float], list[int], float]:
    """POST every body, signed, from `threads` keep-alive connections; latencies (s), statuses, wall time."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    work = list(enumerate(bodies))
    barrier = threading.Barrier(threads)

    def sender():
        http = requests.Session()
        barrier.wait()
        while True:
            with lock:
                if not work:
                    return
                _, body = work.pop()
            ts = str(int(time.time()))
            digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
            signature = "v0=" + digest
            started = time.perf_counter()
            try:
                status = http.post(url, data=body, timeout=30, headers={
                    "Content-Type": "application/json", "x-zm-request-timestamp": ts,
                    "x-zm-signature": signature}).status_code
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

    pool = [threading.Thread(target=sender) for _ in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, statuses, time.perf_counter() - began


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    return (statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1], ordered[-1])


def prepare(instance: Path, env: dict, count: int, start: datetime) -> None:
    """Migrate the instance's SQLite database and create the event with `count` Zoom registrants."""
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update(env)
    from panel_app import create_app
    from panel_app.extensions import db
    from panel_app.models import Registration, SyncState
    from panel_app.registration.services import new_token
    from tests.factories import EventFactory

    app = create_app()
    with app.app_context():
        event = EventFactory.build(slug="bench-panel", zoom_meeting_id=MEETING_ID, starts_at=start,
                                   ends_at=start + timedelta(minutes=90))
        db.session.add(event)
        db.session.flush()
        for n in range(count):
            _token, token_hash, nonce = new_token(env["SECRET_KEY"])
            db.session.add(Registration(
                event_id=event.id, first_name=f"María-José {n}", last_name="Ñúñez-Öztürk",
                email=f"mp{n}@parliament.example", email_normalized=f"mp{n}@parliament.example", country="CH",
                organisation="Federal Assembly", affiliation_type="member_parliament", role="mp", language="fr",
                consent_at=start, privacy_notice_version="bench", token_hash=token_hash, token_nonce=nonce,
                status="confirmed", invite_state=SyncState.DONE, zoom_state=SyncState.DONE,
                zoom_registrant_id=f"reg-{n}", zoom_synced_status="approved"))
        db.session.commit()
        db.engine.dispose()


def recorded(env: dict) -> tuple[int, int]:
    """(deliveries processed, registrants with their join recorded), read from the instance's database."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{env['INSTANCE_PATH']}/panel.sqlite3")
    with engine.connect() as conn:
        processed = conn.execute(sa.text("SELECT count(*) FROM zoom_webhook_deliveries "
                                         "WHERE processed_at IS NOT NULL")).scalar()
        joined = conn.execute(sa.text("SELECT count(*) FROM registrations WHERE attended = 1 "
                                      "AND first_joined_at IS NOT NULL")).scalar()
    engine.dispose()
    return processed, joined


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    instance = scratch / "instance"
    instance.mkdir()
    env = {**os.environ, "SECRET_KEY": "bench-secret", "INSTANCE_PATH": str(instance), "ACCESS_LOG": "off",
           "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET, "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi"}
    for key in ("DATABASE_URL", "REDIS_URL", "RATELIMIT_ENABLED", "ZOOM_ACCOUNT_ID"):
        env.pop(key, None)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    bodies = [joined_body(n, start) for n in range(args.count)]
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.count} notifications, {args.threads} connections")
    procs: list[subprocess.Popen] = []
    try:
        (scratch / "bare.py").write_text(BARE_APP)
        bare, bare_url = serve("bare:app", env, scratch, scratch / "bare.log")
        procs.append(bare)
        fire(bare_url + "/webhooks/zoom", bodies[:100], args.threads)  # warm-up
        base_lat, base_status, base_wall = fire(bare_url + "/webhooks/zoom", bodies, args.threads)
        stop(bare)

        prepare(instance, env, args.count, start)
        app, app_url = serve("wsgi:app", env, ROOT, scratch / "app.log")
        procs.append(app)
        with (scratch / "worker.log").open("ab") as stream:
            procs.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                          stdout=stream, stderr=stream, start_new_session=True))
        lat, statuses, wall = fire(app_url + "/webhooks/zoom", bodies, args.threads)
        sent_at = time.monotonic()
        processed = joined = 0
        while time.monotonic() - sent_at < args.drain_timeout:
            processed, joined = recorded(env)
            if processed >= args.count and joined >= args.count:
                break
            time.sleep(1)
        drained = time.monotonic() - sent_at
    finally:
        for proc in procs:
            stop(proc)

    b50, b95, bmax = summary(base_lat)
    p50, p95, pmax = summary(lat)
    ok = sum(1 for s in statuses if 200 <= s < 300)
    print(f"bare app:  {len(base_lat)} requests in {base_wall:.1f} s; p50 {b50 * 1000:.0f} ms, "
          f"p95 {b95 * 1000:.0f} ms, max {bmax * 1000:.0f} ms; {sum(1 for s in base_status if 200 <= s < 300)} x 2xx")
    print(f"webhooks:  {len(lat)} requests in {wall:.1f} s ({len(lat) / wall:.0f}/s); p50 {p50 * 1000:.0f} ms "
          f"({p50 / b50:.1f} x bare), p95 {p95 * 1000:.0f} ms ({p95 / b95:.1f} x), max {pmax * 1000:.0f} ms; "
          f"{ok} x 2xx, other: {sorted({s for s in statuses if not 200 <= s < 300})}")
    print(f"worker:    {processed} of {args.count} processed, {joined} joins recorded, "
          f"{drained:.0f} s after the last answer")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    met = ok == args.count and pmax < 3.0 and joined == args.count
    print("goal (all 2xx, max under 3 s, every join recorded):", "met" if met else "NOT MET")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
