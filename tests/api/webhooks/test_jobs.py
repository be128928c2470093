"""The delivery job is enqueued after the commit that queued a message, never for a rollback;
the job and the minute sweep send what is due."""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.api.webhooks import jobs
from panel_app.models import DeliveryState, Registration, WebhookDelivery, WebhookMessage, utcnow
from panel_app.registration import services as registration_services


def _queued(app) -> list[str]:
    huey = app.extensions["job_queue"].huey
    return [task.name for task in huey.pending()]


def test_the_job_is_enqueued_after_commit_and_not_for_a_rollback(app, db, empty_queue, make_event,
                                                                 make_registration, make_endpoint, receiver):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    first, _ = make_registration(event, email="a@parliament.example")
    second, _ = make_registration(event, email="b@parliament.example")
    registration_services.cancel(db.session, db.session.get(Registration, first.id), now=utcnow())
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookMessage)) == 0
    assert not [name for name in _queued(app) if name.endswith("deliver_message")]
    registration_services.cancel(db.session, db.session.get(Registration, second.id), now=utcnow())
    db.session.commit()
    assert [name for name in _queued(app) if name.endswith("deliver_message")] == ["panel_app.api.webhooks.jobs." +
                                                                                  "deliver_message"]
    # The job body (what the worker runs) sends it.
    key = db.session.scalar(sa.select(WebhookMessage.key))
    assert jobs.deliver_message(key) == 1
    assert receiver.payloads[0]["data"]["registration"]["id"] == second.id


def test_the_sweep_sends_what_a_lost_job_left_behind(app, db, empty_queue, make_event, make_registration,
                                                     make_endpoint, receiver):
    event = make_event()
    make_endpoint(receiver, event_types=["registration.cancelled"])
    person, _ = make_registration(event)
    registration_services.cancel(db.session, db.session.get(Registration, person.id), now=utcnow())
    db.session.commit()
    app.extensions["job_queue"].huey.flush()  # the queue lost the job
    db.session.remove()
    assert jobs.sweep_webhooks() == 1
    assert db.session.scalar(sa.select(WebhookDelivery.state)) == DeliveryState.DELIVERED
