"""An event's lifecycle in `panel_app.events.services`: what each change does, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from panel_app.events import overview, services
from panel_app.models import AuditEntry, Event, Notification, utcnow


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


def _input(**overrides) -> services.EventInput:
    values = dict(slug="parlamentos-y-derechos", title="Parlamentos y derechos humanos: ¿qué hacer?",
                  starts_at=datetime(2036, 9, 26, 13, 0, tzinfo=UTC), ends_at=datetime(2036, 9, 26, 14, 30, tzinfo=UTC),
                  languages=["es", "fr"], status="draft")
    values.update(overrides)
    return services.EventInput(**values)


def _audit(db) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_a_console_creation_is_audited_and_a_command_line_one_is_not(db, organiser_account):
    services.create_event(db.session, _input(), user=organiser_account, ip="198.51.100.7", now=utcnow())
    services.create_event(db.session, _input(slug="from-the-command-line"))
    db.session.commit()
    assert _audit(db) == [("event.create", organiser_account.email)]


def test_an_edit_records_each_change_and_nothing_when_nothing_changed(db, organiser_account):
    event = services.create_event(db.session, _input())
    db.session.commit()
    unchanged = services.update_event(db.session, event, services.event_input_from(event), now=utcnow(),
                                      user=organiser_account)
    assert unchanged == {} and _audit(db) == []
    data = services.event_input_from(event)
    data.title, data.capacity = "Parlements et droits de l'homme", 80
    changes = services.update_event(db.session, event, data, now=utcnow(), user=organiser_account)
    db.session.commit()
    assert set(changes) == {"title", "capacity"}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.edit"))
    assert entry.details["capacity"] == {"from": None, "to": 80}


def test_publishing_twice_publishes_once(db, organiser_account):
    event = services.create_event(db.session, _input())
    assert services.publish_event(db.session, event, now=utcnow(), user=organiser_account) is True
    assert services.publish_event(db.session, event, now=utcnow(), user=organiser_account) is False
    db.session.commit()
    assert [action for action, _ in _audit(db)] == ["event.publish"]


def test_a_copy_is_a_draft_with_a_free_address_and_no_zoom_link(db, organiser_account, make_event):
    event = make_event(slug="solidarity", zoom_meeting_id="85012345678", translations={"fr": {"title": "Solidarité"}})
    first = services.duplicate_event(db.session, event, now=utcnow(), user=organiser_account)
    second = services.duplicate_event(db.session, event, now=utcnow(), user=organiser_account)
    db.session.commit()
    assert (first.slug, second.slug) == ("solidarity-copy", "solidarity-copy-2")
    assert (first.status, first.zoom_meeting_id, first.translations) == ("draft", None, {"fr": {"title": "Solidarité"}})


def test_the_events_list_counts_registrations_per_status(db, make_event, make_registration):
    busy, quiet = make_event(), make_event()
    make_registration(busy, status="confirmed")
    make_registration(busy, status="waitlisted", last_name="Ñúñez-Öztürk")
    summaries = {s.event.id: s.counts for s in overview.event_summaries(db.session)}
    assert (summaries[busy.id]["confirmed"], summaries[busy.id]["waitlisted"]) == (1, 1)
    assert set(summaries[quiet.id].values()) == {0}
