"""One language list (core/languages.py) behind config, event validation, forms and pages."""

from __future__ import annotations

import pytest

from config import load_config
from panel_app.core import languages
from panel_app.events import services as event_services


def test_config_events_and_forms_offer_the_same_languages(app):
    from panel_app.admin.events.forms import EventForm

    assert tuple(app.config["LANGUAGES"]) == languages.CODES == event_services.SUPPORTED_LANGUAGES
    assert load_config({}).LANGUAGES == languages.CODES
    with app.test_request_context():
        assert [choice.value for choice in EventForm(meta={"csrf": False}).languages.choices] == list(languages.CODES)


def test_each_language_has_a_native_name_and_a_name_in_the_readers_language(app):
    assert set(languages.NATIVE_NAMES) == set(languages.NAMES) == set(languages.CODES)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert languages.name("fr") == "Francés"
    assert languages.NATIVE_NAMES["es"] == "Español"
    assert languages.name("de") == "de"


def test_an_event_in_a_language_the_app_does_not_speak_is_refused(app):
    from datetime import UTC, datetime

    data = event_services.EventInput(slug="panel", title="Panel", starts_at=datetime(2026, 9, 26, 13, tzinfo=UTC),
                                     ends_at=datetime(2026, 9, 26, 14, tzinfo=UTC), languages=["en", "de"])
    with app.test_request_context(), pytest.raises(event_services.EventInputError):
        event_services.validate(data)
