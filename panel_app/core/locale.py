"""Which language a page is shown in: explicit choice (cookie), then the browser, then English."""

from __future__ import annotations

from flask import current_app, request

LANGUAGE_COOKIE = "lang"


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Flask-Babel locale selector."""
    languages = supported_languages()
    choice = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if choice in languages:
        return choice
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
