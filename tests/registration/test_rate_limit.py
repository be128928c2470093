"""Registration submissions are limited per address by RATELIMIT_REGISTER (security.rate_limit)."""

from __future__ import annotations

from tests.conftest import csrf_from
from tests.factories import EventFactory, registration_form_data
from tests.security.conftest import make_isolated_app  # noqa: F401  (a fixture)


def test_the_registration_limit_comes_from_config(make_isolated_app):  # noqa: F811
    from panel_app.extensions import db

    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="3 per minute")
    with app.app_context():
        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        url = f"/events/{event.slug}/register"
    client = app.test_client()
    token = csrf_from(client, url)
    names = ["María-José Ñúñez-Öztürk", "Amina Diallo", "Kofi Mensah", "Zoë Ndiaye"]
    statuses = []
    for n, name in enumerate(names):
        first, last = name.split(" ", 1)
        data = registration_form_data(first_name=first, last_name=last, email=f"person{n}@parliament.example",
                                      csrf_token=token)
        statuses.append(client.post(url, data=data).status_code)
    assert statuses == [303, 303, 303, 429]
    assert client.get(url).status_code == 200  # reading the form is not counted
