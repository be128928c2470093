"""Which language a page is shown in: explicit choice, then the browser, then English.

A page may name the language its visitor most likely reads (`prefer_language`: the
language of the contact a private link was sent to); it comes before the browser's.
The explicit choice comes from the language switcher (`?lang=fr` on any page). It is
remembered in a `lang` cookie, but only once the visitor has actually used the switcher:
a visitor who never switched gets no cookie beyond the session cookie (the registration
form promises that). Outside a request (mail and calendar jobs) the selector answers the
default language; those jobs choose the registrant's language with `force_locale`.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import get_locale, refresh

LANGUAGE_COOKIE = "lang"
#: Query parameter set by the switcher's links.
LANGUAGE_PARAM = "lang"
#: A deliberate choice is worth keeping for a year.
COOKIE_MAX_AGE = 365 * 24 * 3600


def supported_languages() -> tuple[str, ...]:
    """Language codes the UI is offered in, English first."""
    return tuple(current_app.config["LANGUAGES"])


def _explicit_choice() -> str | None:
    """The language named by the switcher in this request, if it is one we offer."""
    choice = request.args.get(LANGUAGE_PARAM, "")
    return choice if choice in supported_languages() else None


def select_locale() -> str:
    """Flask-Babel locale selector: switcher, then remembered choice, then Accept-Language."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = supported_languages()
    choice = _explicit_choice() or request.cookies.get(LANGUAGE_COOKIE)
    if choice in languages:
        return choice
    preferred = g.get("preferred_language")
    if preferred in languages:
        return preferred
    return request.accept_languages.best_match(languages) or default


def prefer_language(code: str | None) -> None:
    """The visitor of this page most likely reads `code` (a letter's recipient opening its
    link): it comes before the browser's languages, after a choice made with the switcher."""
    if code in supported_languages():
        g.preferred_language = code
        refresh()


@lru_cache(maxsize=32)
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def babel_locale_selector() -> Locale:
    """`select_locale` as a shared `babel.Locale`: Flask-Babel would otherwise parse the
    code into a new Locale (a locale-data lookup on disk) on every request."""
    return _parsed(select_locale())


def remember_choice(response: Response) -> Response:
    """After-request hook: store the switcher's choice in a cookie, and tell caches the
    page varies by language."""
    choice = _explicit_choice()
    if choice and request.cookies.get(LANGUAGE_COOKIE) != choice:
        response.set_cookie(
            LANGUAGE_COOKIE,
            choice,
            max_age=COOKIE_MAX_AGE,
            path="/",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
    if response.mimetype == "text/html":
        if "Vary" in response.headers:
            response.vary.update(("Accept-Language", "Cookie"))
        else:  # the usual case, without parsing and re-serialising an empty header
            response.headers["Vary"] = "Accept-Language, Cookie"
        response.headers.setdefault("Content-Language", str(get_locale() or select_locale()))
    return response


def switch_url(code: str) -> str:
    """This page's address with the switcher's `lang` parameter set to `code`.

    Keeps the other query parameters (e.g. the filters of a console list), so switching
    language never loses the visitor's place.
    """
    args = request.args.to_dict(flat=False)
    args[LANGUAGE_PARAM] = [code]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def _forget_cached_locale() -> None:
    # Flask-Babel caches the locale on `g`, which belongs to the app context. A request
    # served inside an already-pushed app context (tests, CLI tools) would otherwise
    # inherit the previous request's language (or its preferred one).
    g.pop("preferred_language", None)
    refresh()


def register(app: Flask) -> None:
    """Install the cookie hook and the `language_switch_url` template helper."""
    app.before_request(_forget_cached_locale)
    app.after_request(remember_choice)
    app.add_template_global(switch_url, "language_switch_url")
