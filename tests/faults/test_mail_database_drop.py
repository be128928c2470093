"""Mail is delivered at least once; the window for a duplicate is kept to one message.

A PostgreSQL connection killed right after the SMTP server accepted a message, while its
outcome is being committed, must not leave the row claimed (it would be sent again once the
claim expires): the outcome is written once more on a fresh connection.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.mail import services
from panel_app.mail.sender import get_sender
from panel_app.models import Notification, Registration, utcnow
from tests.mail.conftest import mail_to_smtp, smtp_server  # noqa: F401  (fixtures)


class ConnectionKilledAfterSmtp:
    """The configured sender; each time the server accepts a message, the delivering
    session's database connection is killed before that outcome is committed."""

    def __init__(self, session, database_url):
        self.session = session
        self.killer = sa.create_engine(database_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        self.armed = False
        self.kills = 0
        sa.event.listen(session, "before_commit", self._before_commit)

    def _before_commit(self, session):
        if not self.armed:
            return
        self.armed = False
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with self.killer.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        self.kills += 1

    def send_many(self, messages, on_result=None):
        def accepted(index, outcome):
            self.armed = outcome is None
            on_result(index, outcome)

        return get_sender().send_many(messages, on_result=accepted)

    def close(self):
        sa.event.remove(self.session, "before_commit", self._before_commit)
        self.killer.dispose()


def test_a_send_result_survives_a_killed_database_connection_and_is_not_sent_again(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp  # noqa: F811
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    mail_to_smtp(smtp_server)
    event = make_event()
    people = [make_registration(event, first_name=first, last_name=last, language="es")[0]
              for first, last in (("María-José", "Ñúñez-Öztürk"), ("Zoë", "Ødegård"))]
    for person in people:
        services.queue_message(db.session, person, "confirmed", now=utcnow())
    db.session.commit()
    sender = ConnectionKilledAfterSmtp(db.session(), app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        now = utcnow()
        report = services.deliver_until_done(db.session, now_fn=lambda: now, sender=sender)
    finally:
        sender.close()

    assert sender.kills == 2 and report.sent == 2
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Notification.state))) == {"sent"}
    assert set(db.session.scalars(sa.select(Registration.invite_state))) == {"done"}
    # Long after any claim would have expired, nothing is sent a second time.
    assert services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(hours=2)).sent == 0
    assert len(smtp_server.messages) == 2
