"""`flask zoom sync`: compare with Zoom's list and repair; via app.test_cli_runner()."""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import Registration, RegistrationStatus, SyncState
from panel_app.zoom import sync
from tests.zoom.conftest import MEETING_ID
from tests.zoom.helpers import assert_exactly_once, register, reload


def test_zoom_sync_repairs_every_kind_of_difference(app, sim, zoom_event, zoom_client, drain_jobs):
    sim.page_size_cap = 2  # make the comparison read several pages
    event = zoom_event()
    synced = [register(event, n) for n in range(3)]
    drain_jobs()
    # 1. never reached Zoom (job lost); 2. reached Zoom but its answer was lost;
    # 3. cancelled here while Zoom still has them approved; 4. gave up earlier (failed).
    lost_job = register(event, 10)
    lost_answer = register(event, 11)
    zoom_client.add_registrant("meetings", MEETING_ID, sync.registrant_body(lost_answer))
    cancelled = reload(synced[0].id)
    cancelled.status = RegistrationStatus.CANCELLED  # changed without the signal, as a bug or crash would
    failed = register(event, 12)
    failed.zoom_state, failed.zoom_last_error = SyncState.FAILED, "Zoom server error (HTTP 503)"
    db.session.commit()
    from panel_app.queue import queue

    queue.huey.flush()
    # 5. registered directly on Zoom.
    zoom_client.add_registrant("meetings", MEETING_ID, {"email": "direct@senat.example", "first_name": "Jean",
                                                        "last_name": "Dupont"})

    result = app.test_cli_runner().invoke(args=["zoom", "sync", "--event", event.slug])
    assert result.exit_code == 0, result.output
    assert "linked 1" in result.output and "imported 1" in result.output
    assert "pushing 3 change(s)" in result.output  # lost job, cancel, failed (the linked one has its link)
    assert "3 done" in result.output

    direct = db.session.scalar(sa.select(Registration).where(Registration.email_normalized == "direct@senat.example"))
    active = [reload(r.id) for r in (synced[1], synced[2], lost_job, lost_answer, failed)]
    assert_exactly_once(sim, active + [reload(cancelled.id), direct], MEETING_ID)
    assert sim.add_calls[(MEETING_ID, lost_answer.email_normalized)] == 1  # linked by email, not added again
    assert [p.status for p in sim.registrants(MEETING_ID) if p.email == cancelled.email] == ["denied"]  # = cancelled
    assert direct is not None and direct.zoom_state == SyncState.DONE

    again = app.test_cli_runner().invoke(args=["zoom", "sync"])
    assert again.exit_code == 0 and "pushed 0" in again.output and "imported 0" in again.output


def test_zoom_sync_reports_failures_with_their_reason(app, sim, zoom_event, drain_jobs):
    event = zoom_event(zoom_meeting_id="55555555555")
    sim.add_meeting("55555555555")
    registration = register(event, 1, first_name="   ")
    sim.meetings.pop("55555555555")
    result = app.test_cli_runner().invoke(args=["zoom", "sync", "--event", event.slug])
    assert result.exit_code == 1
    assert "could not be read" in result.output and "does not exist" in result.output
    assert reload(registration.id).zoom_state == SyncState.PENDING


def test_zoom_sync_without_credentials_explains(app, db):
    result = app.test_cli_runner().invoke(args=["zoom", "sync"])
    assert result.exit_code != 0 and "Zoom sync is off" in result.output
