"""The registrant's interpretation language sets the language of their email and invite,
whatever language the site was browsed in."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from icalendar import Calendar

from panel_app.mail import services
from panel_app.models import utcnow
from tests.factories import registration_form_data

pytestmark = pytest.mark.usefixtures("empty_queue")


def _sent_message(db, folder):
    services.deliver_until_done(db.session, now_fn=utcnow)
    [path] = sorted(folder.rglob("*.eml"))
    return message_from_bytes(path.read_bytes(), policy=default_policy)


def _parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


@pytest.mark.parametrize(
    "language, subject, expected",
    [
        (
            "fr",
            "Inscription confirmée",
            [
                "Votre inscription est confirmée",
                "Bonjour",
                "Langue d’interprétation",
                "15\u00a0h\u00a000",
                "Cordialement",
            ],
        ),
        (
            "es",
            "Inscripción confirmada",
            ["Su inscripción está confirmada", "Estimado/a", "Idioma de interpretación", "Atentamente"],
        ),
    ],
)
def test_confirmation_email_and_invite_are_in_the_interpretation_language(
    db, client, make_event, submit_form, outbox, language, subject, expected
):
    event = make_event(
        starts_at=datetime(2031, 9, 26, 13, 0, tzinfo=timezone.utc),
        ends_at=datetime(2031, 9, 26, 14, 30, tzinfo=timezone.utc),
        title="Parliamentary solidarity",
        translations={"fr": {"title": "Solidarité parlementaire"}, "es": {"title": "Solidaridad parlamentaria"}},
    )
    # Browsing in English; only the interpretation language says French or Spanish.
    response = submit_form(client, f"/events/{event.slug}/register?lang=en", registration_form_data(language=language))
    assert response.status_code == 303

    message = _sent_message(db, outbox)
    parts = _parts(message)
    text, html = parts["text/plain"], parts["text/html"]
    assert message["Content-Language"] == language
    title = event.translations[language]["title"]
    assert message["Subject"].startswith(subject) and message["Subject"].endswith(title), message["Subject"]
    for phrase in expected:
        assert phrase in text, phrase
    assert f'lang="{language}"' in html
    for english in ("Dear ", "Kind regards", "Interpretation language", "Your registration is confirmed"):
        assert english not in text and english not in html, english

    vevent = Calendar.from_ical(parts["text/calendar"]).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == title
    description = str(vevent["DESCRIPTION"])
    assert "Interpretation language" not in description
    assert ("Langue d’interprétation" if language == "fr" else "Idioma de interpretación") in description


def test_a_chosen_email_language_overrides_the_interpretation_language(db, client, make_event, submit_form, outbox):
    event = make_event()
    data = registration_form_data(language="fr", email_language="es")
    response = submit_form(client, f"/events/{event.slug}/register?lang=en", data)
    assert response.status_code == 303

    message = _sent_message(db, outbox)
    assert message["Content-Language"] == "es"
    text = _parts(message)["text/plain"]
    assert "Su inscripción está confirmada" in text
    assert "Idioma de interpretación: Francés" in text.replace("\u00a0", " ")


def test_an_unknown_email_language_is_refused_with_a_message(db, client, make_event, submit_form):
    event = make_event()
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data(email_language="xx"))
    assert response.status_code == 422
    assert 'id="email_language-error"' in response.get_data(as_text=True)
