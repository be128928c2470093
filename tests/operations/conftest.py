"""Fixtures for operations tests: isolated apps and a clock the test moves by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from panel_app.models import utcnow
from tests.security.conftest import make_isolated_app  # noqa: F401  (shared fixture)


@dataclass
class Clock:
    """The instant the public pages believe it is; moves only when the test says so."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Public pages (registration views) read the time from this clock, starting at the real now."""
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr("panel_app.registration.views.utcnow", clock)
    return clock
