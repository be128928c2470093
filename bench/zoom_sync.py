"""Benchmark: sync 1,000 registrants to the Zoom simulator limited to 10 requests per second.

    .venv/bin/python bench/zoom_sync.py [--count 1000] [--limit 10] [--workers 4]

Prints the achieved request rate as a ratio of the limit (goal >= 0.9), the 429s met,
duplicates (people added more than once) and losses (rows not in Zoom or not done).
Each registrant costs two calls (add, then read its status: Zoom's add answer has none).
Loopback only; about 2000 / 9.5 s ≈ 210 s with the defaults. Uses a throw-away SQLite
database (or DATABASE_URL if set, e.g. a scratch PostgreSQL database).
"""

from __future__ import annotations

import argparse
import os
import queue as thread_queue
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MEETING_ID = "81234567890"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=10, help="simulator requests per second")
    parser.add_argument("--workers", type=int, default=4, help="worker threads running sync jobs")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from panel_app import create_app
    from panel_app.extensions import db
    from panel_app.models import Registration, SyncState, utcnow
    from panel_app.registration.services import new_token
    from panel_app.zoom.jobs import sync_registration_job
    from panel_app.zoom.testing import ZoomSimulator
    from tests.factories import EventFactory

    sim = ZoomSimulator().start()
    # The questions meeting set-up creates: Zoom refuses answers to questions the meeting does not have.
    sim.add_meeting(MEETING_ID).custom_questions = [
        {"title": title, "type": "short", "required": False, "answers": []}
        for title in ("Affiliation type", "Role", "Interpretation language")]
    sim.set_rate_limit(args.limit)
    instance = tempfile.mkdtemp(prefix="zoom-bench-")
    app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": instance, "RATELIMIT_ENABLED": False,
                      "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance}/bench.sqlite3",
                      **sim.app_config()})
    with app.app_context():
        upgrade()
        event = EventFactory.build(zoom_meeting_id=MEETING_ID)
        db.session.add(event)
        db.session.flush()
        now = utcnow()
        for n in range(args.count):
            _token, token_hash, nonce = new_token("bench")
            db.session.add(Registration(
                event_id=event.id, first_name=f"Person{n}", last_name="Bench", email=f"p{n}@parliament.example",
                email_normalized=f"p{n}@parliament.example", country="CH", organisation="Parliament",
                affiliation_type="member_parliament", role="mp", language="en", consent_at=now,
                privacy_notice_version="bench", token_hash=token_hash, token_nonce=nonce,
                zoom_state=SyncState.PENDING, zoom_next_attempt_at=now))
        db.session.commit()
        ids = list(db.session.scalars(db.select(Registration.id)))

    work: thread_queue.Queue[int] = thread_queue.Queue()
    for registration_id in ids:
        work.put(registration_id)

    def worker():
        with app.app_context():
            while True:
                try:
                    registration_id = work.get_nowait()
                except thread_queue.Empty:
                    return
                sync_registration_job(registration_id)
                db.session.remove()

    print(f"syncing {args.count} registrants, simulator limit {args.limit} req/s, {args.workers} worker threads…")
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    api = sim.api_requests()
    accepted = [entry for entry in api if entry[3] < 400]
    throttled = sum(1 for entry in api if entry[3] == 429)
    window = accepted[-1][0] - accepted[0][0] if len(accepted) > 1 else elapsed
    achieved = (len(accepted) - 1) / window if window > 0 else 0.0
    with app.app_context():
        done = db.session.scalar(db.select(db.func.count()).select_from(Registration)
                                 .where(Registration.zoom_state == SyncState.DONE))
        linked = {r for r in db.session.scalars(db.select(Registration.zoom_registrant_id)) if r}
    in_zoom = {r.id for r in sim.registrants(MEETING_ID)}
    duplicates = sum(count - 1 for count in sim.add_calls.values() if count > 1)
    losses = args.count - len(in_zoom & linked) + (args.count - done)
    sim.stop()

    print(f"elapsed {elapsed:.1f} s; API requests accepted {len(accepted)}, throttled (429) {throttled}; "
          f"token requests {sim.token_requests}")
    print(f"achieved rate {achieved:.2f} req/s = {achieved / args.limit:.3f} of the {args.limit} req/s limit "
          f"(goal >= 0.9)")
    print(f"duplicates {duplicates}; losses {losses}; in Zoom {len(in_zoom)} / {args.count}; done {done}")
    print(f"(machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0 if achieved / args.limit >= 0.9 and duplicates == 0 and losses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
