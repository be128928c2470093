"""Organiser console benchmark: list page at 10,000 registrations and 100,000-row exports.

    .venv/bin/python bench/admin_list.py [--rows 100000] [--list-rows 10000]

Runs the real app (migrations applied to a throw-away SQLite database, or DATABASE_URL if
set to a PostgreSQL server) through Flask's test client, so the figures include routing,
access checks, templates and SQL. Prints:

- list page time at 10,000 registrations as a ratio of the same page for an empty event
  (the goal is a small constant: paging is done by the database);
- CSV and XLSX export of --rows registrations: rows per second and growth of the process's
  peak memory (goal: under 50 MB), while the response body is consumed chunk by chunk.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from panel_app import create_app  # noqa: E402
from panel_app.extensions import db  # noqa: E402
from panel_app.models import Event, Registration, User  # noqa: E402

LANGS = ["en", "fr", "es"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mb() -> float:
    """Resident memory now (Linux /proc), falling back to the peak elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def make_event(slug: str) -> Event:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    event = Event(slug=slug, title=f"Bench {slug}", starts_at=start, ends_at=start + timedelta(minutes=90),
                  timezone="Europe/Zurich", languages=LANGS, status="published", translations={})
    db.session.add(event)
    db.session.commit()
    return event


def fill(event: Event, n: int) -> None:
    now = datetime.now(timezone.utc)
    batch = []
    for i in range(n):
        batch.append({
            "event_id": event.id, "salutation": "", "first_name": f"Zoë{i}", "last_name": f"Ñúñez-{i % 997}",
            "email": f"p{i}@parl{i % 180}.example", "email_normalized": f"p{i}@parl{i % 180}.example",
            "country": ("ES", "FR", "SN", "CH", "AR")[i % 5], "organisation": f"Parliament {i % 180}",
            "affiliation_type": "member_parliament", "role": ("mp", "staff", "other")[i % 3], "committees": "",
            "language": LANGS[i % 3], "accessibility_needs": "", "consent_at": now, "privacy_notice_version": "bench",
            "status": "confirmed", "token_hash": f"{event.id:08x}{i:056x}", "token_nonce": "bench",
            "created_at": now - timedelta(minutes=i), "updated_at": now, "status_changed_at": now,
            "invite_state": "done", "invite_attempts": 1, "zoom_state": "none", "zoom_attempts": 0,
            "attended": i % 4 != 0, "attended_minutes": (i * 7) % 95, "attendance_source": "zoom",
            "first_joined_at": event.starts_at,
        })
        if len(batch) == 5000:
            db.session.execute(sa.insert(Registration), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Registration), batch)
    db.session.commit()


def timed_get(client, url: str, repeat: int) -> float:
    client.get(url)  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def stream_export(client, url: str) -> tuple[float, int, float]:
    """Consume an export chunk by chunk; returns (seconds, bytes, highest RSS seen in MB)."""
    gc.collect()
    started = time.perf_counter()
    response = client.get(url, buffered=False)  # the XLSX file is built here, RSS sampled after
    assert response.status_code == 200, response.status_code
    size, highest = 0, rss_mb()
    for index, chunk in enumerate(response.response):
        size += len(chunk)
        if index % 20 == 0:
            highest = max(highest, rss_mb())
    response.close()
    return time.perf_counter() - started, size, highest


def setup(config: dict, list_rows: int, export_rows: int) -> None:
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        user = User(email="bench@example.org", role="admin")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.commit()
        make_event("bench-empty")
        listed, exported = make_event("bench-list"), make_event("bench-export")
        started = time.perf_counter()
        fill(listed, list_rows)
        fill(exported, export_rows)
        elapsed = time.perf_counter() - started
        print(f"setup: {list_rows + export_rows:,} registrations inserted in {elapsed:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--list-rows", type=int, default=10_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="panel-bench-")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": tmp,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }
    # The data is written by a child process so that its memory does not raise this
    # process's peak: the peak growth printed below is the export's alone.
    child = multiprocessing.get_context("fork").Process(target=setup, args=(config, args.list_rows, args.rows))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit("setup failed")
    app = create_app(config)
    slugs = ("bench-empty", "bench-list", "bench-export")

    client = app.test_client()
    client.post("/admin/login", data={"email": "bench@example.org", "password": "bench-password"})

    base = timed_get(client, f"/admin/events/{slugs[0]}/registrations", 15)
    full = timed_get(client, f"/admin/events/{slugs[1]}/registrations", 15)
    last_page = args.list_rows // 50
    deep = timed_get(client, f"/admin/events/{slugs[1]}/registrations?page={last_page}&sort=name&dir=asc", 10)
    search = timed_get(client, f"/admin/events/{slugs[1]}/registrations?q=zoë12&language=es", 10)
    print(f"list page, empty event:            {base * 1000:7.1f} ms (baseline 1.00)")
    print(f"list page, {args.list_rows:,} registrations:  {full * 1000:7.1f} ms  ratio {full / base:5.2f}")
    print(f"  last page, sorted by name:       {deep * 1000:7.1f} ms  ratio {deep / base:5.2f}")
    print(f"  search + filter:                 {search * 1000:7.1f} ms  ratio {search / base:5.2f}")
    dash = timed_get(client, f"/admin/events/{slugs[1]}", 5)
    print(f"dashboard, {args.list_rows:,} registrations:  {dash * 1000:7.1f} ms  ratio {dash / base:5.2f}")

    for kind in ("csv", "xlsx"):
        gc.collect()
        before, peak_before = rss_mb(), peak_rss_mb()
        seconds, size, highest = stream_export(client, f"/admin/events/{slugs[2]}/registrations.{kind}")
        # Growth of resident memory while streaming, and of the process's all-time peak
        # (which also catches a spike between samples).
        growth = max(highest - before, peak_rss_mb() - peak_before)
        print(
            f"export {kind.upper():4} {args.rows:,} rows: {seconds:6.2f} s, {args.rows / seconds:9,.0f} rows/s, "
            f"{size / 1e6:6.1f} MB file, peak memory growth {growth:5.1f} MB"
        )


if __name__ == "__main__":
    main()
