"""Erasing a person by address also forgets a directory contact with that address."""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.directory import letters
from panel_app.models import Contact, Notification, utcnow
from panel_app.privacy import services as privacy


def test_erasing_a_person_forgets_their_contact_entry_and_skips_letters_still_waiting(
        app, db, make_event, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = make_event()
    directory = make_directory(5)
    person = directory.contacts[2]
    address = person.email
    letters.send_letter(db.session, event, letters.K.INVITATION,
                        letters.default_texts(letters.K.INVITATION, event.languages),
                        letters.default_filters(letters.K.INVITATION), now=utcnow(), user=author,
                        secret_key=app.config["SECRET_KEY"])
    db.session.commit()

    privacy.erase_person(db.session, address.upper(), now=utcnow(), user_id=author.id)
    db.session.commit()

    forgotten = db.session.get(Contact, person.id)
    assert (forgotten.name, forgotten.email, forgotten.function, forgotten.active) == ("", "", "", False)
    assert forgotten.email_normalized == f"erased:{person.id}"
    copy = db.session.scalar(sa.select(Notification).where(Notification.contact_id == person.id))
    assert copy.state == "skipped"
    assert drain().sent == 4
    assert address not in {m["To"].addresses[0].addr_spec for m in smtp_server.messages}
