"""Private links: the token derived from the app secret and a registration's nonce, and the
look-up of a registration by the token in its link."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from panel_app.models import RegistrationStatus
from panel_app.registration import services

S = RegistrationStatus

#: (SECRET_KEY, nonce, token): links already mailed carry these tokens, so an upgrade must derive
#: the same ones (a changed recipe would silently break every private link in people's inboxes).
KNOWN_TOKENS = [
    ("test-secret-key", "0123456789abcdef0123456789abcdef", "Da2DlpD3jnjtQqaD8ExZGuU63GbHXKLAtY9UW6UXpbA"),
    ("clé-secrète-Genève-2026", "9f86d081884c7d659a2feaa0c55ad015", "sqI4Sa14nCwqC4zF_owRxyF-3BGogBns8fDkVwZvxww"),
    ("Z7#kq!vR2@x", "00000000000000000000000000000000", "qTtYSXeQ-Dqx5Ti23-lJUGHek_npRWNPZI3mdyydE84"),
]


@pytest.mark.parametrize("secret_key, nonce, token", KNOWN_TOKENS)
def test_links_already_mailed_keep_their_token_after_an_upgrade(secret_key, nonce, token):
    assert services.derive_token(secret_key, nonce) == token


def test_a_registration_stored_before_an_upgrade_is_found_by_its_mailed_link(make_event, make_registration, db):
    """The row holds the nonce and the token's hash, written by an earlier release."""
    make_event(title="Parlements et climat : la voix des jeunes")
    event = make_event(title="Women in parliaments: the road to parity")
    secret_key, nonce, token = KNOWN_TOKENS[1]
    registration, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    registration.token_nonce = nonce
    registration.token_hash = "34bef0f7cee2e7d75c602780373b119a9e46967d8e2daa26f72e3b6f470f4bfb"
    make_registration(event, first_name="Nguyễn Thị", last_name="Minh Khai")
    db.session.commit()
    assert services.find_by_token(db.session, token).id == registration.id
    assert services.private_token(registration, secret_key) == token


@contextmanager
def statements(engine):
    """Count the SQL statements sent inside the block."""
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("junk", ["", "t" * 129, "https://panel.example/registrations/" + "x" * 200])
def test_junk_in_a_private_link_is_answered_without_a_database_query(db, junk):
    with statements(db.engine) as sent:
        assert services.find_by_token(db.session, junk) is None
    assert sent == []


@pytest.mark.parametrize("length", [43, 128])
def test_a_token_of_up_to_128_characters_is_looked_up(make_event, make_registration, db, length):
    make_registration(make_event(), first_name="Søren", last_name="Kierkegaard-Åberg")
    with statements(db.engine) as sent:
        assert services.find_by_token(db.session, "k" * length) is None
    assert len(sent) == 1
