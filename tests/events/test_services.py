"""An event's lifecycle in `panel_app.events.services`: what each change does, exactly once."""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.events import services
from panel_app.models import Event, Notification, utcnow


def test_cancelling_an_event_someone_else_just_cancelled_sends_nothing_twice(db, make_event, make_registration,
                                                                            organiser_account):
    event = make_event()
    make_registration(event, status="confirmed")
    user = organiser_account
    stale = db.session.get(Event, event.id)
    assert stale.status == "published"
    # Another organiser's cancellation commits while this request still holds the old row.
    with db.engine.begin() as other:
        other.execute(sa.update(Event.__table__).where(Event.__table__.c.id == event.id).values(status="cancelled"))
    assert services.cancel_event(db.session, stale, now=utcnow(), user=user) is False
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert db.session.get(Event, event.id).status == "cancelled"
