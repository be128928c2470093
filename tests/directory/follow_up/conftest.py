"""An event that ended, a directory of 200 parliaments, and each parliament's follow-up report
with its private link (made directly with directory.links, as a follow-up letter would)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from panel_app.directory import links
from panel_app.models import utcnow
from tests.directory.parliaments import build_directory
from tests.factories import TEST_SECRET_KEY


@pytest.fixture
def follow_up_world(db, make_event):
    now = utcnow()
    event = make_event(
        slug="solidarity-2026", title="Parliamentary solidarity: Supporting MPs under threat",
        starts_at=now - timedelta(days=20), ends_at=now - timedelta(days=20) + timedelta(minutes=90),
        translations={"fr": {"title": "Solidarité parlementaire : soutenir les parlementaires menacés"},
                      "es": {"title": "Solidaridad parlamentaria: apoyo a los parlamentarios amenazados"}})
    organisations = build_directory(db.session, 200)
    reports = [links.follow_up_report_for(db.session, event, o, TEST_SECRET_KEY) for o in organisations]
    for report in reports:
        report.requested_at = now - timedelta(days=5)
    db.session.commit()
    tokens = {r.organisation_id: links.follow_up_token(r, TEST_SECRET_KEY) for r in reports}
    return SimpleNamespace(event=event, organisations=organisations, reports=reports, tokens=tokens)
