"""Bursts of registrations over real HTTP: seats are never oversold, emails never duplicated.

Invitations go to ~180 parliaments at once, so registrations arrive together. Each thread
is its own browser (own session): it GETs the form for a CSRF token, then POSTs it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from panel_app.models import Registration, RegistrationStatus
from tests.factories import registration_form_data

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _register(url: str, data: dict, start: threading.Barrier) -> str:
    """One browser's registration; returns the outcome ("created", "duplicate") or an error."""
    with requests.Session() as browser:
        page = browser.get(url, timeout=60)
        match = CSRF_RE.search(page.text)
        if page.status_code != 200 or not match:
            return f"form {page.status_code}"
        start.wait(timeout=60)  # every POST leaves at once
        response = browser.post(url, data={**data, "csrf_token": match.group(1)}, allow_redirects=False, timeout=60)
    if response.status_code == 303 and response.headers["Location"].startswith("/registrations/"):
        return "created"
    if response.status_code == 200 and "We have sent the registration details" in response.text:
        return "duplicate"
    return f"error {response.status_code}"


def _burst(url: str, bodies: list[dict]) -> Counter:
    start = threading.Barrier(len(bodies))
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return Counter(pool.map(lambda body: _register(url, body, start), bodies))


def _statuses(db, event) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Registration.status, Registration.email_normalized).where(Registration.event_id == event.id)
    ).all()
    emails = Counter(email for _, email in rows)
    assert max(emails.values(), default=1) == 1, "an email was registered twice"
    return Counter(status for status, _ in rows)


@pytest.mark.timeout(120)
def test_200_simultaneous_registrations_for_50_seats(live_server, make_event, db):
    event = make_event(capacity=50)
    url = f"{live_server}/events/{event.slug}/register"
    bodies = [registration_form_data(email=f"delegate{i}@parliament{i % 37}.example") for i in range(200)]

    began = time.monotonic()
    outcomes = _burst(url, bodies)
    elapsed = time.monotonic() - began

    assert outcomes == Counter({"created": 200}), outcomes
    assert _statuses(db, event) == Counter({RegistrationStatus.CONFIRMED: 50, RegistrationStatus.WAITLISTED: 150})
    assert elapsed < 60, f"burst took {elapsed:.1f}s"


@pytest.mark.timeout(60)
def test_simultaneous_submissions_of_one_email_create_one_registration(live_server, make_event, db):
    event = make_event(capacity=10)
    url = f"{live_server}/events/{event.slug}/register"
    spellings = [
        "amina.diallo@parliament.example",
        "AMINA.DIALLO@parliament.example",
        " Amina.Diallo@Parliament.example ",
    ]
    bodies = [registration_form_data(email=spellings[i % 3]) for i in range(30)]

    outcomes = _burst(url, bodies)

    assert outcomes == Counter({"created": 1, "duplicate": 29}), outcomes
    assert _statuses(db, event) == Counter({RegistrationStatus.CONFIRMED: 1})
