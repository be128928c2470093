"""`after_commit`: callbacks run once the transaction has committed, never after a rollback,
and `once=True` keeps one of identical calls (one delivery job per registrant)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from panel_app.core.after_commit import after_commit
from panel_app.models import Event


def test_callbacks_run_only_after_the_commit_with_their_arguments(db, make_event):
    event = make_event(title="Solidarité parlementaire")
    calls = []
    event.title = "Parliamentary solidarity: María-José Ñúñez-Öztürk speaks"
    after_commit(db.session, lambda *args, **kwargs: calls.append((args, kwargs)), event.id, "invite", urgent=True)
    db.session.flush()
    assert calls == []
    db.session.commit()
    assert calls == [((event.id, "invite"), {"urgent": True})]
    db.session.commit()  # a later commit does not run it again
    assert len(calls) == 1


def test_callbacks_are_dropped_when_the_transaction_rolls_back(db, make_event):
    event = make_event()
    calls = []
    event.title = "Never saved"
    after_commit(db.session, calls.append, event.id)
    db.session.rollback()
    db.session.commit()
    assert calls == []
    assert db.session.scalar(sa.select(Event.title).where(Event.id == event.id)) != "Never saved"


def test_once_keeps_one_of_identical_calls_and_every_call_with_other_arguments(db, make_event):
    make_event()
    calls = []
    for registration_id in (7, 7, 8, 7, None, None):
        after_commit(db.session, calls.append, registration_id, once=True)
    after_commit(db.session, calls.append, 7)  # without once: always scheduled
    db.session.commit()
    assert calls == [7, 8, None, 7]


def test_once_tells_bound_methods_of_different_objects_apart(db, make_event):
    make_event()
    first, second = [], []
    after_commit(db.session, first.append, "deliver", once=True)
    after_commit(db.session, second.append, "deliver", once=True)
    after_commit(db.session, first.append, "deliver", once=True)
    db.session.commit()
    assert (first, second) == (["deliver"], ["deliver"])


def test_a_failing_callback_is_logged_and_the_others_still_run(db, make_event, caplog):
    event = make_event()
    calls = []

    def broken(_):
        raise RuntimeError("queue unreachable")

    event.title = "Committed anyway"
    after_commit(db.session, broken, event.id)
    after_commit(db.session, calls.append, event.id)
    with caplog.at_level(logging.ERROR, logger="panel_app.core.after_commit"):
        db.session.commit()
    assert calls == [event.id]
    assert "after-commit callback broken failed" in caplog.text
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Committed anyway"
