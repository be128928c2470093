"""The languages the app works in: one list for interpretation channels, pages and emails.

Config (`LANGUAGES`), event validation, templates and the console all read it from here, so
adding a language is one line plus its translations (`panel_app/translations/`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Language codes (ISO 639-1), in the order they are offered.
CODES: tuple[str, ...] = ("en", "fr", "es")

#: Each language in its own words, for language switchers ("Français" whatever the page).
NATIVE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}

#: Each language named in the reader's language (forms, console, emails).
NAMES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish")}


def name(code: str) -> str:
    """`code` named in the current language (the code itself when unknown)."""
    return str(NAMES.get(code, code))
